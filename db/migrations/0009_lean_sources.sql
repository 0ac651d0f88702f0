CREATE SEQUENCE "public"."placeholder_build_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "unresolved_members" (
	"eval_id" bigint NOT NULL,
	"build_id" bigint NOT NULL,
	"jobset_id" integer NOT NULL,
	CONSTRAINT "unresolved_members_eval_id_build_id_pk" PRIMARY KEY("eval_id","build_id")
);
--> statement-breakpoint
ALTER TABLE "builds" ADD COLUMN "detailed" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "evals" ADD COLUMN "bulk_failed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "unresolved_members_build" ON "unresolved_members" USING btree ("build_id");--> statement-breakpoint
CREATE INDEX "unresolved_members_jobset" ON "unresolved_members" USING btree ("jobset_id");--> statement-breakpoint
CREATE INDEX "builds_undetailed" ON "builds" USING btree ("id") WHERE detailed = false;