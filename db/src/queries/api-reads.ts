import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { isoTime } from './api-breakages.ts';
import { kindSql, outcomeSql, type Category, type Outcome } from '../verdict/index.ts';
import { commitRange, refreshEvalStats, type Page } from './verdicts.ts';

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

export interface EvalView {
  id: number;
  jobset: string;
  revision: string | null;
  timestamp: string;
  previousEvalId: number | null;
  complete: boolean;
  pending: number;
  counts: Partial<Record<Category, number>>;
  countsBySystem: Record<string, Partial<Record<Category, number>>>;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/**
 * Evals with their category counts, in the order of `ids`. Counts come from eval_stats,
 * recomputed first for the evals whose row is missing or stale.
 */
export async function evalViews(db: Db, ids: number[]): Promise<EvalView[]> {
  if (!ids.length) return [];
  const idList = sql`${`{${ids.join(',')}}`}::bigint[]`;
  const missing = await queryRows<{ id: string | number; jobset_id: number }>(db, sql`
    select e.id, e.jobset_id from evals e left join eval_stats s on s.eval_id = e.id
    where e.id = any(${idList}) and (s.eval_id is null or s.stale)`);
  const byJobset = new Map<number, number[]>();
  for (const m of missing) (byJobset.get(m.jobset_id) ?? byJobset.set(m.jobset_id, []).get(m.jobset_id)!).push(Number(m.id));
  for (const [jobsetId, evalIds] of byJobset) await refreshEvalStats(db, jobsetId, evalIds);
  const rows = await queryRows<{
    id: string | number; project: string; name: string; revision: string | null; timestamp: string | Date; prev_id: string | number | null;
    counts: unknown; counts_by_system: unknown; pending: number | null;
  }>(db, sql`
    select e.id, js.project, js.name, e.revision, e.timestamp,
      (select max(p.id) from evals p where p.jobset_id = e.jobset_id and p.id < e.id) as prev_id,
      s.counts, s.counts_by_system, s.pending
    from evals e join jobsets js on js.id = e.jobset_id left join eval_stats s on s.eval_id = e.id
    where e.id = any(${idList})`);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const pending = r.pending ?? 0;
    return [{
      id, jobset: `${r.project}/${r.name}`, revision: r.revision, timestamp: isoTime(r.timestamp),
      previousEvalId: r.prev_id === null ? null : Number(r.prev_id), complete: pending === 0, pending,
      counts: json(r.counts ?? {}), countsBySystem: json(r.counts_by_system ?? {}),
    }];
  });
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

export interface JobHistoryEntry {
  evalId: number;
  revision: string | null;
  timestamp: string;
  /** Null while the job awaits its build in that eval. */
  buildId: number | null;
  status: number | null;
  outcome: Outcome;
  kind: 'direct' | 'dependency' | null;
}

export interface JobHistory {
  jobId: number;
  system: string;
  page: Page<JobHistoryEntry> & { next: number | null };
  lastSuccess: JobHistoryEntry | null;
  firstFailureAfter: JobHistoryEntry | null;
  range: { from: string; to: string; url: string } | null;
}

type RawEntry = { eval_id: string | number; revision: string | null; timestamp: string | Date; build_id: string | number; status: number | null; outcome: Outcome; kind: 'direct' | 'dependency' | null };
const toEntry = (r: RawEntry): JobHistoryEntry => ({
  evalId: Number(r.eval_id), revision: r.revision, timestamp: isoTime(r.timestamp), buildId: Number(r.build_id) < 0 ? null : Number(r.build_id), status: r.status, outcome: r.outcome, kind: r.kind,
});

