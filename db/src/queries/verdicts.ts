import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { recountOutcomes } from './ingest.ts';
import {
  CATEGORIES, CONTINUING_CATEGORIES, categorySql, continuingCategory, hasVerdictSql, kindSql, outcomeOfCategory, outcomeSql,
  type Category, type Outcome,
} from '../verdict/index.ts';

/** Categories that can only occur where a job's run starts (a new build or a new job). */
const RUN_START_ONLY = new Set<Category>(CATEGORIES.filter((c) => c !== 'removed' && !CONTINUING_CATEGORIES.has(c)));

export interface EvalContext {
  id: number;
  jobsetId: number;
  project: string;
  jobset: string;
  repoUrl: string;
  revision: string | null;
  timestamp: Date;
  prevId: number | null;
  prevRevision: string | null;
  oldestId: number;
  newestId: number;
}

export async function evalContext(db: Db, evalId: number): Promise<EvalContext | null> {
  const [r] = await queryRows<{
    id: string; jobset_id: number; project: string; name: string; repo_url: string; revision: string | null; timestamp: string | Date;
    prev_id: string | null; prev_revision: string | null; oldest_id: string; newest_id: string;
  }>(db, sql`
    select e.id, e.jobset_id, js.project, js.name, js.repo_url, e.revision, e.timestamp,
      p.id as prev_id, p.revision as prev_revision,
      (select min(id) from evals where jobset_id = e.jobset_id) as oldest_id,
      (select max(id) from evals where jobset_id = e.jobset_id) as newest_id
    from evals e join jobsets js on js.id = e.jobset_id
    left join lateral (select id, revision from evals where jobset_id = e.jobset_id and id < e.id order by id desc limit 1) p on true
    where e.id = ${evalId}`);
  if (!r) return null;
  return {
    id: Number(r.id), jobsetId: r.jobset_id, project: r.project, jobset: r.name, repoUrl: r.repo_url, revision: r.revision,
    timestamp: new Date(r.timestamp), prevId: r.prev_id === null ? null : Number(r.prev_id), prevRevision: r.prev_revision,
    oldestId: Number(r.oldest_id), newestId: Number(r.newest_id),
  };
}

export interface JobRowFilters {
  categories?: Category[];
  systems?: string[];
  kinds?: ('direct' | 'dependency')[];
  /** Case-insensitive substring of the job name. */
  q?: string;
  /** Only these job names (exact). */
  jobs?: string[];
}

export interface JobRow {
  job: string;
  system: string;
  category: Category;
  /** Null while the job awaits its build in this eval (not identified yet: `awaiting`). */
  buildId: number | null;
  awaiting?: true;
  status: number | null;
  outcome: Outcome;
  kind: 'direct' | 'dependency' | null;
  baseline: { evalId: number; buildId: number; outcome: Outcome; revision: string | null } | null;
  range: { from: string; to: string; url: string } | null;
}

export interface RawRow {
  job: string; system: string; category: Category; build_id: string; status: number | null; outcome: Outcome;
  kind: 'direct' | 'dependency' | null; base_eval_id: string | null; base_build_id: string | null; base_outcome: Outcome | null;
  base_revision: string | null; total: string;
}

/**
 * The SQL producing SPEC section 3's rows for eval `ctx`, one per member job plus `removed`
 * rows. Membership is a range lookup on runs; only rows starting a run (or without a
 * verdict) need the lateral search for a baseline, so a steady eval stays cheap.
 */
/**
 * What filters allow deciding before any baseline is looked up: the outcomes the requested
 * categories need, the systems, and whether `removed` rows can match at all.
 */
function prefilter(f: JobRowFilters): { outcomes: Outcome[] | null; systems: string[] | null; removed: boolean } {
  const cats = f.categories?.length ? f.categories : null;
  let outcomes = cats ? [...new Set(cats.filter((c) => c !== 'removed').map((c) => outcomeOfCategory(c as Exclude<Category, 'removed'>)))] : null;
  if (f.kinds?.length) outcomes = (outcomes ?? ['failure']).filter((o) => o === 'failure');
  return { outcomes, systems: f.systems?.length ? f.systems : null, removed: !cats || cats.includes('removed') };
}

