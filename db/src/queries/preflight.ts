import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { kindSql, outcomeSql } from '../verdict/index.ts';
import { runInEvalSql } from './sql-fragments.ts';

/** An eval as the preflight names it. */
export interface PreflightEvalRef {
  id: number;
  jobset: string;
  revision: string | null;
  timestamp: string;
}

/**
 * One member job of an eval in the shape the pure preflight takes (`PreflightJob`): the column
 * names and types are chosen so rows are used as returned, with no per-row mapping.
 */
export interface PreflightJobRow {
  job: string;
  system: string;
  outputs: string[];
  drvpath: string | null;
  outcome: 'pending' | 'success' | 'failure' | 'infra';
  kind: 'direct' | 'dependency' | null;
  buildId: number;
}

/**
 * Every member job of the eval with its build's outputs, derivation and current outcome: one
 * range lookup on membership runs. The jobset id goes in as a constant (one small query first):
 * with it the planner sizes the 250k-row joins right, which halves the time on PostgreSQL.
 * `buildId` is cast to float8 so both drivers return a JS number (Hydra ids are far below 2^53);
 * outputs travel as one space-separated text (store paths have no spaces), which both drivers
 * hand over faster than a text[] they must parse.
 */
export async function preflightJobRows(db: Db, evalId: number): Promise<PreflightJobRow[]> {
  const [e] = await queryRows<{ jobset_id: number }>(db, sql`select jobset_id from evals where id = ${evalId}`);
  if (!e) return [];
  const rows = await queryRows<Omit<PreflightJobRow, 'outputs'> & { outputs: string | string[] }>(db, sql`
    select j.name as job, j.system, array_to_string(b.outputs, ' ') as outputs, b.drvpath, ${outcomeSql('b')} as outcome,
      ${kindSql('b')} as kind, b.id::float8 as "buildId"
    from memberships ms
    join jobs j on j.id = ms.job_id
    join builds b on b.id = ms.build_id
    where ${runInEvalSql('ms', e.jobset_id, evalId)}`);
  for (const r of rows) r.outputs = r.outputs === '' ? [] : (r.outputs as string).split(' ');
  // Every row's outputs is now a string[]: the row is a PreflightJobRow.
  return rows as PreflightJobRow[];
}

/** One side of a rebuilt job, as the pure preflight's `PreflightSide` takes it. */
export interface PreflightSideRow {
  job: string;
  system: string;
  outcome: 'pending' | 'success' | 'failure' | 'infra';
  kind: 'direct' | 'dependency' | null;
  buildId: number;
}

/** What the preflight of two evals needs from the database: the rebuilt pairs and each side's size. */
export interface PreflightRebuilds {
  rebuilt: { candidate: PreflightSideRow; base: PreflightSideRow | null }[];
  /**
   * Candidate jobs the rule cannot decide yet: present in the base, with a build on either side
   * known only from its short record (no outputs, derivation ''), and not unchanged by outputs.
   */
  unknown: number;
  baseJobs: number;
  candidateJobs: number;
  /** Every system of either eval. */
  systems: string[];
  /** Whether any candidate member has succeeded or failed. */
  candidateResults: boolean;
}

/**
 * The rebuild set of `candidateEvalId` against `baseEvalId`, computed in the database: a
 * candidate job rebuilds when one of its output paths is found in none of the base's builds
 * (an anti-join over the base's paths), or, without known outputs, when the base lacks the job
 * or has another derivation for it — the rule of the pure `findRebuilds`. A job whose build on
 * either side has neither outputs nor a derivation (a short record) is counted apart, as the
 * pure `classifyRebuilds` does, and is not rebuilt. Only the rebuilt jobs
 * leave the database, each with its base job of the same name; sizes, systems and whether the
 * candidate has results come from the evals' outcome histograms. The query's hash tables
 * (300k store paths, 250k job names) get the memory to stay out of temporary files.
 */