/** Per eval of the jobset containing the job (newest first): its build and outcome; and where it last went red. */
export async function jobHistory(db: Db, js: JobsetRef, jobName: string, before: number | null, limit: number): Promise<JobHistory | null> {
  const [job] = await queryRows<{ id: number; system: string }>(db, sql`select id, system from jobs where jobset_id = ${js.id} and name = ${jobName}`);
  if (!job) return null;
  const base = sql`
    select e.id as eval_id, e.revision, e.timestamp, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
    from evals e join memberships ms on ms.job_id = ${job.id} and ms.first_eval_id <= e.id and (ms.last_eval_id is null or ms.last_eval_id >= e.id)
    join builds b on b.id = ms.build_id
    where e.jobset_id = ${js.id}`;
  const rows = await queryRows<RawEntry>(db, sql`
    select * from (${base}) h where ${before === null ? sql`true` : sql`eval_id < ${before}`} order by eval_id desc limit ${limit + 1}`);
  const [c] = await queryRows<{ n: string | number }>(db, sql`select count(*) as n from (${base}) h`);
  const [ok] = await queryRows<RawEntry>(db, sql`select * from (${base}) h where outcome = 'success' order by eval_id desc limit 1`);
  const [bad] = await queryRows<RawEntry>(db, sql`
    select * from (${base}) h where outcome = 'failure' and eval_id > ${ok ? Number(ok.eval_id) : 0} order by eval_id limit 1`);
  const items = rows.slice(0, limit).map(toEntry);
  const lastSuccess = ok ? toEntry(ok) : null;
  const firstFailureAfter = bad ? toEntry(bad) : null;
  return {
    jobId: job.id,
    system: job.system,
    page: { items, total: Number(c?.n ?? 0), nextCursor: null, next: rows.length > limit ? items[items.length - 1]!.evalId : null },
    lastSuccess,
    firstFailureAfter,
    range: lastSuccess?.revision && firstFailureAfter?.revision ? commitRange(js.repoUrl, lastSuccess.revision, firstFailureAfter.revision) : null,
  };
}

const FAILING: Category[] = ['new_failure', 'still_failing', 'new_job_failing', 'failing'];

export interface TrendEval {
  evalId: number;
  timestamp: string;
  failing: number;
  failingBySystem: Record<string, number>;
  failingByKind: { direct: number; dependency: number };
  /**
   * Distinct roots (SPEC section 8) behind the dependency failures open in this eval whose cause
   * zhf has read: what to fix instead of `failing` red jobs. Causes are read only for the failures
   * zhf shows (this week's, open, claimed), so evals from before that count fewer.
   */
  roots: number;
  /** The dependency failures open in this eval whose root is known: those `roots` stand for. */
  blockedByRoots: number;
}

export interface TrendWeek {
  week: string;
  opened: number;
  /** Same as fixedInWeek (the name the API first had). */
  fixed: number;
  /**
   * Breakages closed as fixed during the week, whenever they opened. Not the roundup's
   * fixedOfWeek, which counts only the week's own breakages that are fixed by now.
   */
  fixedInWeek: number;
  open: number;
  medianHoursToFix: number | null;
}

/**
 * When zhf's record of a jobset begins: the timestamp of its oldest ingested eval (null before
 * the first). Weeks that ended before it have no data, which is not the same as zero.
 */
export async function trackedSince(db: Db, jobsetId: number): Promise<string | null> {
  const [r] = await queryRows<{ t: string | Date }>(db, sql`select timestamp as t from evals where jobset_id = ${jobsetId} order by id limit 1`);
  return r ? new Date(r.t).toISOString() : null;
}