function rowsSql(ctx: EvalContext, onlyRunStarts: boolean, jobIds?: number[], f: JobRowFilters = {}): SQL {
  const E = ctx.id;
  const P = ctx.prevId;
  const scope = jobIds ? sql`and ms.job_id = any(${`{${jobIds.join(',')}}`}::int[])` : sql``;
  // Cheap conditions go in before the per-row baseline search, so it runs only where it can matter.
  const pre = prefilter(f);
  const early = sql.join([
    pre.outcomes ? sql`and ${outcomeSql('b')} = any(${pgTextArray(pre.outcomes)}::text[])` : sql``,
    pre.systems ? sql`and j.system = any(${pgTextArray(pre.systems)}::text[])` : sql``,
  ], sql` `);
  // A run continuing from an earlier eval is its own baseline; before the oldest eval nothing is known.
  const baseline = sql`coalesce(base.outcome, case when m.first_eval_id < ${E} then m.outcome else ${sql.raw(E === ctx.oldestId ? "'unknown'" : "'none'")} end)`;
  const startFilter = onlyRunStarts ? sql`and ms.first_eval_id = ${E} ${scope}` : sql`and ms.first_eval_id <= ${E} and (ms.last_eval_id is null or ms.last_eval_id >= ${E}) ${scope}`;
  const removed = P === null || !pre.removed ? sql`` : sql`
    union all
    select j.name as job, j.system, 'removed' as category, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind,
      null::bigint as base_eval_id, null::bigint as base_build_id, null as base_outcome, null as base_revision
    from memberships ms join jobs j on j.id = ms.job_id join builds b on b.id = ms.build_id
    where ms.jobset_id = ${ctx.jobsetId} and ms.last_eval_id = ${P} ${scope}
      and not exists (select 1 from memberships n where n.job_id = ms.job_id and n.first_eval_id = ${E})`;
  return sql`
    select job, system, category, build_id, status, outcome, kind, base_eval_id, base_build_id, base_outcome, base_revision from (
      select m.job, m.system, m.build_id, m.status, m.outcome, m.kind,
        ${categorySql(sql`m.outcome`, baseline)} as category,
        case when m.first_eval_id < ${E} and m.outcome in ('success', 'failure') then ${P}::bigint else base.eval_id end as base_eval_id,
        case when m.first_eval_id < ${E} and m.outcome in ('success', 'failure') then m.build_id else base.build_id end as base_build_id,
        case when m.first_eval_id < ${E} and m.outcome in ('success', 'failure') then m.outcome else base.outcome end as base_outcome,
        case when m.first_eval_id < ${E} and m.outcome in ('success', 'failure') then ${ctx.prevRevision}::text else base.revision end as base_revision
      from (
        select ms.job_id, ms.first_eval_id, j.name as job, j.system, b.id as build_id, b.status,
          ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
        from memberships ms join jobs j on j.id = ms.job_id join builds b on b.id = ms.build_id
        where ms.jobset_id = ${ctx.jobsetId} ${startFilter} ${early}
      ) m
      ${E === ctx.oldestId
        // Nothing precedes the oldest eval: no baseline to look for (250k probes saved).
        ? sql`left join (select null::bigint as build_id, null::bigint as eval_id, null::text as outcome, null::text as revision) base on false`
        : sql`left join lateral (
        select pm.build_id, pm.last_eval_id as eval_id, ${outcomeSql('pb')} as outcome, pe.revision
        from memberships pm join builds pb on pb.id = pm.build_id join evals pe on pe.id = pm.last_eval_id
        where (m.first_eval_id = ${E} or m.outcome in ('pending', 'infra'))
          and pm.job_id = m.job_id and pm.first_eval_id < m.first_eval_id and ${hasVerdictSql('pb')}
        order by pm.first_eval_id desc limit 1
      ) base on true`}
    ) r
    ${removed}`;
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function filterSql(f: JobRowFilters, cursor: string | null): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.categories?.length) parts.push(sql`category = any(${`{${f.categories.join(',')}}`}::text[])`);
  if (f.systems?.length) parts.push(sql`system = any(${pgTextArray(f.systems)}::text[])`);
  if (f.kinds?.length) parts.push(sql`kind = any(${pgTextArray(f.kinds)}::text[])`);
  if (f.q) parts.push(sql`job ilike ${likePattern(f.q)}`);
  if (f.jobs) parts.push(sql`job = any(${pgTextArray(f.jobs)}::text[])`);
  if (cursor !== null) parts.push(sql`job > ${cursor}`);
  return sql.join(parts, sql` and `);
}

