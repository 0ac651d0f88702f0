/**
 * Roots (SPEC section 8): the direct failures behind dependency failures, most blocking first.
 * A root is a key (`buildKeySql`: the root build's derivation), so the same derivation failing in
 * several tracked jobsets is one root; its breakage is the one matching the filters.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import {
  activeClaimJoin, attributionJoin, breakageColumns, rootCandidatesSql, rootJoins, toView,
  type BreakageCtx, type BreakageFilters, type BreakageView, type RawBreakage,
} from './breakages.ts';
import { kindSql } from '../verdict/index.ts';
import { intArray } from './sql-fragments.ts';
import { pgTextArray } from './verdicts.ts';

export interface BlockedJob {
  job: string;
  jobset: string;
  system: string;
  breakageId: number;
}

export interface RootView {
  breakage: BreakageView;
  blocks: number;
  /** The first 50 blocked jobs, by jobset and job name. */
  blocked: BlockedJob[];
  /** Every tracked jobset where this root fails or blocks a job. */
  jobsets: string[];
}

/** Keyset position: blocks (descending), then the root breakage's id. */
export type RootCursor = [number, number];

export function validRootCursor(c: unknown): c is RootCursor {
  return Array.isArray(c) && c.length === 2 && c.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
    && (c[1] as number) <= 2 ** 31 - 1;
}

/** The root breakage's filters; `claimed` and `q` apply to the root itself, not to what it blocks. */
export type RootFilters = Pick<BreakageFilters, 'jobsetId' | 'week' | 'systems' | 'states' | 'maintainer' | 'team' | 'claimed' | 'q'>;

export const BLOCKED_SHOWN = 50;

/**
 * Roots matching the filters (applied to the root's own breakage), most blocking first. A root's
 * breakages are the breakages of the root builds' jobs; of several (one per jobset) the open,
 * newest one in the filter is shown.
 */
export async function listRoots(
  db: Db, ctx: BreakageCtx, f: RootFilters, cursor: RootCursor | null, limit: number,
): Promise<{ items: RootView[]; total: number; nextCursorKey: RootCursor | null }> {
  const candidates = rootCandidatesSql({ ...f, sort: 'job' }, ctx.now);
  // One statement: the candidates (the costly part) are computed once for the count and the page.
  const after = cursor === null ? sql`true` : sql`(cand.n < ${cursor[0]} or (cand.n = ${cursor[0]} and cand.id > ${cursor[1]}))`;
  const page = await queryRows<{ root_key: string | null; n: string | number | null; id: number | null; total: string | number }>(db, sql`
    ${candidates}, counted as (select count(*) as total from cand)
    select p.root_key, p.n, p.id, counted.total from counted
    left join lateral (select root_key, n, id from cand where ${after} order by n desc, id limit ${limit + 1}) p on true
    order by p.n desc, p.id`);
  const total = Number(page[0]?.total ?? 0);
  if (total === 0 || page[0]?.id == null) return { items: [], total, nextCursorKey: null };
  const shown = page.slice(0, limit) as { root_key: string; n: string | number; id: number }[];
  if (!shown.length) return { items: [], total, nextCursorKey: null };
  const ids = shown.map((r) => r.id);
  const keyList = pgTextArray(shown.map((r) => r.root_key));
  // The page's breakages, and (one statement) what the shown roots block and where: both at once.
  // A root breakage's `blocks` is counted from the same dependents as its blocked list: the
  // breakage's build has the root's key, so these are the rows `rootJoins` would count.
  const [rows, details] = await Promise.all([
    queryRows<RawBreakage>(db, sql`
      select ${breakageColumns}
      from breakages bk join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id
      ${activeClaimJoin(ctx.now)} ${attributionJoin} ${rootJoins(ctx.now, { blocks: false })}
      where bk.id = any(${intArray(ids)})`),
    // Rows name their root by its place in `shown` (1-based), not by its long key.
    queryRows<{ what: 'blocked' | 'jobset' | 'blocks'; root: number; job: string | null; jobset: string | null; system: string | null; breakage_id: number | null; rn: string | number | null }>(db, sql`
      with shown as (select * from unnest(${intArray(ids)}, ${keyList}::text[]) with ordinality as s(id, root_key, i)),
      dep as materialized (
        select s.i, s.id as root_id, d.id, d.job_id, d.jobset_id
        from shown s join build_causes bc on bc.root_key = s.root_key
        join breakages d on d.build_id = bc.build_id and d.state = 'open' and d.kind = 'dependency'
      )
      select 'blocked' as what, i::int as root, job, jobset, system, breakage_id, rn from (
        select dep.i, j.name as job, js.project || '/' || js.name as jobset, j.system, dep.id as breakage_id,
          row_number() over (partition by dep.i order by js.project, js.name, j.name, dep.id) as rn
        from dep join jobs j on j.id = dep.job_id join jobsets js on js.id = dep.jobset_id
      ) x where rn <= ${BLOCKED_SHOWN}
      union all
      select 'jobset', i::int, null, jobset, null, null, null from (
        select dep.i, js.project || '/' || js.name as jobset from dep join jobsets js on js.id = dep.jobset_id
        union
        select rb.i, js.project || '/' || js.name
        from (select distinct s.i, bc.root_build_id from shown s join build_causes bc on bc.root_key = s.root_key) rb
        join builds rbb on rbb.id = rb.root_build_id join jobs j on j.id = rbb.job_id join jobsets js on js.id = j.jobset_id
        union
        select s.i, js.project || '/' || js.name
        from shown s join builds fb on fb.drvpath = s.root_key and fb.status <> 0
        join jobs j on j.id = fb.job_id join jobsets js on js.id = j.jobset_id
      ) w
      union all
      select 'blocks', s.i::int, null, null, null, s.id, count(x.job_id)
      from shown s left join (select distinct dep.i, dep.jobset_id, dep.job_id from dep where dep.id <> dep.root_id) x on x.i = s.i
      group by s.i, s.id`),
  ]);
  const blocks = new Map(details.filter((d) => d.what === 'blocks').map((d) => [d.breakage_id!, Number(d.rn)]));
  const views = new Map(rows.map((r) => [r.id, { ...toView(r, ctx.hydraUrl), blocks: blocks.get(r.id) ?? 0 }]));
  // Grouped by root once (a page of 100 roots has a few thousand rows).
  const blocked = new Map<number, { rn: number; job: BlockedJob }[]>();
  const jobsets = new Map<number, Set<string>>();
  for (const d of details) {
    if (d.what === 'blocked') {
      const list = blocked.get(d.root) ?? [];
      list.push({ rn: Number(d.rn), job: { job: d.job!, jobset: d.jobset!, system: d.system!, breakageId: d.breakage_id! } });
      blocked.set(d.root, list);
    } else if (d.what === 'jobset') {
      jobsets.set(d.root, (jobsets.get(d.root) ?? new Set()).add(d.jobset!));
    }
  }
  const items: RootView[] = [];
  for (const [i, r] of shown.entries()) {
    const breakage = views.get(r.id);
    if (!breakage) continue;
    items.push({
      breakage,
      blocks: Number(r.n),
      blocked: (blocked.get(i + 1) ?? []).sort((a, b) => a.rn - b.rn).map((b) => b.job),
      jobsets: [...(jobsets.get(i + 1) ?? [])].sort(),
    });
  }
  const last = shown[shown.length - 1]!;
  return { items, total, nextCursorKey: page.length > limit ? [Number(last.n), last.id] : null };
}

