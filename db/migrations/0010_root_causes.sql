CREATE TABLE "build_causes" (
	"build_id" bigint PRIMARY KEY NOT NULL,
	"cause_build_id" bigint,
	"how" text NOT NULL,
	"root_build_id" bigint,
	"root_key" text,
	"resolved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cause_builds" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"jobset" text NOT NULL,
	"job" text NOT NULL,
	"system" text NOT NULL,
	"finished" smallint NOT NULL,
	"status" smallint,
	"drvpath" text NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "build_causes_root_key" ON "build_causes" USING btree ("root_key");--> statement-breakpoint
CREATE INDEX "builds_failed_drvpath" ON "builds" USING btree ("drvpath") WHERE status <> 0;--> statement-breakpoint
CREATE INDEX "breakages_open_dependency_build" ON "breakages" USING btree ("build_id") WHERE state = 'open' and kind = 'dependency';