/** A Postgres text[] literal with every element quoted, so commas and quotes in names are safe. */
export function pgTextArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

export function toRow(r: RawRow, ctx: EvalContext): JobRow {
  const baseline = r.base_eval_id === null ? null : {
    evalId: Number(r.base_eval_id), buildId: Number(r.base_build_id), outcome: r.base_outcome!, revision: r.base_revision,
  };
  const ranged = (r.category === 'new_failure' || r.category === 'fixed') && baseline?.revision && ctx.revision;
  return {
    // A placeholder (negative id) stands for a build of the eval not identified yet.
    job: r.job, system: r.system, category: r.category, buildId: Number(r.build_id) < 0 ? null : Number(r.build_id),
    ...(Number(r.build_id) < 0 ? { awaiting: true as const } : {}), status: r.status, outcome: r.outcome, kind: r.kind,
    baseline,
    range: ranged ? commitRange(ctx.repoUrl, baseline!.revision!, ctx.revision!) : null,
  };
}

export function commitRange(repoUrl: string, from: string, to: string) {
  return { from, to, url: `${repoUrl.replace(/\.git$/, '').replace(/\/+$/, '')}/compare/${from}...${to}` };
}

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

/**
 * Rows of eval `ctx`, filtered, ordered by job name, paged by cursor (the last job name).
 * Categories that only occur at run starts (or `removed`) come from small index ranges.
 * Anything else walks the jobset's jobs in name order, a chunk at a time sized by the
 * filter's expected selectivity, until a page is full: a page costs what it shows, not the
 * eval's 250k members. Totals come from the eval's stored breakdown; only a text or name
 * filter counts rows, over the jobs that match it.
 */
