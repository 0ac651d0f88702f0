ALTER TABLE "builds" DROP CONSTRAINT "builds_job_id_jobs_id_fk";
--> statement-breakpoint
ALTER TABLE "jobs" DROP CONSTRAINT "jobs_jobset_id_jobsets_id_fk";
--> statement-breakpoint
ALTER TABLE "memberships" DROP CONSTRAINT "memberships_job_id_jobs_id_fk";
