import { bigint, index, pgTable, smallint, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The cause of a dependency-failed build (SPEC section 8), read once from its HTML build page:
 * the build Hydra names ("propagated from build P"), or the tracked build whose outputs are the
 * failed step's. Keyed by Hydra build id, so a restarted or new build is resolved anew.
 */
export const buildCauses = pgTable('build_causes', {
  buildId: bigint('build_id', { mode: 'number' }).primaryKey(),
  /** Null: Hydra names no build and no tracked build has the step's outputs. */
  causeBuildId: bigint('cause_build_id', { mode: 'number' }),
  /** `propagated` (Hydra's link), `outputs` (matched by output path) or `none`. */
  how: text('how', { enum: ['propagated', 'outputs', 'none'] }).notNull(),
  /**
   * The root: causes followed until a direct failure, or the last known build of a cycle or a
   * dead end. Null while a cause on the way is not resolved yet (or when `how` is `none`).
   */
  rootBuildId: bigint('root_build_id', { mode: 'number' }),
  /** What identifies the root across jobsets: its derivation, else `build:<id>`. */
  rootKey: text('root_key'),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('build_causes_root_key').on(t.rootKey)]);

/**
 * Builds named on the way to a root, in any jobset (tracked or not): what a root cause says
 * (job, jobset, system) and whether to follow it further (status 2). From `/build/:id` JSON,
 * or copied from the tracked build.
 */
export const causeBuilds = pgTable('cause_builds', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  project: text('project').notNull(),
  jobset: text('jobset').notNull(),
  job: text('job').notNull(),
  system: text('system').notNull(),
  finished: smallint('finished').notNull(),
  status: smallint('status'),
  /** '' when unknown. */
  drvpath: text('drvpath').notNull(),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
});
