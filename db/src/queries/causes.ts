/**
 * Root causes of dependency failures (SPEC section 8): what the collector resolves and stores.
 * The reads the API serves (rootCause, blocks, roots) are in `roots.ts`.
 */
import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, writeCount, type Db } from '../client.ts';
import { CLAIM_TTL_MS } from './breakages.ts';
import { buildKeySql, idArray } from './sql-fragments.ts';
import { pgTextArray } from './verdicts.ts';

export type CauseHow = 'propagated' | 'outputs' | 'none';


/**
 * Dependency-failed builds whose cause is not read yet, among the failures zhf shows: claimed
 * first, then this week's, then the rest of the open ones, newest first.
 */
export async function causeTargets(db: Db, a: { now: Date; currentWeek: string; limit: number }): Promise<number[]> {
  if (a.limit <= 0) return [];
  const cutoff = new Date(a.now.getTime() - CLAIM_TTL_MS).toISOString();
  const rows = await queryRows<{ build_id: string | number }>(db, sql`
    select bk.build_id,
      max(case when c.id is not null then 2 when bk.week = ${a.currentWeek} then 1 else 0 end) as rank,
      max(bk.opened_at) as opened
    from breakages bk
    left join claims c on c.breakage_id = bk.id and c.released_at is null and c.updated_at > ${cutoff}::timestamptz
    where bk.kind = 'dependency' and bk.build_id > 0 and (bk.state = 'open' or c.id is not null)
      and not exists (select 1 from build_causes bc where bc.build_id = bk.build_id)
    group by bk.build_id
    order by rank desc, opened desc, bk.build_id desc
    limit ${a.limit}`);
  return rows.map((r) => Number(r.build_id));
}

export interface CauseRow {
  buildId: number;
  causeBuildId: number | null;
  how: CauseHow;
  rootBuildId: number | null;
}

export async function causeRows(db: Db, ids: number[]): Promise<Map<number, CauseRow>> {
  if (!ids.length) return new Map();
  const rows = await queryRows<{ build_id: string | number; cause_build_id: string | number | null; how: CauseHow; root_build_id: string | number | null }>(db, sql`
    select build_id, cause_build_id, how, root_build_id from build_causes
    where build_id = any(${idArray(ids)})`);
  return new Map(rows.map((r) => [Number(r.build_id), {
    buildId: Number(r.build_id),
    causeBuildId: r.cause_build_id === null ? null : Number(r.cause_build_id),
    how: r.how,
    rootBuildId: r.root_build_id === null ? null : Number(r.root_build_id),
  }]));
}

/** Causes whose root is not known yet although one was named: chains to follow further. */
export async function unrootedCauses(db: Db, limit: number): Promise<CauseRow[]> {
  const rows = await queryRows<{ build_id: string | number }>(db, sql`
    select build_id from build_causes where root_build_id is null and cause_build_id is not null
    order by build_id desc limit ${limit}`);
  return [...(await causeRows(db, rows.map((r) => Number(r.build_id)))).values()];
}

export async function storeCauses(db: Db, rows: { buildId: number; causeBuildId: number | null; how: CauseHow }[]): Promise<void> {
  if (!rows.length) return;
  await db.execute(sql`
    insert into build_causes (build_id, cause_build_id, how)
    select (r->>'b')::bigint, (r->>'c')::bigint, r->>'h' from jsonb_array_elements(${jsonParam(rows.map((r) => ({ b: r.buildId, c: r.causeBuildId, h: r.how })))}) r
    on conflict (build_id) do update set cause_build_id = excluded.cause_build_id, how = excluded.how, root_build_id = null, root_key = null, resolved_at = now()`);
}

