CREATE TABLE "eval_outcomes" (
	"eval_id" bigint NOT NULL,
	"system" text NOT NULL,
	"outcome" text NOT NULL,
	"kind" text DEFAULT '' NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "eval_outcomes_eval_id_system_outcome_kind_pk" PRIMARY KEY("eval_id","system","outcome","kind")
);
--> statement-breakpoint
ALTER TABLE "eval_stats" ADD COLUMN "breakdown" jsonb DEFAULT '[]'::jsonb NOT NULL;