import { sql, type SQL } from 'drizzle-orm';

/** Hydra's build statuses that say nothing about the derivation (aborted, timed out, ...): infra. */
export const INFRA_STATUSES: readonly number[] = [3, 4, 7, 9, 10];
const INFRA = INFRA_STATUSES.join(',');

/**
 * Outcome of a build from (finished, status), in SQL. Must agree with the collector's pure
 * `outcomeOf` (a test checks every status code against it).
 */
export function outcomeSql(b: string): SQL {
  return sql.raw(`(case when ${b}.finished = 0 then 'pending' when ${b}.status = 0 then 'success'
    when ${b}.status in (${INFRA}) then 'infra' else 'failure' end)`);
}

export function kindSql(b: string): SQL {
  return sql.raw(`(case when ${b}.finished = 1 and ${b}.status is distinct from 0 and ${b}.status not in (${INFRA})
    then (case when ${b}.status = 2 then 'dependency' else 'direct' end) end)`);
}

/** True when the build has a verdict (finished, and neither pending nor infra). */
export function hasVerdictSql(b: string): SQL {
  return sql.raw(`(${b}.finished = 1 and coalesce(${b}.status, 1) not in (${INFRA}))`);
}

/** A failure verdict (finished, neither success nor infra; a null status counts as failed), in SQL. */
export function failedSql(b: string): SQL {
  return sql.raw(`(${b}.finished = 1 and coalesce(${b}.status, 1) not in (0,${INFRA}))`);
}

/** `failedSql` for a build in hand. */
export function isFailedBuild(finished: number, status: number | null): boolean {
  return finished === 1 && status !== 0 && !INFRA_STATUSES.includes(status ?? 1);
}

/** The run of `alias` (a memberships row) holds in eval `evalId` of jobset `jobsetId`. */
export function runInEvalSql(alias: string, jobsetId: number, evalId: number): SQL {
  const m = sql.raw(alias);
  return sql`${m}.jobset_id = ${jobsetId} and ${m}.first_eval_id <= ${evalId} and (${m}.last_eval_id is null or ${m}.last_eval_id >= ${evalId})`;
}

/** A Postgres array literal for bigint ids, passed as one text parameter (`$1::bigint[]`). */
export function idArray(ids: Iterable<number>): SQL {
  return sql`${`{${Array.from(ids).join(',')}}`}::bigint[]`;
}

/** A Postgres array literal for integer ids (job ids), passed as one text parameter (`$1::int[]`). */
export function intArray(ids: Iterable<number>): SQL {
  return sql`${`{${Array.from(ids).join(',')}}`}::int[]`;
}
