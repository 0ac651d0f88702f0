/** Trends: per-eval and per-week series, with the roots each eval counted. */
import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { evalViews } from './evals.ts';
import { FAILING_CATEGORIES } from '../verdict/index.ts';

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
    for (const [system, counts] of Object.entries(v.countsBySystem)) bySystem[system] = FAILING_CATEGORIES.reduce((s, c) => s + (counts[c] ?? 0), 0);
    return {
      evalId: v.id, timestamp: v.timestamp, failing: FAILING_CATEGORIES.reduce((s, c) => s + (v.counts[c] ?? 0), 0),
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
