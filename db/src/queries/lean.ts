/**
 * Membership without full build records (issue 17). An eval's member ids come from `/eval/:id`;
 * a member build not stored yet is an *unresolved member* until `/api/latestbuilds` (finished
 * builds, short shape) or `/build/:id` names its job. A job whose previous build left the eval
 * while unresolved members remain is *awaiting*: it holds a placeholder build (negative id,
 * unfinished, so its outcome is `pending`) until its new build is resolved. Resolving rewrites
 * the job's runs where the placeholder (or nothing) stood, and moves the evals' outcome
 * histograms by exactly the difference.
 */
import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { idArray, intArray } from './sql-fragments.ts';
import { failedSql, kindSql, outcomeSql } from '../verdict/index.ts';

/** A finished build as `/api/latestbuilds` names it. */
export interface ShortBuild {
  id: number;
  job: string;
  system: string;
  finished: number;
  status: number | null;
  nixname: string | null;
  timestamp: number | null;
}

/** Remembers the eval's member ids that are not stored yet. */
export async function storeUnresolved(tx: Db, jobsetId: number, evalId: number, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50_000) {
    await tx.execute(sql`
      insert into unresolved_members (eval_id, build_id, jobset_id)
      select ${evalId}::bigint, x, ${jobsetId}::int from unnest(${idArray(ids.slice(i, i + 50_000))}) as x
      on conflict do nothing`);
  }
}

/** The jobset's unresolved member build ids (each once), newest first. */
export async function unresolvedIds(db: Db, jobsetId: number): Promise<number[]> {
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select distinct build_id as id from unresolved_members where jobset_id = ${jobsetId} order by build_id desc`);
  return rows.map((r) => Number(r.id));
}

/** How many of an eval's members are stored with their full record. */
export async function evalProgress(db: Db, evalId: number): Promise<{ known: number; total: number; unresolved: number }> {
  const [r] = await queryRows<{ total: number; unresolved: number; short: number }>(db, sql`
    select e.build_count as total,
      (select count(*)::int from unresolved_members u where u.eval_id = e.id) as unresolved,
      (select count(*)::int from memberships m join builds b on b.id = m.build_id
        where m.jobset_id = e.jobset_id and m.first_eval_id <= e.id and (m.last_eval_id is null or m.last_eval_id >= e.id)
          and not b.detailed and b.id > 0) as short
    from evals e where e.id = ${evalId}`);
  if (!r) return { known: 0, total: 0, unresolved: 0 };
  return { known: Math.max(0, r.total - r.unresolved - r.short), total: r.total, unresolved: r.unresolved };
}

/**
 * Builds whose full record is still wanted: unresolved members first (naming them settles which
 * awaiting job is still in the eval), then short records, failures first (flakiness and logs
 * need their derivation); newest first.
 */
export async function buildsWantingDetails(db: Db, jobsetId: number, limit: number): Promise<number[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select id from (
      select b.id, (case when b.finished = 1 and b.status <> 0 then 1 else 2 end) as rank
      from builds b join jobs j on j.id = b.job_id
      where not b.detailed and b.id > 0 and j.jobset_id = ${jobsetId}
      union all
      select distinct u.build_id, 0 from unresolved_members u where u.jobset_id = ${jobsetId}
    ) x order by rank, id desc limit ${limit}`);
  return rows.map((r) => Number(r.id));
}

/**
 * New state of stored builds from short rows (a build we hold unfinished that finished, or a
 * restarted one that finished again). Derivation and outputs stay as stored. Returns the
 * builds whose (finished, status) changed, with their old state.
 */
export async function applyShortStates(tx: Db, rows: ShortBuild[]): Promise<{ id: number; jobId: number; inserted: false; oldFinished: number | null; oldStatus: number | null }[]> {
  if (!rows.length) return [];
  const out = await queryRows<{ id: string | number; job_id: number; old_finished: number; old_status: number | null }>(tx, sql`
    with x as (select * from jsonb_to_recordset(${jsonParam(rows.map((r) => ({ id: r.id, finished: r.finished, status: r.status })))})
      as x(id bigint, finished smallint, status smallint)),
    old as (select b.id, b.finished, b.status from builds b where b.id in (select id from x)),
    up as (
      update builds b set finished = x.finished, status = x.status, checked_at = now(),
        seen_success = b.seen_success or (x.finished = 1 and x.status = 0),
        seen_failure = b.seen_failure or ${failedSql('x')}
      from x where b.id = x.id and b.id > 0 and (b.finished, b.status) is distinct from (x.finished, x.status)
      returning b.id, b.job_id)
    select up.id, up.job_id, old.finished as old_finished, old.status as old_status from up join old on old.id = up.id`);
  return out.map((r) => ({ id: Number(r.id), jobId: r.job_id, inserted: false as const, oldFinished: r.old_finished, oldStatus: r.old_status }));
}

