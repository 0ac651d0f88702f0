ALTER TABLE "eval_stats" ADD COLUMN "failing_by_kind" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- Counts computed before this column existed lack it: recount them on the next read or sync.
UPDATE "eval_stats" SET "stale" = true;
