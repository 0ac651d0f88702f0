DROP INDEX "maintainer_packages_login";--> statement-breakpoint
DROP INDEX "maintainer_packages_github_id";--> statement-breakpoint
ALTER TABLE "breakages" ADD COLUMN "maintainer_keys" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- The keys of the breakages already stored (maintainerKeyRows in db/src/queries/maintainers.ts).
WITH k AS (
  SELECT mp.jobset_id, mp.attr_path, array_agg(DISTINCT v.k ORDER BY v.k) AS keys
  FROM maintainer_packages mp CROSS JOIN LATERAL (VALUES
    (CASE WHEN mp.github_id IS NOT NULL THEN 'g:' || mp.github_id END),
    (CASE WHEN mp.github_id IS NULL AND mp.login IS NOT NULL THEN 'n:' || mp.login END),
    (CASE WHEN mp.login IS NOT NULL THEN 'l:' || mp.login END)) v(k)
  WHERE v.k IS NOT NULL
  GROUP BY mp.jobset_id, mp.attr_path
)
UPDATE breakages bk SET maintainer_keys = k.keys
FROM jobs j JOIN k ON k.jobset_id = j.jobset_id AND k.attr_path = j.package
WHERE j.id = bk.job_id;--> statement-breakpoint
CREATE INDEX "breakages_maintainer_keys" ON "breakages" USING gin ("maintainer_keys") WITH (fastupdate=off);--> statement-breakpoint
CREATE INDEX "maintainer_packages_login" ON "maintainer_packages" USING btree ("login","github_id");--> statement-breakpoint
CREATE INDEX "maintainer_packages_github_id" ON "maintainer_packages" USING btree ("github_id","login");