export async function preflightRebuildRows(db: Db, baseEvalId: number, candidateEvalId: number): Promise<PreflightRebuilds | null> {
  const sides = await queryRows<{ id: number; jobset_id: number }>(db, sql`
    select id::float8 as id, jobset_id from evals where id in (${baseEvalId}, ${candidateEvalId})`);
  const bjs = sides.find((r) => Number(r.id) === baseEvalId)?.jobset_id;
  const cjs = sides.find((r) => Number(r.id) === candidateEvalId)?.jobset_id;
  if (bjs === undefined || cjs === undefined) return null;
  // Both sides' members with their builds' outputs, from one pass over runs and builds (a
  // parallel hash join that scans builds once, where a pass per side scanned it twice). A run
  // can be a member of both evals (two evals of one jobset): it carries both flags. Derivations
  // stay out (they would double the rows): only jobs without outputs need them.
  const inEval = (jobsetId: number, evalId: number) => sql`(${runInEvalSql('ms', jobsetId, evalId)})`;
  type Row = {
    job: string; system: string; c_outcome: PreflightSideRow['outcome']; c_kind: PreflightSideRow['kind']; c_build: number;
    b_system: string | null; b_outcome: PreflightSideRow['outcome'] | null; b_kind: PreflightSideRow['kind']; b_build: number | null;
    /** Set on the one extra row (all else null) that counts the undecided jobs. */
    unknown_n: number | null;
  };
  const rows = await db.transaction(async (tx) => {
    // Every join here is between sets of 100k+ rows: hash joins in memory, never nested loops
    // of index probes (what the planner picks for the rebuilt subset, at 3x the time).
    await tx.execute(sql`set local work_mem = '256MB'`);
    await tx.execute(sql`set local enable_nestloop = off`);
    // The member scan splits well across parallel workers (a third off on 2 cores); the
    // default costs keep the planner from using them for a CTE.
    await tx.execute(sql`set local parallel_setup_cost = 0`);
    await tx.execute(sql`set local parallel_tuple_cost = 0.0001`);
    // The workers hand the leader ~540k wide rows: a leader that scans too falls behind reading
    // them and the workers block on full queues (PostgreSQL's docs name this case). Gathering
    // only was ~15% faster on 2 cores, interleaved runs on the 100-eval bench database.
    await tx.execute(sql`set local parallel_leader_participation = off`);
    return queryRows<Row>(tx as unknown as Db, sql`
      with m as materialized (
        select ${inEval(cjs, candidateEvalId)} as in_c, ${inEval(bjs, baseEvalId)} as in_b,
          ms.job_id, ms.build_id, bd.outputs, bd.finished, bd.status,
          -- Outputs or a derivation to compare: a short record has neither.
          (cardinality(bd.outputs) > 0 or bd.drvpath <> '') as known
        from memberships ms join builds bd on bd.id = ms.build_id
        where ${inEval(cjs, candidateEvalId)} or ${inEval(bjs, baseEvalId)}
      ),
      -- Candidate jobs with an output path that no base build has (a set anti-join over paths),
      -- plus candidate jobs without known outputs (decided below by derivation).
      pick as (
        select x.job_id, x.build_id, x.finished, x.status, true as by_outputs, true as known
        from (select m.job_id, m.build_id, m.finished, m.status, unnest(m.outputs) as path from m where m.in_c) x
        where not exists (select 1 from (select unnest(m.outputs) as path from m where m.in_b) p where p.path = x.path)
        group by 1, 2, 3, 4
        union all
        select job_id, build_id, finished, status, false, known from m where m.in_c and cardinality(m.outputs) = 0
      ),
      -- Only the picked jobs get names, and their base job of the same name.
      paired as (
        select pick.by_outputs, pick.known, cj.name, cj.system, pick.build_id, pick.finished, pick.status, bj.id as base_job_id, bj.system as base_system
        from pick join jobs cj on cj.id = pick.job_id and cj.jobset_id = ${cjs}
        left join jobs bj on bj.jobset_id = ${bjs} and bj.name = cj.name
      ),
      decided as (
        select p.*, b.job_id as b_job_id, b.build_id as b_build_id, b.finished as b_finished, b.status as b_status,
          (b.job_id is not null and not (p.known and b.known)) as undecided
        from paired p left join (select * from m where m.in_b) b on b.job_id = p.base_job_id
      )
      (select p.name collate "C" as job, p.system, ${outcomeSql('p')} as c_outcome, ${kindSql('p')} as c_kind, p.build_id::float8 as c_build,
        case when p.b_job_id is not null then p.base_system end as b_system,
        case when p.b_job_id is not null then ${outcomeSql('b')} end as b_outcome, ${kindSql('b')} as b_kind, p.b_build_id::float8 as b_build,
        null::float8 as unknown_n
      from decided p cross join lateral (select p.b_finished as finished, p.b_status as status) b
      where not p.undecided and (p.by_outputs or p.b_job_id is null
        or (select drvpath from builds where id = p.b_build_id) is distinct from (select drvpath from builds where id = p.build_id)))
      union all
      select null, null, null, null, null, null, null, null, null, count(*)::float8 from decided where undecided
      -- In code-unit order (job names are ASCII), the report's lists come out sorted already; the count row last.
      order by job nulls last`);
  });
  const counted = rows.pop();
  if (!counted || counted.unknown_n === null) throw new Error('preflight: the undecided jobs\' count row is missing');
  const rebuilt = rows.map((r) => ({
    candidate: { job: r.job, system: r.system, outcome: r.c_outcome, kind: r.c_kind, buildId: Number(r.c_build) },
    base: r.b_build === null
      ? null
      : { job: r.job, system: r.b_system!, outcome: r.b_outcome!, kind: r.b_kind, buildId: Number(r.b_build) },
  }));
  const hist = await queryRows<{ eval_id: number; system: string; outcome: string; n: number }>(db, sql`
    select eval_id::float8 as eval_id, system, outcome, sum(n)::int as n from eval_outcomes
    where eval_id in (${baseEvalId}, ${candidateEvalId}) group by 1, 2, 3`);
  let baseJobs = 0;
  let candidateJobs = 0;
  let candidateResults = false;
  const systems = new Set<string>();
  for (const h of hist) {
    if (h.n <= 0) continue;
    systems.add(h.system);
    if (Number(h.eval_id) === baseEvalId) baseJobs += h.n;
    if (Number(h.eval_id) === candidateEvalId) {
      candidateJobs += h.n;
      if (h.outcome === 'success' || h.outcome === 'failure') candidateResults = true;
    }
  }
  return { rebuilt, unknown: Number(counted.unknown_n), baseJobs, candidateJobs, systems: [...systems].sort(), candidateResults };
}

