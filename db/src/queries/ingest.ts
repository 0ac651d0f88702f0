import { and, eq, sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { evals, jobsets } from '../schema/index.ts';
import { idArray } from './sql-fragments.ts';

export interface BuildRecord {
  id: number;
  job: string;
  system: string;
  finished: number;
  status: number | null;
  drvpath: string;
  outputs: string[];
  nixname: string | null;
  timestamp: number | null;
  starttime: number | null;
  stoptime: number | null;
}

export interface EvalRecord {
  id: number;
  revision: string | null;
  /** Epoch seconds, as Hydra gives it. */
  timestamp: number;
  checkoutTime: number | null;
  evalTime: number | null;
  flake: string | null;
  inputs: unknown;
  buildIds: number[];
}

export type JobsetRow = typeof jobsets.$inferSelect;

export async function ensureJobset(db: Db, project: string, name: string): Promise<JobsetRow> {
  await db.insert(jobsets).values({ project, name }).onConflictDoNothing();
  const [row] = await db.select().from(jobsets).where(and(eq(jobsets.project, project), eq(jobsets.name, name)));
  return row!;
}

/** Ids of the jobset's ingested evals, oldest first. */
export async function ingestedEvalIds(db: Db, jobsetId: number): Promise<number[]> {
  const rows = await db.select({ id: evals.id }).from(evals).where(eq(evals.jobsetId, jobsetId)).orderBy(evals.id);
  return rows.map((r) => r.id);
}

/** Which of `ids` have no stored build yet. */
export async function unknownBuildIds(db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select u.id from unnest(${idArray(ids)}) as u(id)
    where not exists (select 1 from builds b where b.id = u.id)`);
  return rows.map((r) => Number(r.id));
}

/** Strips the trailing `.system` of a job name: the package (attribute) name. */
export function packageOf(job: string, system: string): string {
  return system && job.endsWith(`.${system}`) ? job.slice(0, -(system.length + 1)) : job;
}

export interface BuildChange {
  id: number;
  jobId: number;
  inserted: boolean;
}

/**
 * Inserts new builds (and their jobs) and records state changes of known ones in one
 * set-based statement. Returns the builds that were inserted or whose state changed.
 */
export async function upsertBuilds(db: Db, jobsetId: number, records: BuildRecord[]): Promise<BuildChange[]> {
  if (records.length === 0) return [];
  const out: BuildChange[] = [];
  // Chunks keep one JSON parameter well under the server's limits at 250k builds.
  for (let i = 0; i < records.length; i += 25_000) {
    const chunk = records.slice(i, i + 25_000);
    const jobsJson = jsonParam(uniqueJobs(chunk));
    await db.execute(sql`
      insert into jobs (jobset_id, name, system, package)
      select ${jobsetId}, x.job, x.system, x.package from jsonb_to_recordset(${jobsJson}) as x(job text, system text, package text)
      on conflict (jobset_id, name) do nothing`);
    const rows = await queryRows<{ id: string | number; job_id: number; inserted: boolean }>(db, sql`
      with x as (
        select * from jsonb_to_recordset(${jsonParam(chunk.map(compactBuild))})
          as x(id bigint, job text, finished smallint, status smallint, drvpath text, outputs text[], nixname text,
               timestamp bigint, starttime bigint, stoptime bigint)
      )
      insert into builds as b (id, job_id, finished, status, drvpath, outputs, nixname, timestamp, starttime, stoptime, seen_success, seen_failure)
      select x.id, j.id, x.finished, x.status, x.drvpath, x.outputs, x.nixname, x.timestamp, x.starttime, x.stoptime,
             x.finished = 1 and x.status = 0,
             x.finished = 1 and coalesce(x.status, 1) not in (0,3,4,7,9,10)
      from x join jobs j on j.jobset_id = ${jobsetId} and j.name = x.job
      on conflict (id) do update set
        finished = excluded.finished,
        status = excluded.status,
        drvpath = excluded.drvpath,
        outputs = excluded.outputs,
        starttime = excluded.starttime,
        stoptime = excluded.stoptime,
        checked_at = now(),
        -- A re-pointed build is a new derivation: what was seen of the old one no longer counts.
        seen_success = (b.seen_success and b.drvpath = excluded.drvpath) or excluded.seen_success,
        seen_failure = (b.seen_failure and b.drvpath = excluded.drvpath) or excluded.seen_failure
      where (b.finished, b.status, b.drvpath) is distinct from (excluded.finished, excluded.status, excluded.drvpath)
      returning b.id, b.job_id, (xmax = 0) as inserted`);
    for (const r of rows) out.push({ id: Number(r.id), jobId: r.job_id, inserted: r.inserted });
  }
  return out;
}

/** Marks builds as checked without a state change (keeps `checked_at` meaningful for polling order). */
export async function touchBuilds(db: Db, ids: number[]): Promise<void> {
  if (ids.length) await db.execute(sql`update builds set checked_at = now() where id = any(${idArray(ids)})`);
}

function uniqueJobs(records: BuildRecord[]) {
  const seen = new Map<string, { job: string; system: string; package: string }>();
  for (const r of records) if (!seen.has(r.job)) seen.set(r.job, { job: r.job, system: r.system, package: packageOf(r.job, r.system) });
  return [...seen.values()];
}

function compactBuild(r: BuildRecord) {
  return {
    id: r.id, job: r.job, finished: r.finished, status: r.status, drvpath: r.drvpath, outputs: r.outputs,
    nixname: r.nixname, timestamp: r.timestamp, starttime: r.starttime, stoptime: r.stoptime,
  };
}

export interface MembershipChange {
  /** Jobs whose run changed in this eval (new build, new job, or left the eval). */
  jobIds: number[];
  opened: number;
  closed: number;
}

/** Loads the eval's (job, build) pairs into a temp table; a job listed twice keeps its newest build. */
async function loadMembers(tx: Db, buildIds: number[]): Promise<void> {
  await tx.execute(sql`create temp table if not exists eval_members (job_id integer primary key, build_id bigint not null) on commit drop`);
  await tx.execute(sql`truncate eval_members`);
  await tx.execute(sql`
    insert into eval_members (job_id, build_id)
    select distinct on (b.job_id) b.job_id, b.id from unnest(${idArray(buildIds)}) as u(id) join builds b on b.id = u.id
    order by b.job_id, b.id desc`);
}

async function insertEvalRow(tx: Db, jobsetId: number, e: EvalRecord): Promise<void> {
  await tx.insert(evals).values({
    id: e.id, jobsetId, revision: e.revision, timestamp: new Date(e.timestamp * 1000), checkoutTime: e.checkoutTime,
    evalTime: e.evalTime, flake: e.flake, inputs: e.inputs, buildCount: e.buildIds.length,
  });
}

/**
 * Appends eval `e` after the jobset's newest eval `prevId` (all its builds must be stored):
 * runs whose build is gone close at `prevId`, new (job, build) pairs open at `e.id`. Call inside a transaction.
 */
export async function appendEval(tx: Db, jobsetId: number, e: EvalRecord, prevId: number | null): Promise<MembershipChange> {
  await insertEvalRow(tx, jobsetId, e);
  await loadMembers(tx, e.buildIds);
  const closed = prevId === null ? [] : await queryRows<{ job_id: number }>(tx, sql`
    update memberships m set last_eval_id = ${prevId}
    where m.jobset_id = ${jobsetId} and m.last_eval_id is null
      and not exists (select 1 from eval_members e where e.job_id = m.job_id and e.build_id = m.build_id)
    returning m.job_id`);
  const opened = await queryRows<{ job_id: number }>(tx, sql`
    insert into memberships (jobset_id, job_id, build_id, first_eval_id, last_eval_id)
    select ${jobsetId}, e.job_id, e.build_id, ${e.id}, null from eval_members e
    where not exists (select 1 from memberships m where m.job_id = e.job_id and m.last_eval_id is null)
    returning job_id`);
  return summarize(opened, closed);
}

/**
 * Prepends eval `e` before the jobset's oldest eval `nextId` (backfill): runs starting at
 * `nextId` with the same build extend back to `e.id`, other pairs get a one-eval run.
 */
export async function prependEval(tx: Db, jobsetId: number, e: EvalRecord, nextId: number): Promise<MembershipChange> {
  await insertEvalRow(tx, jobsetId, e);
  await loadMembers(tx, e.buildIds);
  const extended = await queryRows<{ job_id: number }>(tx, sql`
    update memberships m set first_eval_id = ${e.id}
    from eval_members e
    where m.jobset_id = ${jobsetId} and m.first_eval_id = ${nextId} and m.job_id = e.job_id and m.build_id = e.build_id
    returning m.job_id`);
  const opened = await queryRows<{ job_id: number }>(tx, sql`
    insert into memberships (jobset_id, job_id, build_id, first_eval_id, last_eval_id)
    select ${jobsetId}, e.job_id, e.build_id, ${e.id}, ${e.id} from eval_members e
    where not exists (select 1 from memberships m where m.job_id = e.job_id and m.first_eval_id = ${e.id})
    returning job_id`);
  return summarize(opened, extended);
}

function summarize(opened: { job_id: number }[], closed: { job_id: number }[]): MembershipChange {
  const ids = new Set<number>();
  for (const r of opened) ids.add(r.job_id);
  for (const r of closed) ids.add(r.job_id);
  return { jobIds: [...ids], opened: opened.length, closed: closed.length };
}

/** Builds not finished yet, oldest check first, with the newest eval that contains each. */
export async function unfinishedBuilds(db: Db, jobsetId: number, limit: number): Promise<{ id: number; evalId: number | null }[]> {
  const rows = await queryRows<{ id: string | number; eval_id: string | number | null }>(db, sql`
    select b.id, max(coalesce(m.last_eval_id, (select max(id) from evals where jobset_id = ${jobsetId}))) as eval_id
    from builds b join jobs j on j.id = b.job_id and j.jobset_id = ${jobsetId}
    join memberships m on m.build_id = b.id
    where b.finished = 0
    group by b.id, b.checked_at
    order by b.checked_at, b.id
    limit ${limit}`);
  return rows.map((r) => ({ id: Number(r.id), evalId: r.eval_id === null ? null : Number(r.eval_id) }));
}

/** Count of unfinished builds of a jobset. */
export async function countUnfinished(db: Db, jobsetId: number): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`
    select count(*)::int as n from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${jobsetId} and b.finished = 0`);
  return r?.n ?? 0;
}

/** Of `ids`, those stored as finished (a queue listing them means Hydra restarted them). */
export async function finishedAmong(db: Db, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`select id from builds where id = any(${idArray(ids)}) and finished = 1`);
  return rows.map((r) => Number(r.id));
}

/** Of `ids`, those stored as not finished. */
export async function unfinishedAmong(db: Db, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`
    select b.id from unnest(${idArray(ids)}) as u(id) join builds b on b.id = u.id where b.finished = 0`);
  return rows.map((r) => Number(r.id));
}
