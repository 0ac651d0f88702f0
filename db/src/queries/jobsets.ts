/** Jobsets: the tracked ones, their evals page by page, and their overview counts. */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';

export interface JobsetRef {
  id: number;
  project: string;
  name: string;
  repoUrl: string;
  lastSyncAt: Date | null;
  lastSyncOkAt: Date | null;
  lastSyncError: string | null;
  lastSyncMs: number | null;
}

interface RawJobset {
  id: number; project: string; name: string; repo_url: string; last_sync_at: string | Date | null;
  last_sync_ok_at: string | Date | null; last_sync_error: string | null; last_sync_ms: number | null;
}

const toJobset = (r: RawJobset): JobsetRef => ({
  id: r.id, project: r.project, name: r.name, repoUrl: r.repo_url,
  lastSyncAt: r.last_sync_at === null ? null : new Date(r.last_sync_at),
  lastSyncOkAt: r.last_sync_ok_at === null ? null : new Date(r.last_sync_ok_at),
  lastSyncError: r.last_sync_error, lastSyncMs: r.last_sync_ms,
});

export async function findJobset(db: Db, project: string, name: string): Promise<JobsetRef | null> {
  const [r] = await queryRows<RawJobset>(db, sql`select * from jobsets where project = ${project} and name = ${name}`);
  return r ? toJobset(r) : null;
}

export async function allJobsets(db: Db): Promise<JobsetRef[]> {
  return (await queryRows<RawJobset>(db, sql`select * from jobsets order by project, name`)).map(toJobset);
}

/** Eval ids of a jobset, newest first, before `before`. */
export async function jobsetEvalPage(db: Db, jobsetId: number, before: number | null, limit: number): Promise<{ ids: number[]; total: number; next: number | null }> {
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select id from evals where jobset_id = ${jobsetId} and ${before === null ? sql`true` : sql`id < ${before}`}
    order by id desc limit ${limit + 1}`);
  const [c] = await queryRows<{ n: string | number }>(db, sql`select count(*) as n from evals where jobset_id = ${jobsetId}`);
  const ids = rows.slice(0, limit).map((r) => Number(r.id));
  return { ids, total: Number(c?.n ?? 0), next: rows.length > limit ? ids[ids.length - 1]! : null };
}

export interface JobsetSummary {
  jobset: JobsetRef;
  latestEvalId: number | null;
  openBreakages: number;
}

/** A jobset's breakage counts as the overview shows them: `open` is always `weekOpen + backlog`. */
export interface JobsetBreakageCounts {
  latestEvalId: number | null;
  /** Every open breakage. */
  openBreakages: number;
  /** Opened in `week` (preexisting ones excluded, as the fix list's week does), any state. */
  weekTotal: number;
  weekOpen: number;
  /** Open, opened before `week` or preexisting: the backlog. */
  backlog: number;
}

/**
 * The counts of each jobset in one statement, so they come from one snapshot: read one by one,
 * a sync committing in between (a backfill commits an eval every few seconds) made "open" and
 * "this week + backlog" disagree. Week strings are zero-padded: text order is time order.
 */
export async function jobsetSummaries(db: Db, jobsetIds: number[], week: string): Promise<Map<number, JobsetBreakageCounts>> {
  if (!jobsetIds.length) return new Map();
  const rows = await queryRows<{ id: number; latest: string | number | null; open: string | number; backlog: string | number; week_total: string | number; week_open: string | number }>(db, sql`
    select js.id, (select max(e.id) from evals e where e.jobset_id = js.id) as latest, o.open, o.backlog, w.week_total, w.week_open
    from jobsets js
    cross join lateral (
      select count(*) as open, count(*) filter (where bk.week < ${week} or bk.preexisting) as backlog
      from breakages bk where bk.jobset_id = js.id and bk.state = 'open') o
    cross join lateral (
      select count(*) as week_total, count(*) filter (where bk.state = 'open') as week_open
      from breakages bk where bk.jobset_id = js.id and bk.week = ${week} and not bk.preexisting) w
    where js.id = any(${`{${jobsetIds.join(',')}}`}::int[])`);
  return new Map(rows.map((r) => [r.id, {
    latestEvalId: r.latest === null ? null : Number(r.latest),
    openBreakages: Number(r.open), backlog: Number(r.backlog), weekTotal: Number(r.week_total), weekOpen: Number(r.week_open),
  }]));
}

/** Open breakages grouped by jobset, system and kind (for /metrics). */
export async function openBreakageCounts(db: Db): Promise<{ jobset: string; system: string; kind: string | null; n: number }[]> {
  const rows = await queryRows<{ project: string; name: string; system: string; kind: string | null; n: string | number }>(db, sql`
    select js.project, js.name, j.system, bk.kind, count(*) as n
    from breakages bk join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id
    where bk.state = 'open' group by 1, 2, 3, 4 order by 1, 2, 3, 4`);
  return rows.map((r) => ({ jobset: `${r.project}/${r.name}`, system: r.system, kind: r.kind, n: Number(r.n) }));
}
