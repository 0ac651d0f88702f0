import { sql } from 'drizzle-orm';
import {
  bigint, boolean, index, integer, jsonb, pgSequence, pgTable, primaryKey, serial, smallint, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

/** A tracked Hydra jobset (`project/jobset`) and the collector's bookkeeping for it. */
export const jobsets = pgTable('jobsets', {
  id: serial('id').primaryKey(),
  project: text('project').notNull(),
  name: text('name').notNull(),
  /** Repository of the input whose revision identifies an eval (for compare links). */
  inputName: text('input_name').notNull().default('nixpkgs'),
  repoUrl: text('repo_url').notNull().default('https://github.com/NixOS/nixpkgs'),
  lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
  lastSyncOkAt: timestamp('last_sync_ok_at', { withTimezone: true }),
  lastSyncError: text('last_sync_error'),
  lastSyncMs: integer('last_sync_ms'),
  /** Fingerprint of the jobset's row in Hydra's /api/jobsets at the last discovery: unchanged means no new eval. */
  probe: text('probe'),
  /** True once the first sync has backfilled baselines. */
  backfilled: boolean('backfilled').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('jobsets_project_name').on(t.project, t.name)]);

/** A Hydra evaluation. Ids are Hydra's (global across jobsets); order within a jobset is by id. */
export const evals = pgTable('evals', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  jobsetId: integer('jobset_id').notNull().references(() => jobsets.id),
  revision: text('revision'),
  timestamp: timestamp('timestamp', { withTimezone: true }).notNull(),
  checkoutTime: integer('checkout_time'),
  evalTime: integer('eval_time'),
  flake: text('flake'),
  inputs: jsonb('inputs').notNull(),
  buildCount: integer('build_count').notNull(),
  ingestedAt: timestamp('ingested_at', { withTimezone: true }).notNull().defaultNow(),
  /** When `/eval/:id/builds` last failed or was cut for this eval: not asked again for hours. */
  bulkFailedAt: timestamp('bulk_failed_at', { withTimezone: true }),
}, (t) => [index('evals_jobset_id').on(t.jobsetId, t.id)]);

/**
 * Member build ids of an eval not stored yet: listed by `/eval/:id`, not yet named by
 * `/api/latestbuilds` or `/build/:id` (most are unfinished). Resolving one gives it its job.
 */
export const unresolvedMembers = pgTable('unresolved_members', {
  evalId: bigint('eval_id', { mode: 'number' }).notNull(),
  buildId: bigint('build_id', { mode: 'number' }).notNull(),
  jobsetId: integer('jobset_id').notNull(),
}, (t) => [
  primaryKey({ columns: [t.evalId, t.buildId] }),
  index('unresolved_members_build').on(t.buildId),
  index('unresolved_members_jobset').on(t.jobsetId),
]);

/** Ids of placeholder builds, taken negated. */
export const placeholderBuildSeq = pgSequence('placeholder_build_seq');

/** A job name within a jobset (`hello.x86_64-linux`); `package` is the name without `.system`. */
export const jobs = pgTable('jobs', {
  id: serial('id').primaryKey(),
  // jobs, builds and runs carry no foreign keys: only the collector writes them, parents first in
  // the same transaction (test/db/membership.test.ts checks there are no orphans), and the per-row
  // checks were an eighth of a 250k-build first ingest.
  jobsetId: integer('jobset_id').notNull(),
  name: text('name').notNull(),
  system: text('system').notNull(),
  package: text('package').notNull(),
}, (t) => [
  // Also serves lookups by jobset alone. There is no (jobset, system) index: every read by system
  // reaches jobs through runs or breakages, and it was a quarter of the jobs table's COPY time.
  uniqueIndex('jobs_jobset_name').on(t.jobsetId, t.name),
]);

/**
 * A Hydra build, in its latest observed state. Outcome is derived from (finished, status),
 * so verdicts always follow the current state. Times are epoch seconds as Hydra gives them.
 */