export async function evalJobRows(db: Db, ctx: EvalContext, f: JobRowFilters, cursor: string | null, limit: number): Promise<Page<JobRow>> {
  const onlyRunStarts = !!f.categories?.length && f.categories.every((c) => RUN_START_ONLY.has(c));
  const onlyRemoved = !!f.categories?.length && f.categories.every((c) => c === 'removed');
  if (onlyRunStarts || onlyRemoved) return pageOfSource(db, ctx, onlyRemoved ? removedOnlySql(ctx) : rowsSql(ctx, true, undefined, f), f, cursor, limit);

  const byName = !!f.q || !!f.jobs;
  const known = byName ? null : await breakdownTotal(db, ctx, f);
  if (known === 0) return { items: [], total: 0, nextCursor: null };
  const members = Math.max(1, known === null ? 1 : await memberCount(db, ctx));
  const selectivity = known === null ? 0.05 : Math.max(known / members, 0.001);
  let chunk = Math.min(50_000, Math.max(1_000, Math.ceil(((limit + 1) / selectivity) * 1.2)));
  const jobFilter = (after: string | null) => {
    const parts: SQL[] = [sql`jobset_id = ${ctx.jobsetId}`];
    if (after !== null) parts.push(sql`name > ${after}`);
    if (f.systems?.length) parts.push(sql`system = any(${pgTextArray(f.systems)}::text[])`);
    if (f.q) parts.push(sql`name ilike ${likePattern(f.q)}`);
    if (f.jobs) parts.push(sql`name = any(${pgTextArray(f.jobs)}::text[])`);
    return sql.join(parts, sql` and `);
  };
  const found: RawRow[] = [];
  let after = cursor;
  for (;;) {
    const jobs = await queryRows<{ id: number; name: string }>(db, sql`
      select id, name from jobs where ${jobFilter(after)} order by name limit ${chunk}`);
    if (!jobs.length) break;
    const rows = await queryRows<RawRow>(db, sql`
      select * from (${rowsSql(ctx, false, jobs.map((j) => j.id), f)}) s where ${filterSql(f, null)} order by job limit ${limit + 1 - found.length}`);
    found.push(...rows);
    if (found.length > limit || jobs.length < chunk) break;
    after = jobs[jobs.length - 1]!.name;
    chunk = Math.min(chunk * 2, 100_000);
  }
  let total = known;
  if (total === null) {
    const ids = await queryRows<{ id: number }>(db, sql`select id from jobs where ${jobFilter(null)}`);
    const [c] = ids.length
      ? await queryRows<{ n: string }>(db, sql`select count(*) as n from (${rowsSql(ctx, false, ids.map((j) => j.id), f)}) s where ${filterSql(f, null)}`)
      : [{ n: '0' }];
    total = Number(c?.n ?? 0);
  }
  const items = found.slice(0, limit).map((r) => toRow(r, ctx));
  return { items, total, nextCursor: found.length > limit ? items[items.length - 1]!.job : null };
}

/**
 * One page of a small row source (a query producing RawRow columns), filtered and ordered by
 * job, with its total: a window count on the first page, a separate count past it (the
 * window would run after the cursor cut).
 */
export async function pageOfSource(db: Db, ctx: EvalContext, source: SQL, f: JobRowFilters, cursor: string | null, limit: number): Promise<Page<JobRow>> {
  const rows = await queryRows<RawRow>(db, sql`
    select *, count(*) over () as total from (select * from (${source}) s where ${filterSql(f, null)}) f
    where ${cursor === null ? sql`true` : sql`job > ${cursor}`}
    order by job limit ${limit + 1}`);
  let total = rows.length ? Number(rows[0]!.total) : 0;
  if (cursor !== null) {
    const [c] = await queryRows<{ n: string }>(db, sql`select count(*) as n from (${source}) s where ${filterSql(f, null)}`);
    total = Number(c?.n ?? 0);
  }
  const items = rows.slice(0, limit).map((r) => toRow(r, ctx));
  return { items, total, nextCursor: rows.length > limit ? items[items.length - 1]!.job : null };
}

/**
 * Rows of the eval matching category/system/kind filters, from its stored breakdown. A read
 * never writes: stats are stored at ingest, and missing or stale ones are computed, not saved.
 */
async function breakdownTotal(db: Db, ctx: EvalContext, f: JobRowFilters): Promise<number> {
  const [row] = await queryRows<{ breakdown: unknown; stale: boolean }>(db, sql`select breakdown, stale from eval_stats where eval_id = ${ctx.id}`);
  const cells = row && !row.stale
    ? (typeof row.breakdown === 'string' ? JSON.parse(row.breakdown) : row.breakdown) as EvalCounts['breakdown']
    : (await computeEvalCounts(db, ctx)).breakdown;
  return cells
    .filter((x) => (!f.categories?.length || f.categories.includes(x.c)) && (!f.systems?.length || f.systems.includes(x.s))
      && (!f.kinds?.length || (x.k !== null && f.kinds.includes(x.k))))
    .reduce((n, x) => n + x.n, 0);
}

async function memberCount(db: Db, ctx: EvalContext): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`select build_count as n from evals where id = ${ctx.id}`);
  return r?.n ?? 0;
}

