// The verdict rules as TypeScript functions: the twins of the SQL fragments in sql.ts,
// held equal to them by test/db/verdict.test.ts.
import {
  ABSENT_CATEGORY, PENDING, STATUSES, TRANSITIONS, UNKNOWN_STATUS,
  type Baseline, type Category, type Classified, type Outcome,
} from './table.ts';

const BY_CODE: ReadonlyMap<number, Classified> = new Map(STATUSES.map((s) => [s.code, { outcome: s.outcome, kind: s.kind } as Classified]));

/**
 * Outcome of a build from Hydra's (finished, buildstatus). `finished` is authoritative: a
 * restarted build is back to 0 but keeps its old status.
 */
export function outcomeOf(finished: number, status: number | null): Classified {
  if (finished === 0 || status === null) return PENDING;
  return BY_CODE.get(status) ?? UNKNOWN_STATUS;
}

/** Success and failure are verdicts; pending and infra say nothing about the derivation. */
export function isVerdict(outcome: Outcome): outcome is 'success' | 'failure' {
  return outcome === 'success' || outcome === 'failure';
}

export function hasVerdict(finished: number, status: number | null): boolean {
  return isVerdict(outcomeOf(finished, status).outcome);
}

/** A failure verdict (what `seen_failure` records). */
export function isFailedBuild(finished: number, status: number | null): boolean {
  return outcomeOf(finished, status).outcome === 'failure';
}

/** The category of a job's row; `outcome` null: the job is not in the eval. */
export function categoryOf(outcome: Outcome | null, baseline: Baseline): Category {
  return outcome === null ? ABSENT_CATEGORY : TRANSITIONS[outcome][baseline];
}

/** The category of a job that kept its build since the previous eval (its own verdict is the baseline). */
export function continuingCategory(outcome: Outcome): Category {
  return categoryOf(outcome, isVerdict(outcome) ? outcome : 'unknown');
}

/** Categories a job keeping its build from the previous eval can have. */
export const CONTINUING_CATEGORIES: ReadonlySet<Category> = new Set(
  (Object.keys(TRANSITIONS) as Outcome[]).map(continuingCategory),
);

/** The outcome a row must have to fall in a category (`removed` rows aside). */
export function outcomeOfCategory(c: Exclude<Category, 'removed'>): Outcome {
  for (const o of Object.keys(TRANSITIONS) as Outcome[]) if (Object.values(TRANSITIONS[o]).includes(c)) return o;
  throw new Error(`category ${c} is in no transition`);
}

/** Display text of a raw status; null means queued or building. */
export function statusLabel(code: number | null): string {
  if (code === null) return 'queued or building';
  return STATUSES.find((s) => s.code === code)?.label ?? `unknown status ${code}`;
}

/** The baseline a build on the other side of a comparison gives (null: the job has no build there). */
export function comparedBaseline(outcome: Outcome | null): Baseline {
  if (outcome === null) return 'none';
  return isVerdict(outcome) ? outcome : 'unknown';
}
