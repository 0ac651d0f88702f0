import { sql, type SQL } from 'drizzle-orm';

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

/**
 * What identifies a build as a root across jobsets: its derivation (the tracked record's, else
 * the one read for the cause), else `build:<id>`. The one definition: keys are stored with it and
 * breakages are matched to roots with it.
 */
export const buildKeySql = (id: SQL) => sql`coalesce(
  (select nullif(kb.drvpath, '') from builds kb where kb.id = ${id}),
  (select nullif(kc.drvpath, '') from cause_builds kc where kc.id = ${id}),
  'build:' || ${id})`;