/** Per-eval failing counts (by system and by kind, both from eval_stats) of the evals in [from, to). */
export async function trendEvals(db: Db, jobsetId: number, from: Date, to: Date, max: number): Promise<TrendEval[]> {
  const idRows = await queryRows<{ id: string | number }>(db, sql`
    select id from evals where jobset_id = ${jobsetId} and timestamp >= ${from.toISOString()}::timestamptz
      and timestamp < ${to.toISOString()}::timestamptz order by id desc limit ${max}`);
  const ids = idRows.map((r) => Number(r.id)).reverse();
  if (!ids.length) return [];
  const [views, roots] = await Promise.all([evalViews(db, ids), rootsPerEval(db, jobsetId, ids)]);
  // Counted with the category counts when the eval's stats were computed: no member scan here.
  const kinds = await queryRows<{ eval_id: string | number; k: { direct?: number; dependency?: number } | string }>(db, sql`
    select eval_id, failing_by_kind as k from eval_stats where eval_id = any(${`{${ids.join(',')}}`}::bigint[])`);
  const byKind = new Map<number, { direct: number; dependency: number }>();
  for (const r of kinds) {
    const k = typeof r.k === 'string' ? (JSON.parse(r.k) as { direct?: number; dependency?: number }) : r.k;
    byKind.set(Number(r.eval_id), { direct: k.direct ?? 0, dependency: k.dependency ?? 0 });
  }
  return views.map((v) => {
    const bySystem: Record<string, number> = {};
    for (const [system, counts] of Object.entries(v.countsBySystem)) bySystem[system] = FAILING.reduce((s, c) => s + (counts[c] ?? 0), 0);
    return {
      evalId: v.id, timestamp: v.timestamp, failing: FAILING.reduce((s, c) => s + (v.counts[c] ?? 0), 0),
      failingBySystem: bySystem, failingByKind: byKind.get(v.id) ?? { direct: 0, dependency: 0 },
      roots: roots.get(v.id)?.roots ?? 0, blockedByRoots: roots.get(v.id)?.blocked ?? 0,
    };
  });
}

/**
 * Per eval of `ids` (ascending): the distinct root keys, and the number, of the jobset's
 * dependency breakages open in it (opened at or before it, not closed by it) with a known root.
 * Causes are keyed by the breakage's opening build, the one zhf resolves. The breakages come
 * grouped by (root, opened, closed), a few hundred rows since a root's dependents open and
 * close together, and are swept over the evals here: no eval-by-breakage join.
 */
export async function rootsPerEval(db: Db, jobsetId: number, ids: number[]): Promise<Map<number, { roots: number; blocked: number }>> {
  if (!ids.length) return new Map();
  const rows = await queryRows<{ key: string; o: string | number; c: string | number | null; n: string | number }>(db, sql`
    select bc.root_key as key, bk.opened_eval_id as o, bk.closed_eval_id as c, count(*) as n
    from breakages bk join build_causes bc on bc.build_id = bk.build_id
    where bk.jobset_id = ${jobsetId} and bk.kind = 'dependency' and bc.root_key is not null
      and bk.opened_eval_id <= ${ids[ids.length - 1]!} and (bk.closed_eval_id is null or bk.closed_eval_id > ${ids[0]!})
    group by 1, 2, 3`);
  return sweepRoots(ids, rows.map((r) => ({ key: r.key, opened: Number(r.o), closed: r.c === null ? null : Number(r.c), n: Number(r.n) })));
}

/**
 * Per eval of `ids` (ascending): distinct keys and summed `n` of the groups open in it
 * (opened <= id, and closed null or > id). A key open through several groups counts once.
 */