function removedOnlySql(ctx: EvalContext): SQL {
  if (ctx.prevId === null) return sql`select null::text as job, null::text as system, null::text as category, null::bigint as build_id, null::int as status, null::text as outcome, null::text as kind, null::bigint as base_eval_id, null::bigint as base_build_id, null::text as base_outcome, null::text as base_revision where false`;
  return sql`
    select j.name as job, j.system, 'removed' as category, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind,
      null::bigint as base_eval_id, null::bigint as base_build_id, null::text as base_outcome, null::text as base_revision
    from memberships ms join jobs j on j.id = ms.job_id join builds b on b.id = ms.build_id
    where ms.jobset_id = ${ctx.jobsetId} and ms.last_eval_id = ${ctx.prevId}
      and not exists (select 1 from memberships n where n.job_id = ms.job_id and n.first_eval_id = ${ctx.id})`;
}

export interface EvalCounts {
  counts: Partial<Record<Category, number>>;
  countsBySystem: Record<string, Partial<Record<Category, number>>>;
  /** Member builds whose outcome is a failure, by kind (removed rows excluded). */
  failingByKind: { direct: number; dependency: number };
  /** Row counts by category, system and kind: the total of any filter combination. */
  breakdown: { c: Category; s: string; k: 'direct' | 'dependency' | null; n: number }[];
  pending: number;
}

type Cell = EvalCounts['breakdown'][number];

async function hasOutcomes(db: Db, evalId: number): Promise<boolean> {
  const [has] = await queryRows<{ ok: boolean }>(db, sql`select exists (select 1 from eval_outcomes where eval_id = ${evalId}) as ok`);
  return !!has?.ok;
}

/**
 * Category counts of an eval without scanning all its members: rows that start a run (and
 * `removed` rows) are categorised one by one; every other member kept the build it had in
 * the previous eval, so its category follows from its outcome alone, and those are counted
 * from the eval's outcome histogram (eval_outcomes) minus the run starts. Read-only: an eval
 * without a histogram is counted by a scan of its rows.
 */
export async function computeEvalCounts(db: Db, ctx: EvalContext): Promise<EvalCounts> {
  if (!(await hasOutcomes(db, ctx.id))) {
    const scanned = await queryRows<{ c: Category; s: string; k: Cell['k']; n: string }>(db, sql`
      select category as c, system as s, kind as k, count(*) as n from (${rowsSql(ctx, false)}) r group by 1, 2, 3`);
    return countsOf(scanned.map((r) => ({ ...r, n: Number(r.n) })));
  }
  const starts = await queryRows<{ system: string; category: Category; outcome: Outcome; kind: 'direct' | 'dependency' | null; n: string }>(db, sql`
    select system, category, outcome, kind, count(*) as n from (${rowsSql(ctx, true)}) r group by 1, 2, 3, 4`);
  const histogram = await queryRows<{ system: string; outcome: Outcome; kind: string; n: number }>(db, sql`
    select system, outcome, kind, n from eval_outcomes where eval_id = ${ctx.id} and n <> 0`);
  const key = (s: string, o: string, k: string | null) => `${s}\u0000${o}\u0000${k ?? ''}`;
  const continuing = new Map<string, { system: string; outcome: Outcome; kind: string; n: number }>();
  for (const h of histogram) continuing.set(key(h.system, h.outcome, h.kind), { ...h, n: Number(h.n) });
  const cells = new Map<string, { c: Category; s: string; k: 'direct' | 'dependency' | null; n: number }>();
  const add = (c: Category, s: string, k: 'direct' | 'dependency' | null, n: number) => {
    if (n === 0) return;
    const id = key(s, c, k);
    const cell = cells.get(id) ?? cells.set(id, { c, s, k, n: 0 }).get(id)!;
    cell.n += n;
  };
  for (const r of starts) {
    const n = Number(r.n);
    add(r.category, r.system, r.kind, n);
    if (r.category === 'removed') continue;
    const h = continuing.get(key(r.system, r.outcome, r.kind));
    if (h) h.n -= n;
  }
  for (const h of continuing.values()) add(continuingCategory(h.outcome), h.system, (h.kind || null) as 'direct' | 'dependency' | null, h.n);
  return countsOf([...cells.values()]);
}