/** Sets the roots found; their keys follow from `refreshRootKeys`. */
export async function setRoots(db: Db, rows: { buildId: number; rootBuildId: number }[]): Promise<void> {
  if (!rows.length) return;
  await db.execute(sql`
    update build_causes bc set root_build_id = (r->>'r')::bigint
    from jsonb_array_elements(${jsonParam(rows.map((r) => ({ b: r.buildId, r: r.rootBuildId })))}) r
    where bc.build_id = (r->>'b')::bigint`);
}

/**
 * Recomputes every root's key (a root's derivation becomes known when its full record arrives
 * later): one statement over the resolved causes. Returns how many keys changed.
 */
export async function refreshRootKeys(db: Db): Promise<number> {
  return writeCount(db, sql`
    update build_causes bc set root_key = k.key
    from (select build_id, ${buildKeySql(sql`root_build_id`)} as key from build_causes where root_build_id is not null) k
    where bc.build_id = k.build_id and bc.root_key is distinct from k.key`);
}

export interface CauseBuildInfo {
  id: number;
  project: string;
  jobset: string;
  job: string;
  system: string;
  finished: boolean;
  status: number | null;
  drvpath: string;
}

/** What zhf knows of these builds: the tracked record, else the one read for a cause. */
export async function causeBuildInfo(db: Db, ids: number[]): Promise<Map<number, CauseBuildInfo>> {
  if (!ids.length) return new Map();
  const list = idArray(ids);
  const rows = await queryRows<{ id: string | number; project: string; jobset: string; job: string; system: string; finished: number; status: number | null; drvpath: string }>(db, sql`
    select b.id, js.project, js.name as jobset, j.name as job, j.system, b.finished, b.status, b.drvpath
    from builds b join jobs j on j.id = b.job_id join jobsets js on js.id = j.jobset_id
    where b.id = any(${list})
    union all
    select cb.id, cb.project, cb.jobset, cb.job, cb.system, cb.finished, cb.status, cb.drvpath
    from cause_builds cb where cb.id = any(${list}) and not exists (select 1 from builds b where b.id = cb.id)`);
  const out = new Map<number, CauseBuildInfo>();
  for (const r of rows) {
    out.set(Number(r.id), {
      id: Number(r.id), project: r.project, jobset: r.jobset, job: r.job, system: r.system,
      finished: Number(r.finished) === 1, status: r.status === null ? null : Number(r.status), drvpath: r.drvpath,
    });
  }
  return out;
}

/** Records builds named on the way to a root (from `/build/:id`, or copied from the tracked record). */
export async function storeCauseBuilds(db: Db, rows: CauseBuildInfo[]): Promise<void> {
  if (!rows.length) return;
  await db.execute(sql`
    insert into cause_builds (id, project, jobset, job, system, finished, status, drvpath)
    select (r->>'id')::bigint, r->>'project', r->>'jobset', r->>'job', r->>'system', (r->>'finished')::smallint, (r->>'status')::smallint, r->>'drvpath'
    from jsonb_array_elements(${jsonParam(rows.map((r) => ({ ...r, finished: r.finished ? 1 : 0 })))}) r
    on conflict (id) do update set project = excluded.project, jobset = excluded.jobset, job = excluded.job, system = excluded.system,
      finished = excluded.finished, status = excluded.status, drvpath = excluded.drvpath, checked_at = now()`);
}

/**
 * Tracked builds whose outputs include one of `paths` (a failed step that names no build): one
 * scan for a whole batch of steps. Returns path -> build id (the newest build when several).
 */
export async function buildsByOutputs(db: Db, paths: string[]): Promise<Map<string, number>> {
  if (!paths.length) return new Map();
  const list = pgTextArray(paths);
  const rows = await queryRows<{ path: string; id: string | number }>(db, sql`
    select distinct on (p.path) p.path, b.id from builds b
    cross join lateral unnest(b.outputs) as p(path)
    where b.outputs && ${list}::text[] and p.path = any(${list}::text[])
    order by p.path, b.id desc`);
  return new Map(rows.map((r) => [r.path, Number(r.id)]));
}