export function sweepRoots(ids: number[], groups: { key: string; opened: number; closed: number | null; n: number }[]): Map<number, { roots: number; blocked: number }> {
  const out = new Map<number, { roots: number; blocked: number }>();
  // Index of the first eval id >= x (ids.length when none).
  const lowerBound = (x: number) => {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const blocked = new Array<number>(ids.length + 1).fill(0);
  const roots = new Array<number>(ids.length + 1).fill(0);
  const spans = new Map<string, [number, number][]>();
  for (const r of groups) {
    const from = lowerBound(r.opened);
    const to = r.closed === null ? ids.length : lowerBound(r.closed);
    if (from >= to) continue;
    blocked[from]! += r.n;
    blocked[to]! -= r.n;
    const list = spans.get(r.key) ?? spans.set(r.key, []).get(r.key)!;
    list.push([from, to]);
  }
  // A root counts once in an eval however many of its dependents are open there: merge its spans.
  for (const list of spans.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let [from, to] = list[0]!;
    for (const [f, t] of list.slice(1)) {
      if (f <= to) to = Math.max(to, t);
      else {
        roots[from]!++;
        roots[to]!--;
        [from, to] = [f, t];
      }
    }
    roots[from]!++;
    roots[to]!--;
  }
  let b = 0;
  let k = 0;
  ids.forEach((id, i) => {
    b += blocked[i]!;
    k += roots[i]!;
    out.set(id, { roots: k, blocked: b });
  });
  return out;
}

/** Per ISO week: breakages opened, fixed (closed as fixed within it), open at its end, median hours to fix. */
export async function trendWeeks(db: Db, jobsetId: number, weeks: { week: string; start: Date; end: Date }[]): Promise<TrendWeek[]> {
  if (!weeks.length) return [];
  const sorted = [...weeks].sort((a, b) => a.start.getTime() - b.start.getTime());
  const contiguous = sorted.every((w, i) => i === 0 || w.start.getTime() === sorted[i - 1]!.end.getTime());
  if (!contiguous) return trendWeeksEach(db, jobsetId, weeks);
  // One pass over the jobset's breakages. With bounds T = [start of each week..., end of the last],
  // width_bucket(x, T) = i means x falls in week i (0: before, k+1: after); so "fixed in week i" is one
  // bucket, and "open at the end of week i" is opened before its end minus both opened and closed before it.
  const k = sorted.length;
  const bounds = `{${[...sorted.map((w) => w.start.toISOString()), sorted[k - 1]!.end.toISOString()].join(',')}}`;
  const t = sql`${bounds}::timestamptz[]`;
  // Part 1 counts the jobset's breakages by (week opened, fixed, bucket of closed_at) with one
  // hash aggregate (a few dozen groups); the buckets are summed here. `week` is the ISO week of
  // opened_at, so its bucket is found by name, and the bucket of greatest(opened, closed) is the
  // larger of the two: one width_bucket per row where three cost ~7 ms each on 22k rows.
  // Part 2 is the median time to fix, over the fixed breakages closed in the range only
  // (date_part gives float8 where extract gives numeric).
  // Preexisting breakages count as open (they are the backlog) and as fixed when closed, but never as
  // opened in a week, nor in the time to fix: their opening is when tracking began, not when they broke.
  const rows = await queryRows<{ part: number; week: string | null; fixed: boolean | null; pre: boolean | null; cb: number | null; n: string | number; median: string | number | null }>(db, sql`
    select 1 as part, bk.week, bk.state = 'fixed' as fixed, bk.preexisting as pre, width_bucket(bk.closed_at, ${t}) as cb, count(*) as n, null::float8 as median
    from breakages bk where bk.jobset_id = ${jobsetId} group by 2, 3, 4, 5
    union all
    select 2, null, true, null, width_bucket(bk.closed_at, ${t}), count(*),
      percentile_cont(0.5) within group (order by date_part('epoch', bk.closed_at - bk.opened_at)) filter (where not bk.preexisting)
    from breakages bk where bk.jobset_id = ${jobsetId} and bk.state = 'fixed'
      and bk.closed_at >= ${sorted[0]!.start.toISOString()}::timestamptz and bk.closed_at < ${sorted[k - 1]!.end.toISOString()}::timestamptz
    group by 5`);
  const index = new Map(sorted.map((w, i) => [w.week, i + 1]));
  // ISO week names ('2026-W48') sort as the weeks do.
  const bucketOfWeek = (week: string) => index.get(week) ?? (week < sorted[0]!.week ? 0 : k + 1);
  const opened = new Map<string, number>();
  const ob = new Array<number>(k + 2).fill(0);
  const cb = new Array<number>(k + 2).fill(0);
  const fixed = new Array<number>(k + 2).fill(0);
  const median = new Array<number | null>(k + 2).fill(null);
  for (const r of rows) {
    const n = Number(r.n);
    if (Number(r.part) === 1) {
      const o = bucketOfWeek(r.week!);
      if (!r.pre) opened.set(r.week!, (opened.get(r.week!) ?? 0) + n);
      ob[o]! += n;
      // Still open (no closed_at): open at the end of every week.
      cb[r.cb === null ? k + 1 : Math.max(Number(r.cb), o)]! += n;
    } else if (r.cb !== null) {
      fixed[Number(r.cb)] = n;
      median[Number(r.cb)] = r.median === null ? null : Number(r.median);
    }
  }
  const byWeek = new Map<string, TrendWeek>();
  let openedBefore = ob[0]!;
  let closedBefore = cb[0]!;
  sorted.forEach((w, idx) => {
    const i = idx + 1;
    openedBefore += ob[i]!;
    closedBefore += cb[i]!;
    const m = median[i]!;
    byWeek.set(w.week, {
      week: w.week, opened: opened.get(w.week) ?? 0, fixed: fixed[i]!, fixedInWeek: fixed[i]!, open: openedBefore - closedBefore,
      medianHoursToFix: m === null ? null : Math.round((m / 3600) * 100) / 100,
    });
  });
  return [...weeks].sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : 0)).map((w) => byWeek.get(w.week)!);
}

