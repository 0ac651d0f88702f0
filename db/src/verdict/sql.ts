// The verdict rules as SQL, generated from table.ts: each fragment is the CASE the pure
// function in pure.ts computes (test/db/verdict.test.ts holds them equal on both drivers).
import { sql, type SQL } from 'drizzle-orm';
import { isVerdict } from './pure.ts';
import {
  ABSENT_CATEGORY, BASELINES, OUTCOMES, PENDING, STATUSES, TRANSITIONS, UNKNOWN_STATUS,
  type Classified,
} from './table.ts';

const quote = (v: string | null) => (v === null ? 'null' : `'${v}'`);

/**
 * The condition "a finished build's status is classified as `pred` says", written as the
 * shorter of the two lists: the codes that differ from what an unknown code gets.
 */
function statusIs(b: string, pred: (c: Classified) => boolean): string {
  const otherwise = pred(UNKNOWN_STATUS);
  const listed = STATUSES.filter((s) => pred(s) !== otherwise).map((s) => s.code);
  if (!listed.length) return otherwise ? 'true' : 'false';
  return `${b}.status ${otherwise ? 'not in' : 'in'} (${listed.join(',')})`;
}

const VERDICTS = OUTCOMES.filter(isVerdict).map(quote).join(', ');
const pendingIf = (b: string) => `${b}.finished = 0 or ${b}.status is null`;
const finishedIf = (b: string) => `${b}.finished <> 0 and ${b}.status is not null`;

/** A CASE over a classified field (outcome or kind) of the build `b`: one branch per value, unknown codes in `else`. */
function classifiedCase<K extends keyof Classified>(b: string, field: K): string {
  const values = [...new Set(STATUSES.map((s) => s[field]))].filter((v) => v !== UNKNOWN_STATUS[field]);
  const branches = values.map((v) => `when ${statusIs(b, (c) => c[field] === v)} then ${quote(v)}`);
  return `(case when ${pendingIf(b)} then ${quote(PENDING[field])} ${branches.join(' ')} else ${quote(UNKNOWN_STATUS[field])} end)`;
}

/** Outcome of the build row `b` (columns finished, status): `outcomeOf` in SQL. */
export function outcomeSql(b: string): SQL {
  return sql.raw(classifiedCase(b, 'outcome'));
}

/** Failure kind of the build row `b`, null unless it failed. */
export function kindSql(b: string): SQL {
  return sql.raw(classifiedCase(b, 'kind'));
}

/** True when the build has a verdict (finished, and neither pending nor infra): `hasVerdict`. */
export function hasVerdictSql(b: string): SQL {
  return sql.raw(`(${finishedIf(b)} and ${statusIs(b, (c) => isVerdict(c.outcome))})`);
}

/** A failure verdict: `isFailedBuild`. */
export function failedSql(b: string): SQL {
  return sql.raw(`(${finishedIf(b)} and ${statusIs(b, (c) => c.outcome === 'failure')})`);
}

/**
 * Category of a row from its outcome (null: the job is not in the eval) and its baseline
 * (one of BASELINES), both SQL text expressions: `categoryOf`.
 */
export function categorySql(outcome: SQL, baseline: SQL): SQL {
  const branches = OUTCOMES.map((o) => {
    const cats = BASELINES.map((b) => TRANSITIONS[o][b]);
    if (cats.every((c) => c === cats[0])) return sql`when ${outcome} = ${sql.raw(quote(o))} then ${sql.raw(quote(cats[0]!))}`;
    const inner = BASELINES.map((b) => `when ${quote(b)} then ${quote(TRANSITIONS[o][b])}`).join(' ');
    return sql`when ${outcome} = ${sql.raw(quote(o))} then (case ${baseline} ${sql.raw(inner)} end)`;
  });
  return sql`(case when ${outcome} is null then ${sql.raw(quote(ABSENT_CATEGORY))} ${sql.join(branches, sql` `)} end)`;
}

/**
 * The baseline a build on the other side of a comparison gives: its verdict, `unknown` when
 * it has none, `none` when the job has no build there (`present` false).
 */
export function comparedBaselineSql(outcome: SQL, present: SQL): SQL {
  return sql`(case when not (${present}) then 'none' when ${outcome} in (${sql.raw(VERDICTS)}) then ${outcome} else 'unknown' end)`;
}
