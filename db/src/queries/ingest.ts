import { and, eq, sql } from 'drizzle-orm';
import { copyArray, copyField, copyRows, jsonParam, queryRows, writeCount, type Db } from '../client.ts';
import { evals, jobsets } from '../schema/index.ts';
import { failedSql, isFailedBuild, kindSql, outcomeSql } from '../verdict/index.ts';
import { idArray, intArray } from './sql-fragments.ts';

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
  /** False for a short record (`/api/latestbuilds`: no derivation, no outputs); default true. */
  detailed?: boolean;
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

/**
 * Which of `ids` have no stored build yet. Written as index probes (`id = any(...)`) rather
 * than an anti-join, which the planner turns into a scan of every build ever stored.
 */
export async function unknownBuildIds(db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ id: string | number }>(db, sql`select id from builds where id = any(${idArray(ids)})`);
  const known = new Set(rows.map((r) => Number(r.id)));
  return ids.filter((id) => !known.has(id));
}

/**
 * Build ids of the jobset's open runs: the members of its newest eval, all stored. Read as one
 * aggregated text, which both drivers hand over far faster than 250k rows; a collector holding
 * the jobset's ingest lock diffs a new eval against it in memory (`appendEval`) and looks up
 * only the ids outside it (`unknownBuildIds`).
 */
export async function openRunBuilds(db: Db, jobsetId: number): Promise<Set<number>> {
  const [r] = await queryRows<{ ids: string | null }>(db, sql`
    select string_agg(build_id::text, ',') as ids from memberships where jobset_id = ${jobsetId} and last_eval_id is null`);
  const out = new Set<number>();
  if (r?.ids) for (const id of r.ids.split(',')) out.add(Number(id));
  return out;
}

/** Strips the trailing `.system` of a job name: the package (attribute) name. */
export function packageOf(job: string, system: string): string {
  return system && job.endsWith(`.${system}`) ? job.slice(0, -(system.length + 1)) : job;
}

export interface BuildChange {
  id: number;
  jobId: number;
  inserted: boolean;
  /** State before the change (null when inserted). */
  oldFinished: number | null;
  oldStatus: number | null;
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
    const rows = await queryRows<{ id: string | number; job_id: number; inserted: boolean; old_finished: number | null; old_status: number | null }>(db, sql`
      with x as (
        select * from jsonb_to_recordset(${jsonParam(chunk.map(compactBuild))})
          as x(id bigint, job text, finished smallint, status smallint, drvpath text, outputs text[], nixname text,
               timestamp bigint, starttime bigint, stoptime bigint)
      ),
      -- Every part of one statement sees the same snapshot: this is the state before the upsert.
      old as (select b.id, b.finished, b.status from builds b where b.id in (select id from x)),
      up as (
      insert into builds as b (id, job_id, finished, status, drvpath, outputs, nixname, timestamp, starttime, stoptime, seen_success, seen_failure)
      select x.id, j.id, x.finished, x.status, x.drvpath, x.outputs, x.nixname, x.timestamp, x.starttime, x.stoptime,
             x.finished = 1 and x.status = 0,
             ${failedSql('x')}
      from x join jobs j on j.jobset_id = ${jobsetId} and j.name = x.job
      on conflict (id) do update set
        finished = excluded.finished,
        status = excluded.status,
        drvpath = excluded.drvpath,
        outputs = excluded.outputs,
        starttime = excluded.starttime,
        stoptime = excluded.stoptime,
        checked_at = now(),
        detailed = true,
        -- A re-pointed build is a new derivation: what was seen of the old one no longer counts
        -- (a short record, whose derivation was not known, is the same build).
        seen_success = (b.seen_success and (b.drvpath = excluded.drvpath or not b.detailed)) or excluded.seen_success,
        seen_failure = (b.seen_failure and (b.drvpath = excluded.drvpath or not b.detailed)) or excluded.seen_failure
      where (b.finished, b.status, b.drvpath, b.detailed) is distinct from (excluded.finished, excluded.status, excluded.drvpath, true)
      returning b.id, b.job_id, (xmax = 0) as inserted
      )
      select up.id, up.job_id, up.inserted, old.finished as old_finished, old.status as old_status from up left join old on old.id = up.id`);
    for (const r of rows) {
      out.push({ id: Number(r.id), jobId: r.job_id, inserted: r.inserted, oldFinished: r.old_finished, oldStatus: r.old_status });
    }
  }
  return out;
}

