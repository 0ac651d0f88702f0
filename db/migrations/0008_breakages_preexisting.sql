ALTER TABLE "breakages" ADD COLUMN "preexisting" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Breakages opened in their jobset's oldest ingested eval were already failing when tracking began.
UPDATE "breakages" SET "preexisting" = true
WHERE "baseline_eval_id" IS NULL AND "opened_eval_id" = (SELECT min(e."id") FROM "evals" e WHERE e."jobset_id" = "breakages"."jobset_id");