export const builds = pgTable('builds', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  jobId: integer('job_id').notNull(),
  finished: smallint('finished').notNull(),
  status: smallint('status'),
  drvpath: text('drvpath').notNull(),
  outputs: text('outputs').array().notNull(),
  nixname: text('nixname'),
  timestamp: bigint('timestamp', { mode: 'number' }),
  starttime: bigint('starttime', { mode: 'number' }),
  stoptime: bigint('stoptime', { mode: 'number' }),
  /** Outcomes ever observed for the current derivation: both set means flaky. */
  seenSuccess: boolean('seen_success').notNull().default(false),
  seenFailure: boolean('seen_failure').notNull().default(false),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * False while only the short shape is known (from `/api/latestbuilds`: job, status, no
   * derivation or outputs, `drvpath` ''), or for a placeholder (negative id: a job awaiting a
   * build of the eval not identified yet). The full record follows at the polite budget.
   */
  detailed: boolean('detailed').notNull().default(true),
}, (t) => [
  index('builds_undetailed').on(t.id).where(sql`detailed = false`),
  // No index on job_id: builds are reached through runs, and it cost a third of bulk-insert time.
  index('builds_unfinished').on(t.id).where(sql`finished = 0`),
  // A root cause's derivation failing in other tracked jobsets (SPEC section 8): failures only, a few percent of builds.
  index('builds_failed_drvpath').on(t.drvpath).where(sql`status <> 0`),
]);

/**
 * Membership as runs: job `jobId` had build `buildId` in every eval of its jobset from
 * `firstEvalId` through `lastEvalId` (null: through the newest ingested eval). An eval that
 * changes 2% of jobs closes and opens 2% of runs, so storage grows with change, not evals x jobs.
 */
export const memberships = pgTable('memberships', {
  jobsetId: integer('jobset_id').notNull(),
  jobId: integer('job_id').notNull(),
  buildId: bigint('build_id', { mode: 'number' }).notNull(),
  firstEvalId: bigint('first_eval_id', { mode: 'number' }).notNull(),
  lastEvalId: bigint('last_eval_id', { mode: 'number' }),
}, (t) => [
  primaryKey({ columns: [t.jobId, t.firstEvalId] }),
  index('memberships_first').on(t.jobsetId, t.firstEvalId),
  index('memberships_last').on(t.jobsetId, t.lastEvalId),
  index('memberships_build').on(t.buildId),
]);

/** Cached category counts of an eval; `stale` is set when a member build changes state. */
export const evalStats = pgTable('eval_stats', {
  evalId: bigint('eval_id', { mode: 'number' }).primaryKey().references(() => evals.id),
  counts: jsonb('counts').notNull(),
  countsBySystem: jsonb('counts_by_system').notNull(),
  /** Failure outcomes by kind ({ direct, dependency }), for trends without rescanning members. */
  failingByKind: jsonb('failing_by_kind').notNull().default({}),
  /** Row counts by category, system and kind: `[{ c, s, k, n }]`, the totals of any filter combination. */
  breakdown: jsonb('breakdown').notNull().default([]),
  pending: integer('pending').notNull(),
  stale: boolean('stale').notNull().default(false),
  computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * How many members of an eval have each (system, outcome, kind), following the builds'
 * current state. Kept exact incrementally: an appended eval is its predecessor's histogram
 * minus the runs that closed plus the runs that opened, and a build changing state moves one
 * unit in every eval it belongs to. Category counts then need only the eval's run starts.
 */
export const evalOutcomes = pgTable('eval_outcomes', {
  evalId: bigint('eval_id', { mode: 'number' }).notNull(),
  system: text('system').notNull(),
  outcome: text('outcome').notNull(),
  /** '' for outcomes without a kind. */
  kind: text('kind').notNull().default(''),
  n: integer('n').notNull(),
}, (t) => [primaryKey({ columns: [t.evalId, t.system, t.outcome, t.kind] })]);

/**
 * Constituents of a channel-gate aggregate build (`tested`, `unstable`): the jobs whose
 * failure blocks the channel, read once per aggregate build from `/build/:id/constituents`.
 */
export const gateConstituents = pgTable('gate_constituents', {
  gateBuildId: bigint('gate_build_id', { mode: 'number' }).notNull(),
  buildId: bigint('build_id', { mode: 'number' }).notNull(),
  job: text('job').notNull(),
}, (t) => [primaryKey({ columns: [t.gateBuildId, t.buildId] })]);
