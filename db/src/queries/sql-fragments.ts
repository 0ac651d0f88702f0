import { sql, type SQL } from 'drizzle-orm';

/**
 * Outcome of a build from (finished, status), in SQL. Must agree with the collector's pure
 * `outcomeOf` (a test checks every status code against it).
 */
export function outcomeSql(b: string): SQL {
  return sql.raw(`(case when ${b}.finished = 0 then 'pending' when ${b}.status = 0 then 'success'
    when ${b}.status in (3,4,7,9,10) then 'infra' else 'failure' end)`);
}

export function kindSql(b: string): SQL {
  return sql.raw(`(case when ${b}.finished = 1 and ${b}.status is distinct from 0 and ${b}.status not in (3,4,7,9,10)
    then (case when ${b}.status = 2 then 'dependency' else 'direct' end) end)`);
}

/** True when the build has a verdict (finished, and neither pending nor infra). */
export function hasVerdictSql(b: string): SQL {
  return sql.raw(`(${b}.finished = 1 and coalesce(${b}.status, 1) not in (3,4,7,9,10))`);
}

/** A Postgres array literal for bigint ids, passed as one text parameter (`$1::bigint[]`). */
export function idArray(ids: Iterable<number>): SQL {
  return sql`${`{${Array.from(ids).join(',')}}`}::bigint[]`;
}

/** A Postgres array literal for integer ids (job ids), passed as one text parameter (`$1::int[]`). */
export function intArray(ids: Iterable<number>): SQL {
  return sql`${`{${Array.from(ids).join(',')}}`}::int[]`;
}
