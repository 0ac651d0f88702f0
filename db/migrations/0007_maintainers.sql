CREATE TABLE "maintainer_packages" (
	"jobset_id" integer NOT NULL,
	"attr_path" text NOT NULL,
	"login" text,
	"github_id" bigint
);
--> statement-breakpoint
CREATE TABLE "package_maintainers" (
	"jobset_id" integer NOT NULL,
	"attr_path" text NOT NULL,
	"maintainers" jsonb NOT NULL,
	"teams" text[] NOT NULL,
	CONSTRAINT "package_maintainers_jobset_id_attr_path_pk" PRIMARY KEY("jobset_id","attr_path")
);
--> statement-breakpoint
CREATE TABLE "package_sources" (
	"jobset_id" integer PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"revision_key" text,
	"release" text,
	"packages" integer,
	"attributed" integer,
	"read_at" timestamp with time zone,
	"checked_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "package_sources" ADD CONSTRAINT "package_sources_jobset_id_jobsets_id_fk" FOREIGN KEY ("jobset_id") REFERENCES "public"."jobsets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "maintainer_packages_login" ON "maintainer_packages" USING btree ("login");--> statement-breakpoint
CREATE INDEX "maintainer_packages_github_id" ON "maintainer_packages" USING btree ("github_id");--> statement-breakpoint
CREATE INDEX "maintainer_packages_package" ON "maintainer_packages" USING btree ("jobset_id","attr_path");