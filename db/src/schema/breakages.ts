import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { jobs, jobsets } from './hydra.ts';
import { users } from './users.ts';

/**
 * A run of failure verdicts of one job (SPEC section 3), the unit people claim. Keyed by
 * (job, opening eval) so that recomputation keeps ids, and with them claims, stable.
 */
export const breakages = pgTable('breakages', {
  id: serial('id').primaryKey(),
  jobsetId: integer('jobset_id').notNull().references(() => jobsets.id),
  jobId: integer('job_id').notNull().references(() => jobs.id),
  openedEvalId: bigint('opened_eval_id', { mode: 'number' }).notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
  /** ISO week (UTC) of openedAt, e.g. 2026-W48. */
  week: text('week').notNull(),
  state: text('state', { enum: ['open', 'fixed', 'gone'] }).notNull(),
  closedEvalId: bigint('closed_eval_id', { mode: 'number' }),
  closedAt: timestamp('closed_at', { withTimezone: true }),
  kind: text('kind', { enum: ['direct', 'dependency'] }),
  status: integer('status'),
  flaky: boolean('flaky').notNull().default(false),
  /** Already failing in the jobset's oldest ingested eval: backlog from the start, never "opened in a week". */
  preexisting: boolean('preexisting').notNull().default(false),
  buildId: bigint('build_id', { mode: 'number' }).notNull(),
  baselineEvalId: bigint('baseline_eval_id', { mode: 'number' }),
  rangeFrom: text('range_from'),
  rangeTo: text('range_to'),
  /** Handle of the claimant credited when the breakage closed as fixed. */
  fixedBy: text('fixed_by'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * Who maintains the job's package (SPEC section 9), as match keys (`maintainerKeys` in
   * queries/maintainers.ts): `?maintainer=` finds a person's breakages through one index instead
   * of joining every candidate breakage to its job and package. Kept current from
   * maintainer_packages when a breakage is written and when the attribution is replaced.
   */
  maintainerKeys: text('maintainer_keys').array().notNull().default(sql`'{}'::text[]`),
}, (t) => [
  uniqueIndex('breakages_job_opened').on(t.jobId, t.openedEvalId),
  // No pending list: the rows an attribution refresh rewrites are indexed at once, not scanned
  // linearly by every ?maintainer= read until the next vacuum.
  index('breakages_maintainer_keys').using('gin', t.maintainerKeys).with({ fastupdate: 'off' }),
  index('breakages_week').on(t.jobsetId, t.week),
  index('breakages_open').on(t.jobsetId).where(sql`state = 'open'`),
  // Root causes (SPEC section 8): the open dependency failures behind a root, by their build. The
  // job, jobset and id are in the index so that counting what a root blocks reads no table rows.
  index('breakages_open_dependency_build').on(t.buildId, t.jobsetId, t.jobId, t.id).where(sql`state = 'open' and kind = 'dependency'`),
]);

/** "I am fixing this". At most one active (unreleased) claim per breakage, enforced by index. */
export const claims = pgTable('claims', {
  id: serial('id').primaryKey(),
  breakageId: integer('breakage_id').notNull().references(() => breakages.id),
  userId: integer('user_id').notNull().references(() => users.id),
  handle: text('handle').notNull(),
  claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  prUrl: text('pr_url'),
  note: text('note'),
  releasedAt: timestamp('released_at', { withTimezone: true }),
  releaseReason: text('release_reason', { enum: ['released', 'expired', 'fixed', 'gone'] }),
  releasedBy: text('released_by'),
}, (t) => [
  uniqueIndex('claims_one_active').on(t.breakageId).where(sql`released_at is null`),
  index('claims_user').on(t.userId),
]);

/** A frozen weekly roundup; a rerun for the same week and jobset replaces it. */
export const roundups = pgTable('roundups', {
  id: serial('id').primaryKey(),
  jobsetId: integer('jobset_id').notNull().references(() => jobsets.id),
  week: text('week').notNull(),
  frozenAt: timestamp('frozen_at', { withTimezone: true }).notNull().defaultNow(),
  parts: text('parts').array().notNull(),
  data: text('data').notNull(),
}, (t) => [uniqueIndex('roundups_jobset_week').on(t.jobsetId, t.week)]);