/** trendWeeks for weeks that do not follow one another: four counts per week. */
export async function trendWeeksEach(db: Db, jobsetId: number, weeks: { week: string; start: Date; end: Date }[]): Promise<TrendWeek[]> {
  const param = jsonParam(weeks.map((w) => ({ w: w.week, s: w.start.toISOString(), e: w.end.toISOString() })));
  const rows = await queryRows<{ week: string; opened: string | number; fixed: string | number; open: string | number; median: string | number | null }>(db, sql`
    select w.w as week,
      (select count(*) from breakages bk where bk.jobset_id = ${jobsetId} and bk.week = w.w and not bk.preexisting) as opened,
      (select count(*) from breakages bk where bk.jobset_id = ${jobsetId} and bk.state = 'fixed' and bk.closed_at >= w.s and bk.closed_at < w.e) as fixed,
      (select count(*) from breakages bk where bk.jobset_id = ${jobsetId} and bk.opened_at < w.e and (bk.closed_at is null or bk.closed_at >= w.e)) as open,
      (select percentile_cont(0.5) within group (order by extract(epoch from (bk.closed_at - bk.opened_at)))
        from breakages bk where bk.jobset_id = ${jobsetId} and bk.state = 'fixed' and not bk.preexisting and bk.closed_at >= w.s and bk.closed_at < w.e) as median
    from jsonb_to_recordset(${param}) as w(w text, s timestamptz, e timestamptz) order by w.w`);
  return rows.map((r) => ({
    week: r.week, opened: Number(r.opened), fixed: Number(r.fixed), fixedInWeek: Number(r.fixed), open: Number(r.open),
    medianHoursToFix: r.median === null ? null : Math.round((Number(r.median) / 3600) * 100) / 100,
  }));
}

/** Open breakages grouped by jobset, system and kind (for /metrics). */
export async function openBreakageCounts(db: Db): Promise<{ jobset: string; system: string; kind: string | null; n: number }[]> {
  const rows = await queryRows<{ project: string; name: string; system: string; kind: string | null; n: string | number }>(db, sql`
    select js.project, js.name, j.system, bk.kind, count(*) as n
    from breakages bk join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id
    where bk.state = 'open' group by 1, 2, 3, 4 order by 1, 2, 3, 4`);
  return rows.map((r) => ({ jobset: `${r.project}/${r.name}`, system: r.system, kind: r.kind, n: Number(r.n) }));
}
