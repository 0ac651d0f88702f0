CREATE TABLE "builds" (
	"id" bigint PRIMARY KEY NOT NULL,
	"job_id" integer NOT NULL,
	"finished" smallint NOT NULL,
	"status" smallint,
	"drvpath" text NOT NULL,
	"outputs" text[] NOT NULL,
	"nixname" text,
	"timestamp" bigint,
	"starttime" bigint,
	"stoptime" bigint,
	"seen_success" boolean DEFAULT false NOT NULL,
	"seen_failure" boolean DEFAULT false NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval_stats" (
	"eval_id" bigint PRIMARY KEY NOT NULL,
	"counts" jsonb NOT NULL,
	"counts_by_system" jsonb NOT NULL,
	"pending" integer NOT NULL,
	"stale" boolean DEFAULT false NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evals" (
	"id" bigint PRIMARY KEY NOT NULL,
	"jobset_id" integer NOT NULL,
	"revision" text,
	"timestamp" timestamp with time zone NOT NULL,
	"checkout_time" integer,
	"eval_time" integer,
	"flake" text,
	"inputs" jsonb NOT NULL,
	"build_count" integer NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"jobset_id" integer NOT NULL,
	"name" text NOT NULL,
	"system" text NOT NULL,
	"package" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobsets" (
	"id" serial PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"name" text NOT NULL,
	"input_name" text DEFAULT 'nixpkgs' NOT NULL,
	"repo_url" text DEFAULT 'https://github.com/NixOS/nixpkgs' NOT NULL,
	"last_sync_at" timestamp with time zone,
	"last_sync_ok_at" timestamp with time zone,
	"last_sync_error" text,
	"last_sync_ms" integer,
	"probe" text,
	"backfilled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"jobset_id" integer NOT NULL,
	"job_id" integer NOT NULL,
	"build_id" bigint NOT NULL,
	"first_eval_id" bigint NOT NULL,
	"last_eval_id" bigint,
	CONSTRAINT "memberships_job_id_first_eval_id_pk" PRIMARY KEY("job_id","first_eval_id")
);
--> statement-breakpoint
CREATE TABLE "breakages" (
	"id" serial PRIMARY KEY NOT NULL,
	"jobset_id" integer NOT NULL,
	"job_id" integer NOT NULL,
	"opened_eval_id" bigint NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"week" text NOT NULL,
	"state" text NOT NULL,
	"closed_eval_id" bigint,
	"closed_at" timestamp with time zone,
	"kind" text,
	"status" integer,
	"flaky" boolean DEFAULT false NOT NULL,
	"build_id" bigint NOT NULL,
	"baseline_eval_id" bigint,
	"range_from" text,
	"range_to" text,
	"fixed_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" serial PRIMARY KEY NOT NULL,
	"breakage_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"handle" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"pr_url" text,
	"note" text,
	"released_at" timestamp with time zone,
	"release_reason" text,
	"released_by" text
);
--> statement-breakpoint
CREATE TABLE "roundups" (
	"id" serial PRIMARY KEY NOT NULL,
	"jobset_id" integer NOT NULL,
	"week" text NOT NULL,
	"frozen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"parts" text[] NOT NULL,
	"data" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"csrf" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"github_id" bigint,
	"login" text NOT NULL,
	"name" text,
	"avatar_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "builds" ADD CONSTRAINT "builds_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_stats" ADD CONSTRAINT "eval_stats_eval_id_evals_id_fk" FOREIGN KEY ("eval_id") REFERENCES "public"."evals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evals" ADD CONSTRAINT "evals_jobset_id_jobsets_id_fk" FOREIGN KEY ("jobset_id") REFERENCES "public"."jobsets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_jobset_id_jobsets_id_fk" FOREIGN KEY ("jobset_id") REFERENCES "public"."jobsets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "breakages" ADD CONSTRAINT "breakages_jobset_id_jobsets_id_fk" FOREIGN KEY ("jobset_id") REFERENCES "public"."jobsets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "breakages" ADD CONSTRAINT "breakages_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_breakage_id_breakages_id_fk" FOREIGN KEY ("breakage_id") REFERENCES "public"."breakages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roundups" ADD CONSTRAINT "roundups_jobset_id_jobsets_id_fk" FOREIGN KEY ("jobset_id") REFERENCES "public"."jobsets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "builds_job" ON "builds" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "builds_unfinished" ON "builds" USING btree ("id") WHERE finished = 0;--> statement-breakpoint
CREATE INDEX "evals_jobset_id" ON "evals" USING btree ("jobset_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_jobset_name" ON "jobs" USING btree ("jobset_id","name");--> statement-breakpoint
CREATE INDEX "jobs_jobset_system" ON "jobs" USING btree ("jobset_id","system");--> statement-breakpoint
CREATE UNIQUE INDEX "jobsets_project_name" ON "jobsets" USING btree ("project","name");--> statement-breakpoint
CREATE INDEX "memberships_first" ON "memberships" USING btree ("jobset_id","first_eval_id");--> statement-breakpoint
CREATE INDEX "memberships_last" ON "memberships" USING btree ("jobset_id","last_eval_id");--> statement-breakpoint
CREATE INDEX "memberships_build" ON "memberships" USING btree ("build_id");--> statement-breakpoint
CREATE UNIQUE INDEX "breakages_job_opened" ON "breakages" USING btree ("job_id","opened_eval_id");--> statement-breakpoint
CREATE INDEX "breakages_week" ON "breakages" USING btree ("jobset_id","week");--> statement-breakpoint
CREATE INDEX "breakages_open" ON "breakages" USING btree ("jobset_id") WHERE state = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "claims_one_active" ON "claims" USING btree ("breakage_id") WHERE released_at is null;--> statement-breakpoint
CREATE INDEX "claims_user" ON "claims" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "roundups_jobset_week" ON "roundups" USING btree ("jobset_id","week");--> statement-breakpoint
CREATE INDEX "sessions_user" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_github_id" ON "users" USING btree ("github_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_login" ON "users" USING btree ("login");