/**
 * Builds Hydra's queue lists that we hold finished (restarted, or re-pointed to a new
 * derivation): unfinished again, their old status kept as Hydra keeps it until the rebuild
 * ends. Returns the builds that changed, with their old state.
 */
export async function markQueued(tx: Db, ids: number[]): Promise<{ id: number; jobId: number; inserted: false; oldFinished: number | null; oldStatus: number | null }[]> {
  if (!ids.length) return [];
  const out = await queryRows<{ id: string | number; job_id: number; status: number | null }>(tx, sql`
    update builds b set finished = 0, checked_at = now()
    where b.id = any(${idArray(ids)}) and b.id > 0 and b.finished = 1
    returning b.id, b.job_id, b.status`);
  return out.map((r) => ({ id: Number(r.id), jobId: r.job_id, inserted: false as const, oldFinished: 1, oldStatus: r.status }));
}

/** One job's member build in one eval: a build id, or null for "not a member". */
export interface MemberAssignment {
  jobId: number;
  evalId: number;
  buildId: number | null;
}

export interface MemberRewrite {
  /** Jobs whose runs changed. */
  jobIds: number[];
  /** Evals whose members changed (their categories must be recomputed). */
  evalIds: number[];
}

/**
 * Sets jobs' member builds in given evals, rewriting their runs (a run ends at the newest eval
 * as an open run) and moving the evals' outcome histograms by the difference. `decide` sees
 * the current build (null: not a member) and returns the new one. Call inside a transaction.
 */
export async function rewriteMembers(
  tx: Db, jobsetId: number, wanted: { jobId: number; evalId: number; buildId: number | null }[],
  decide: (current: number | null, wanted: number | null) => number | null = (_c, w) => w,
): Promise<MemberRewrite> {
  if (!wanted.length) return { jobIds: [], evalIds: [] };
  const evalRows = await queryRows<{ id: string | number }>(tx, sql`select id from evals where jobset_id = ${jobsetId} order by id`);
  const evalIds = evalRows.map((r) => Number(r.id));
  const pos = new Map(evalIds.map((id, i) => [id, i]));
  const jobs = [...new Set(wanted.map((w) => w.jobId))];
  const runRows = await queryRows<{ job_id: number; build_id: string | number; first_eval_id: string | number; last_eval_id: string | number | null }>(tx, sql`
    select job_id, build_id, first_eval_id, last_eval_id from memberships where jobset_id = ${jobsetId} and job_id = any(${intArray(jobs)})`);
  // Per job: eval position -> build.
  const byJob = new Map<number, Map<number, number>>();
  for (const j of jobs) byJob.set(j, new Map());
  for (const r of runRows) {
    const m = byJob.get(r.job_id)!;
    const from = pos.get(Number(r.first_eval_id));
    const to = r.last_eval_id === null ? evalIds.length - 1 : pos.get(Number(r.last_eval_id));
    if (from === undefined || to === undefined) continue;
    for (let i = from; i <= to; i++) m.set(i, Number(r.build_id));
  }
  const deltas: { eval_id: number; old_id: number | null; new_id: number | null }[] = [];
  const changedJobs = new Set<number>();
  const changedEvals = new Set<number>();
  for (const w of wanted) {
    const i = pos.get(w.evalId);
    if (i === undefined) continue;
    const m = byJob.get(w.jobId)!;
    const current = m.get(i) ?? null;
    const next = decide(current, w.buildId);
    if (next === current) continue;
    if (next === null) m.delete(i);
    else m.set(i, next);
    deltas.push({ eval_id: w.evalId, old_id: current, new_id: next });
    changedJobs.add(w.jobId);
    changedEvals.add(w.evalId);
  }
  if (!changedJobs.size) return { jobIds: [], evalIds: [] };
  // Histograms first, while every old build is still stored.
  await tx.execute(sql`
    with d as (select * from jsonb_to_recordset(${jsonParam(deltas)}) as d(eval_id bigint, old_id bigint, new_id bigint)),
    h as (
      select d.eval_id, j.system, ${outcomeSql('b')} as outcome, coalesce(${kindSql('b')}, '') as kind, -1 as n
      from d join builds b on b.id = d.old_id join jobs j on j.id = b.job_id
      union all
      select d.eval_id, j.system, ${outcomeSql('b')}, coalesce(${kindSql('b')}, ''), 1
      from d join builds b on b.id = d.new_id join jobs j on j.id = b.job_id
    )
    insert into eval_outcomes (eval_id, system, outcome, kind, n)
    select eval_id, system, outcome, kind, sum(n)::int from h group by 1, 2, 3, 4
    on conflict (eval_id, system, outcome, kind) do update set n = eval_outcomes.n + excluded.n`);
  const runs: { job_id: number; build_id: number; first_eval_id: number; last_eval_id: number | null }[] = [];
  for (const j of changedJobs) {
    const m = byJob.get(j)!;
    let start = -1;
    let build = 0;
    for (let i = 0; i <= evalIds.length; i++) {
      const b = i < evalIds.length ? m.get(i) : undefined;
      if (start >= 0 && b !== build) {
        runs.push({ job_id: j, build_id: build, first_eval_id: evalIds[start]!, last_eval_id: i === evalIds.length ? null : evalIds[i - 1]! });
        start = -1;
      }
      if (b !== undefined && start < 0) {
        start = i;
        build = b;
      }
    }
  }
  await tx.execute(sql`delete from memberships where jobset_id = ${jobsetId} and job_id = any(${intArray(changedJobs)})`);
  if (runs.length) {
    await tx.execute(sql`
      insert into memberships (jobset_id, job_id, build_id, first_eval_id, last_eval_id)
      select ${jobsetId}, r.job_id, r.build_id, r.first_eval_id, r.last_eval_id
      from jsonb_to_recordset(${jsonParam(runs)}) as r(job_id int, build_id bigint, first_eval_id bigint, last_eval_id bigint)`);
  }
  // Placeholders no run refers to any more.
  await tx.execute(sql`
    delete from builds b where b.id < 0 and b.job_id = any(${intArray(changedJobs)})
      and not exists (select 1 from memberships m where m.build_id = b.id)`);
  return { jobIds: [...changedJobs], evalIds: [...changedEvals].sort((a, b) => a - b) };
}

