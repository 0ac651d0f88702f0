import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { kindSql, outcomeSql } from './sql-fragments.ts';

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
    where ms.jobset_id = ${e.jobset_id} and ms.first_eval_id <= ${evalId} and (ms.last_eval_id is null or ms.last_eval_id >= ${evalId})`);
  for (const r of rows) r.outputs = r.outputs === '' ? [] : (r.outputs as string).split(' ');
  // Every row's outputs is now a string[]: the row is a PreflightJobRow.
  return rows as PreflightJobRow[];
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