/**
 * Which job names one transaction has inserted through `insertNewBuilds` into a jobset that had
 * no jobs before (its first ingest). A name it has not inserted is then new and takes an id
 * without a lookup. Names are kept as 30-bit hashes (a few MB for 250k jobs, where the strings
 * would hold ~50 MB more at the peak); a name whose hash is known (inserted here, or a rare
 * collision) is looked up like any other.
 */
export class InsertedJobs {
  private hashes = new Set<number>();
  /** Whether the jobset had no jobs before; unknown until the first insert asks. */
  emptyBefore: boolean | undefined;

  add(name: string): void {
    this.hashes.add(nameHash(name));
  }

  /** False: certainly not inserted here. True: maybe. */
  mayHave(name: string): boolean {
    return this.hashes.has(nameHash(name));
  }
}

/** FNV-1a over UTF-16 code units, cut to 30 bits so that it stays a small integer in V8. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/**
 * Stores builds new to the database with COPY: the rows `upsertBuilds` would insert for them,
 * for about a third less server time (most of a first ingest is this). The caller vouches that no
 * id is stored yet (it checked before the eval's transaction, under the jobset's lock); a build
 * stored meanwhile after all fails the COPY and with it the transaction, and the next sync, seeing
 * it known, upserts it. Jobs are looked up by name (unless `inserted` knows they are new); missing
 * ones take ids from the jobs sequence and are copied in first. Returns how many builds were stored.
 */