export async function preflightEvalRef(db: Db, evalId: number): Promise<PreflightEvalRef | null> {
  const [r] = await queryRows<{ id: number; project: string; name: string; revision: string | null; timestamp: string | Date }>(db, sql`
    select e.id::float8 as id, js.project, js.name, e.revision, e.timestamp
    from evals e join jobsets js on js.id = e.jobset_id where e.id = ${evalId}`);
  return r ? evalRefOf(r) : null;
}

/** The jobset's newest ingested eval; `undefined` when the jobset is unknown, null when it has no eval yet. */
export async function newestEvalOfJobset(db: Db, project: string, name: string): Promise<PreflightEvalRef | null | undefined> {
  const [js] = await queryRows<{ id: number }>(db, sql`select id from jobsets where project = ${project} and name = ${name}`);
  if (!js) return undefined;
  const [r] = await queryRows<{ id: number; project: string; name: string; revision: string | null; timestamp: string | Date }>(db, sql`
    select e.id::float8 as id, ${project}::text as project, ${name}::text as name, e.revision, e.timestamp
    from evals e where e.jobset_id = ${js.id} order by e.id desc limit 1`);
  return r ? evalRefOf(r) : null;
}

function evalRefOf(r: { id: number; project: string; name: string; revision: string | null; timestamp: string | Date }): PreflightEvalRef {
  return { id: Number(r.id), jobset: `${r.project}/${r.name}`, revision: r.revision, timestamp: new Date(r.timestamp).toISOString() };
}
