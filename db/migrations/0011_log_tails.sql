CREATE TABLE "log_tails" (
	"drv_path" text PRIMARY KEY NOT NULL,
	"lines" text[] NOT NULL,
	"tail" integer NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"build_id" bigint
);
--> statement-breakpoint
CREATE INDEX "log_tails_build" ON "log_tails" USING btree ("build_id");