export async function insertNewBuilds(tx: Db, jobsetId: number, records: BuildRecord[], inserted = new InsertedJobs()): Promise<number> {
  if (records.length === 0) return 0;
  const jobs = uniqueJobs(records);
  if (inserted.emptyBefore === undefined) {
    const [r] = await queryRows<{ empty: boolean }>(tx, sql`select not exists (select 1 from jobs where jobset_id = ${jobsetId}) as empty`);
    inserted.emptyBefore = r!.empty;
  }
  // In a jobset that had no jobs, only names inserted earlier in this transaction can exist.
  const lookup = inserted.emptyBefore ? jobs.filter((j) => inserted.mayHave(j.job)) : jobs;
  const jobIds = new Map<string, number>();
  if (lookup.length) {
    const rows = await queryRows<{ i: number; id: number }>(tx, sql`
      select n.i::int as i, j.id from jsonb_array_elements_text(${jsonParam(lookup.map((j) => j.job))}) with ordinality as n(name, i)
      join jobs j on j.jobset_id = ${jobsetId} and j.name = n.name`);
    for (const r of rows) jobIds.set(lookup[r.i - 1]!.job, r.id);
  }
  // Existing jobs keep their id and their (system, package), as `on conflict do nothing` would.
  const fresh = jobs.filter((j) => !jobIds.has(j.job));
  const ids = fresh.length
    ? await queryRows<{ id: number }>(tx, sql`select nextval('jobs_id_seq')::int as id from generate_series(1, ${fresh.length})`)
    : [];
  let jobRows = '';
  fresh.forEach((j, k) => {
    const id = ids[k]!.id;
    jobIds.set(j.job, id);
    if (inserted.emptyBefore) inserted.add(j.job);
    jobRows += `${id}\t${jobsetId}\t${copyField(j.job)}\t${copyField(j.system)}\t${copyField(j.package)}\n`;
  });
  await copyRows(tx, 'jobs (id, jobset_id, name, system, package)', jobRows);
  let buildRows = '';
  for (const r of records) {
    // The seen flags as upsertBuilds derives them for an inserted build.
    const seenSuccess = r.finished === 1 && r.status === 0;
    const seenFailure = isFailedBuild(r.finished, r.status);
    buildRows += `${r.id}\t${jobIds.get(r.job)!}\t${r.finished}\t${copyField(r.status)}\t${copyField(r.drvpath)}\t${copyArray(r.outputs)}\t`
      + `${copyField(r.nixname)}\t${copyField(r.timestamp)}\t${copyField(r.starttime)}\t${copyField(r.stoptime)}\t${seenSuccess ? 't' : 'f'}\t${seenFailure ? 't' : 'f'}\t${r.detailed === false ? 'f' : 't'}\n`;
  }
  await copyRows(tx, 'builds (id, job_id, finished, status, drvpath, outputs, nixname, timestamp, starttime, stoptime, seen_success, seen_failure, detailed)', buildRows);
  return records.length;
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

/** Rows written in one transaction past which the tables' planner statistics are refreshed in it. */
export const BIG_LOAD = 20_000;

/**
 * Refreshes the planner's statistics of `tables` when a load just wrote `rows` rows to them (or,
 * for tables derived from the load, the load's size).
 * After a big load (a first ingest, a mass rebuild) the estimates are off by orders of magnitude,
 * and the statements that read the load back pick nested loops over 250k rows (~1 s each where a
 * hash join takes ~0.3 s). ANALYZE inside the transaction sees its own rows, and its statistics
 * commit with them. It holds a lock that only other ANALYZE, VACUUM and DDL wait for.
 */
export async function analyzeAfterLoad(tx: Db, tables: 'builds, jobs' | 'memberships' | 'breakages', rows: number): Promise<void> {
  if (rows >= BIG_LOAD) await tx.execute(sql.raw(`analyze ${tables}`));
}

export interface MembershipChange {
  /** Jobs whose run changed in this eval (new build, new job, or left the eval); `all` for a jobset's first eval. */
  jobIds: number[] | 'all';
  opened: number;
  closed: number;
}

/** Loads the eval's (job, build) pairs into a temp table; a job listed twice keeps its newest build. */
async function loadMembers(tx: Db, buildIds: number[]): Promise<void> {
  await tx.execute(sql`create temp table if not exists eval_members (job_id integer primary key, build_id bigint not null) on commit drop`);
  await tx.execute(sql`truncate eval_members`);
  await tx.execute(sql`
    insert into eval_members (job_id, build_id)
    select distinct on (b.job_id) b.job_id, b.id from builds b where b.id = any(${idArray(buildIds)})
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
export async function appendEval(
  tx: Db, jobsetId: number, e: EvalRecord, prevId: number | null,
  /** `openRunBuilds` of the jobset, when the caller already holds it. */
  openBuilds?: Set<number>,
): Promise<MembershipChange> {
  await insertEvalRow(tx, jobsetId, e);
  if (prevId === null) {
    // The jobset's first eval: every member opens a run, no diff needed. Every job of the
    // jobset changed, so the caller takes them all from the database, not from this list.
    const opened = await writeCount(tx, sql`
      insert into memberships (jobset_id, job_id, build_id, first_eval_id, last_eval_id)
      select distinct on (b.job_id) ${jobsetId}, b.job_id, b.id, ${e.id}::bigint, null::bigint
      from builds b where b.id = any(${idArray(e.buildIds)})
      order by b.job_id, b.id desc`);
    await analyzeAfterLoad(tx, 'memberships', opened);
    await appendOutcomes(tx, jobsetId, e.id, null);
    return { jobIds: 'all', opened, closed: 0 };
  }
  // Diff by build id against the open runs (the previous eval's members), in memory: builds
  // that left close their run, and only the few thousand fresh ids of a typical nixpkgs eval
  // are looked up for their job. A job listed with two builds keeps the newest, as above.
  const open = openBuilds ?? (await openRunBuilds(tx, jobsetId));
  const listed = new Set(e.buildIds);
  const gone = [...open].filter((id) => !listed.has(id));
  const fresh = e.buildIds.filter((id) => !open.has(id));
  const best = new Map<number, number>(); // job -> its newest fresh build
  if (fresh.length) {
    for (const r of await queryRows<{ id: string | number; job_id: number }>(tx, sql`select id, job_id from builds where id = any(${idArray(fresh)})`)) {
      const id = Number(r.id);
      if (id > (best.get(r.job_id) ?? 0)) best.set(r.job_id, id);
    }
  }
  if (best.size) {
    // A job whose open build is listed too, and newer than its fresh one, keeps its run.
    for (const r of await queryRows<{ job_id: number; build_id: string | number }>(tx, sql`
      select job_id, build_id from memberships where job_id = any(${intArray(best.keys())}) and last_eval_id is null`)) {
      const openId = Number(r.build_id);
      if (listed.has(openId) && openId > best.get(r.job_id)!) best.delete(r.job_id);
    }
  }
  const replaced = [...best.keys()];
  const closed = gone.length || replaced.length ? await queryRows<{ job_id: number }>(tx, sql`
    update memberships m set last_eval_id = ${prevId}
    where m.jobset_id = ${jobsetId} and m.last_eval_id is null
      and (m.build_id = any(${idArray(gone)}) or m.job_id = any(${intArray(replaced)}))
    returning m.job_id`) : [];
  const opened = replaced.length ? await queryRows<{ job_id: number }>(tx, sql`
    insert into memberships (jobset_id, job_id, build_id, first_eval_id, last_eval_id)
    select ${jobsetId}, x.job_id, x.build_id, ${e.id}, null
    from unnest(${intArray(replaced)}, ${idArray(replaced.map((j) => best.get(j)!))}) as x(job_id, build_id)
    returning job_id`) : [];
  await analyzeAfterLoad(tx, 'memberships', opened.length);
  await appendOutcomes(tx, jobsetId, e.id, prevId);
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
  await recountOutcomes(tx, jobsetId, e.id);
  return summarize(opened, extended);
}

/** Members of `evalId` by (system, outcome, kind), as one SELECT over runs `where` (alias m). */
function histogramOf(where: ReturnType<typeof sql>, sign: 1 | -1) {
  return sql`
    select j.system, ${outcomeSql('b')} as outcome, coalesce(${kindSql('b')}, '') as kind, ${sign}::int * count(*)::int as n
    from memberships m join jobs j on j.id = m.job_id join builds b on b.id = m.build_id
    where ${where} group by 1, 2, 3`;
}

/**
 * The outcome histogram of a newly appended eval: its predecessor's, minus the runs that
 * closed there, plus the runs that open here. Only changed jobs are read.
 */
async function appendOutcomes(tx: Db, jobsetId: number, evalId: number, prevId: number | null): Promise<void> {
  if (prevId !== null) {
    const [has] = await queryRows<{ ok: boolean }>(tx, sql`select exists (select 1 from eval_outcomes where eval_id = ${prevId}) as ok`);
    if (!has?.ok) await recountOutcomes(tx, jobsetId, prevId);
  }
  const parts = prevId === null
    ? histogramOf(sql`m.jobset_id = ${jobsetId} and m.first_eval_id = ${evalId}`, 1)
    : sql`
      select system, outcome, kind, n from eval_outcomes where eval_id = ${prevId}
      union all ${histogramOf(sql`m.jobset_id = ${jobsetId} and m.last_eval_id = ${prevId}`, -1)}
      union all ${histogramOf(sql`m.jobset_id = ${jobsetId} and m.first_eval_id = ${evalId}`, 1)}`;
  await tx.execute(sql`
    insert into eval_outcomes (eval_id, system, outcome, kind, n)
    select ${evalId}, system, outcome, kind, sum(n) from (${parts}) h group by 2, 3, 4 having sum(n) <> 0`);
}

/** The outcome histogram of an eval counted from its members (first eval, backfill, repair). */
export async function recountOutcomes(tx: Db, jobsetId: number, evalId: number): Promise<void> {
  await tx.execute(sql`delete from eval_outcomes where eval_id = ${evalId}`);
  await tx.execute(sql`
    insert into eval_outcomes (eval_id, system, outcome, kind, n)
    select ${evalId}, system, outcome, kind, n from (${histogramOf(sql`m.jobset_id = ${jobsetId} and m.first_eval_id <= ${evalId}
      and (m.last_eval_id is null or m.last_eval_id >= ${evalId})`, 1)}) h`);
}

/**
 * Moves one unit per eval for every build whose outcome changed: from its old (system,
 * outcome, kind) to its new one, in every eval of every run the build has.
 */
export async function applyOutcomeChanges(tx: Db, changes: BuildChange[]): Promise<void> {
  const changed = changes.filter((c) => !c.inserted).map((c) => ({ id: c.id, finished: c.oldFinished, status: c.oldStatus }));
  if (!changed.length) return;
  await tx.execute(sql`
    with ch as (select * from jsonb_to_recordset(${jsonParam(changed)}) as ch(id bigint, finished smallint, status smallint)),
    d0 as (
      select e.id as eval_id, j.system,
        ${outcomeSql('ch')} as o1, coalesce(${kindSql('ch')}, '') as k1, ${outcomeSql('b')} as o2, coalesce(${kindSql('b')}, '') as k2
      from ch join builds b on b.id = ch.id join jobs j on j.id = b.job_id
      join memberships m on m.build_id = ch.id
      join evals e on e.jobset_id = m.jobset_id and e.id >= m.first_eval_id and (m.last_eval_id is null or e.id <= m.last_eval_id)
    ),
    d as (
      select eval_id, system, o1 as outcome, k1 as kind, -count(*)::int as n from d0 where (o1, k1) is distinct from (o2, k2) group by 1, 2, 3, 4
      union all
      select eval_id, system, o2, k2, count(*)::int from d0 where (o1, k1) is distinct from (o2, k2) group by 1, 2, 3, 4
    )
    insert into eval_outcomes (eval_id, system, outcome, kind, n)
    select eval_id, system, outcome, kind, sum(n)::int from d group by 1, 2, 3, 4
    on conflict (eval_id, system, outcome, kind) do update set n = eval_outcomes.n + excluded.n`);
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
    where b.finished = 0 and b.id > 0
    group by b.id, b.checked_at
    order by b.checked_at, b.id
    limit ${limit}`);
  return rows.map((r) => ({ id: Number(r.id), evalId: r.eval_id === null ? null : Number(r.eval_id) }));
}

/** Count of unfinished builds of a jobset. */
export async function countUnfinished(db: Db, jobsetId: number): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`
    select count(*)::int as n from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${jobsetId} and b.finished = 0 and b.id > 0`);
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
    select id from builds where id = any(${idArray(ids)}) and finished = 0`);
  return rows.map((r) => Number(r.id));
}

/** Records how a sync of the jobset ended: `error` null for success (it then counts as synced). */
export async function recordSyncOutcome(db: Db, jobsetId: number, outcome: { error: string | null; ms: number }): Promise<void> {
  const now = new Date();
  await db.update(jobsets)
    .set(outcome.error === null
      ? { lastSyncAt: now, lastSyncOkAt: now, lastSyncError: null, lastSyncMs: outcome.ms }
      : { lastSyncAt: now, lastSyncError: outcome.error, lastSyncMs: outcome.ms })
    .where(eq(jobsets.id, jobsetId));
}

/** Remembers the jobset's discovery probe (what /api/jobsets said when everything it announced was in). */
export async function saveJobsetProbe(db: Db, jobsetId: number, probe: NonNullable<typeof jobsets.$inferInsert.probe>): Promise<void> {
  await db.update(jobsets).set({ probe }).where(eq(jobsets.id, jobsetId));
}

/** The jobset's first sync has ingested its backfill. */
export async function markBackfilled(db: Db, jobsetId: number): Promise<void> {
  await db.update(jobsets).set({ backfilled: true }).where(eq(jobsets.id, jobsetId));
}

/** How many member builds the eval has (0 for an unknown eval). */
export async function evalBuildCount(db: Db, evalId: number): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`select build_count as n from evals where id = ${evalId}`);
  return r?.n ?? 0;
}

/** The oldest eval any of the builds belongs to, or null when none is a member of any. */
export async function firstEvalOfBuilds(db: Db, buildIds: number[]): Promise<number | null> {
  const [r] = await queryRows<{ first: string | null }>(db, sql`
    select min(first_eval_id) as first from memberships where build_id = any(${`{${buildIds.join(',')}}`}::bigint[])`);
  return r?.first != null ? Number(r.first) : null;
}