/** New placeholder builds (negative ids, unfinished) for `jobIds`, one each. */
export async function newPlaceholders(tx: Db, jobIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!jobIds.length) return out;
  const rows = await queryRows<{ id: string | number; job_id: number }>(tx, sql`
    insert into builds (id, job_id, finished, status, drvpath, outputs, detailed)
    select -nextval('placeholder_build_seq'), j, 0, null, '', '{}', false from unnest(${intArray(jobIds)}) as j
    returning id, job_id`);
  for (const r of rows) out.set(r.job_id, Number(r.id));
  return out;
}

/**
 * Jobs awaiting a build in `evalId`: their run closed at `prevId` and nothing opened at `evalId`.
 */
export async function jobsLeftAt(tx: Db, jobsetId: number, prevId: number, evalId: number): Promise<number[]> {
  const rows = await queryRows<{ job_id: number }>(tx, sql`
    select m.job_id from memberships m
    where m.jobset_id = ${jobsetId} and m.last_eval_id = ${prevId}
      and not exists (select 1 from memberships n where n.job_id = m.job_id and n.first_eval_id = ${evalId})`);
  return rows.map((r) => r.job_id);
}

/**
 * Placeholder members whose eval has no unresolved member left: the job is not in that eval
 * after all (every member is named and none is its build).
 */
export async function stalePlaceholders(tx: Db, jobsetId: number): Promise<{ jobId: number; evalId: number }[]> {
  const rows = await queryRows<{ job_id: number; eval_id: string | number }>(tx, sql`
    select m.job_id, e.id as eval_id from memberships m
    join evals e on e.jobset_id = m.jobset_id and e.id >= m.first_eval_id and (m.last_eval_id is null or e.id <= m.last_eval_id)
    where m.jobset_id = ${jobsetId} and m.build_id < 0
      and not exists (select 1 from unresolved_members u where u.eval_id = e.id)`);
  return rows.map((r) => ({ jobId: r.job_id, evalId: Number(r.eval_id) }));
}