/** An eval's counts from its (category, system, kind) cells. */
function countsOf(cells: Cell[]): EvalCounts {
  const counts: Partial<Record<Category, number>> = {};
  const countsBySystem: Record<string, Partial<Record<Category, number>>> = {};
  const failingByKind = { direct: 0, dependency: 0 };
  const breakdown = cells.filter((c) => c.n !== 0).sort((a, b) => a.c.localeCompare(b.c) || a.s.localeCompare(b.s) || String(a.k).localeCompare(String(b.k)));
  for (const { c, s, k, n } of breakdown) {
    counts[c] = (counts[c] ?? 0) + n;
    const sys = (countsBySystem[s] ??= {});
    sys[c] = (sys[c] ?? 0) + n;
    if (k && c !== 'removed') failingByKind[k] += n;
  }
  return { counts, countsBySystem, failingByKind, breakdown, pending: counts.pending ?? 0 };
}

/** The same counts from a full scan of the eval's rows: the reference the incremental path is tested against. */
export async function computeEvalCountsByScan(db: Db, ctx: EvalContext): Promise<Partial<Record<Category, number>>> {
  const rows = await queryRows<{ category: Category; n: string }>(db, sql`
    select category, count(*) as n from (${rowsSql(ctx, false)}) r group by 1`);
  return Object.fromEntries(rows.map((r) => [r.category, Number(r.n)]));
}

/** Stores fresh counts for the given evals (all stale ones of the jobset when `evalIds` is omitted). */
export async function refreshEvalStats(db: Db, jobsetId: number, evalIds?: number[]): Promise<number> {
  const ids = evalIds ?? (await queryRows<{ id: string }>(db, sql`
    select e.id from evals e left join eval_stats s on s.eval_id = e.id
    where e.jobset_id = ${jobsetId} and (s.eval_id is null or s.stale) order by e.id`)).map((r) => Number(r.id));
  for (const id of ids) {
    const ctx = await evalContext(db, id);
    if (!ctx) continue;
    // Repairs a missing histogram first, so this eval and later ones count incrementally.
    if (!(await hasOutcomes(db, id))) await recountOutcomes(db, jobsetId, id);
    const c = await computeEvalCounts(db, ctx);
    await db.execute(sql`
      insert into eval_stats (eval_id, counts, counts_by_system, failing_by_kind, breakdown, pending, stale, computed_at)
      values (${id}, ${JSON.stringify(c.counts)}::jsonb, ${JSON.stringify(c.countsBySystem)}::jsonb, ${JSON.stringify(c.failingByKind)}::jsonb,
        ${JSON.stringify(c.breakdown)}::jsonb, ${c.pending}, false, now())
      on conflict (eval_id) do update set counts = excluded.counts, counts_by_system = excluded.counts_by_system,
        failing_by_kind = excluded.failing_by_kind, breakdown = excluded.breakdown, pending = excluded.pending, stale = false, computed_at = now()`);
  }
  return ids.length;
}

/** Marks as stale every eval of the jobset from `fromEvalId` on (a build state change reaches later baselines). */
export async function markStatsStale(db: Db, jobsetId: number, fromEvalId: number): Promise<void> {
  await db.execute(sql`
    update eval_stats s set stale = true from evals e
    where e.id = s.eval_id and e.jobset_id = ${jobsetId} and e.id >= ${fromEvalId}`);
}

/** Every row of the eval matching `f`, from one full scan: the reference paging is tested against. */
export async function evalJobRowsByScan(db: Db, ctx: EvalContext, f: JobRowFilters): Promise<JobRow[]> {
  const rows = await queryRows<RawRow>(db, sql`select * from (${rowsSql(ctx, false)}) s where ${filterSql(f, null)} order by job`);
  return rows.map((r) => toRow(r, ctx));
}