/** How many distinct roots there are among open dependency failures now (trends, overview). */
export async function countRoots(db: Db, jobsetId?: number): Promise<{ roots: number; blocked: number }> {
  const [r] = await queryRows<{ roots: string | number; blocked: string | number }>(db, sql`
    select count(distinct bc.root_key) as roots, count(distinct (d.jobset_id, d.job_id)) as blocked
    from build_causes bc join breakages d on d.build_id = bc.build_id and d.state = 'open' and d.kind = 'dependency'
    where bc.root_key is not null ${jobsetId === undefined ? sql`` : sql`and d.jobset_id = ${jobsetId}`}`);
  return { roots: Number(r?.roots ?? 0), blocked: Number(r?.blocked ?? 0) };
}

export interface EvalRootCounts {
  /** The eval's members that are dependency failures now. */
  dependency: number;
  /** Of those, the ones whose root is known. */
  traced: number;
  /** Distinct roots they trace back to. */
  roots: number;
}

/** How an eval's dependency failures trace back to roots (the eval page's line, SPEC section 8). */
export async function evalRootCounts(db: Db, evalId: number): Promise<EvalRootCounts> {
  const [d] = await queryRows<{ n: string | number | null }>(db, sql`
    select sum(n) as n from eval_outcomes where eval_id = ${evalId} and outcome = 'failure' and kind = 'dependency'`);
  // From the causes (a few thousand) to their memberships, one index probe each (`offset 0` keeps
  // the planner from turning it into a hash join over the eval's 250k runs).
  const [r] = await queryRows<{ traced: string | number; roots: string | number }>(db, sql`
    select count(*) as traced, count(distinct bc.root_key) as roots
    from build_causes bc
    join builds b on b.id = bc.build_id and ${kindSql('b')} = 'dependency'
    where bc.root_key is not null and exists (
      select 1 from memberships m where m.build_id = bc.build_id and m.jobset_id = (select jobset_id from evals where id = ${evalId})
        and m.first_eval_id <= ${evalId} and (m.last_eval_id is null or m.last_eval_id >= ${evalId}) offset 0)`);
  return { dependency: Number(d?.n ?? 0), traced: Number(r?.traced ?? 0), roots: Number(r?.roots ?? 0) };
}