/** Resolved members: which evals listed them, and forget them as unresolved. */
export async function takeResolved(tx: Db, ids: number[]): Promise<{ buildId: number; evalId: number }[]> {
  if (!ids.length) return [];
  const rows = await queryRows<{ build_id: string | number; eval_id: string | number }>(tx, sql`
    delete from unresolved_members where build_id = any(${idArray(ids)}) returning build_id, eval_id`);
  return rows.map((r) => ({ buildId: Number(r.build_id), evalId: Number(r.eval_id) }));
}

/** Job ids of stored builds. */
export async function jobsOfBuilds(db: Db, ids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!ids.length) return out;
  for (const r of await queryRows<{ id: string | number; job_id: number }>(db, sql`select id, job_id from builds where id = any(${idArray(ids)})`)) {
    out.set(Number(r.id), r.job_id);
  }
  return out;
}

/** Remembers that the eval's bulk list failed (or was cut): not asked again for hours. */
export async function markBulkFailed(db: Db, evalId: number): Promise<void> {
  await db.execute(sql`update evals set bulk_failed_at = now() where id = ${evalId}`);
}

/** Held-unfinished build ids of the jobset (placeholders aside), lowest first, up to `limit`. */
export async function heldUnfinishedIds(db: Db, jobsetId: number, limit: number): Promise<number[]> {
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select b.id from builds b join jobs j on j.id = b.job_id
    where b.finished = 0 and b.id > 0 and j.jobset_id = ${jobsetId} order by b.id limit ${limit}`);
  return rows.map((r) => Number(r.id));
}

/** Held unfinished builds with an id below `belowId`, least recently checked first. */
export async function heldUnfinishedBelow(db: Db, jobsetId: number, belowId: number, limit: number): Promise<number[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select b.id from builds b join jobs j on j.id = b.job_id
    where b.finished = 0 and b.id > 0 and b.id < ${belowId} and j.jobset_id = ${jobsetId} order by b.checked_at, b.id limit ${limit}`);
  return rows.map((r) => Number(r.id));
}

/**
 * For each of `minIds`, the jobset's stored builds with an id of at least it: how many are
 * finished and how many we hold unfinished (one scan from the lowest).
 */
export async function buildsSinceEach(db: Db, jobsetId: number, minIds: number[]): Promise<{ finished: number; unfinished: number }[]> {
  if (!minIds.length) return [];
  const lowest = Math.min(...minIds);
  const [r] = await queryRows<{ f: number[]; u: number[] }>(db, sql`
    select array[${sql.join(minIds.map((m) => sql`count(*) filter (where b.id >= ${m} and b.finished = 1)::int`), sql`, `)}] as f,
      array[${sql.join(minIds.map((m) => sql`count(*) filter (where b.id >= ${m} and b.finished = 0)::int`), sql`, `)}] as u
    from builds b join jobs j on j.id = b.job_id where b.id >= ${lowest} and b.id > 0 and j.jobset_id = ${jobsetId}`);
  return minIds.map((_, k) => ({ finished: Number(r?.f[k] ?? 0), unfinished: Number(r?.u[k] ?? 0) }));
}

/**
 * Failing builds of open breakages to re-read this sync: the daily re-check that catches
 * restarts and re-points whatever the queue shows. First those not read for `olderThanHours`
 * (claimed first, then the newest breakages), then, with the budget left, those not read for
 * `minAgeHours`, least recently read first: the reads spread over the day instead of falling
 * due together 20 h after a first sync read them all at once.
 */
export async function breakageBuildsToRecheck(db: Db, jobsetId: number, limit: number, olderThanHours = 20, minAgeHours = 4): Promise<number[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select id from (
      select bk.build_id as id, bk.opened_eval_id, b.checked_at,
        b.checked_at < now() - make_interval(hours => ${olderThanHours}) as overdue,
        exists (select 1 from claims c where c.breakage_id = bk.id and c.released_at is null) as claimed
      from breakages bk join builds b on b.id = bk.build_id
      where bk.jobset_id = ${jobsetId} and bk.state = 'open' and b.id > 0
        and b.checked_at < now() - make_interval(hours => ${Math.min(minAgeHours, olderThanHours)})
    ) x
    order by overdue desc, (overdue and claimed) desc, case when overdue then opened_eval_id end desc nulls last, checked_at, id desc
    limit ${limit}`);
  return rows.map((r) => Number(r.id));
}

/** Open breakages of the jobset. */
export async function openBreakageCount(db: Db, jobsetId: number): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from breakages where jobset_id = ${jobsetId} and state = 'open'`);
  return r?.n ?? 0;
}
