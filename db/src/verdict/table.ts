// The verdict rules of SPEC section 3 as data: what each Hydra build status means, and which
// category a job's transition falls in. The pure functions, the SQL fragments and README's
// verdict tables are all read from these two tables.

export const OUTCOMES = ['success', 'failure', 'pending', 'infra'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type FailureKind = 'direct' | 'dependency';

/** The outcome of a build with its failure kind: only failures have a kind. */
export type Classified =
  | { outcome: 'pending'; kind: null }
  | { outcome: 'success'; kind: null }
  | { outcome: 'infra'; kind: null }
  | { outcome: 'failure'; kind: FailureKind };

export type StatusRow = Classified & {
  code: number;
  /** Hydra's meaning (HYDRA-API.md); null for codes Hydra sets on build steps only. */
  label: string | null;
};

/**
 * Every `buildstatus` Hydra defines, 0 to 13, for a finished build. A build that is not
 * finished is pending whatever status it keeps (a restarted build keeps its old one).
 */
export const STATUSES: readonly StatusRow[] = [
  { code: 0, label: 'succeeded', outcome: 'success', kind: null },
  { code: 1, label: 'failed', outcome: 'failure', kind: 'direct' },
  { code: 2, label: 'dependency failed', outcome: 'failure', kind: 'dependency' },
  { code: 3, label: 'aborted', outcome: 'infra', kind: null },
  { code: 4, label: 'cancelled', outcome: 'infra', kind: null },
  { code: 5, label: 'obsolete', outcome: 'failure', kind: 'direct' },
  { code: 6, label: 'failed with output', outcome: 'failure', kind: 'direct' },
  { code: 7, label: 'timed out', outcome: 'infra', kind: null },
  { code: 8, label: null, outcome: 'failure', kind: 'direct' },
  { code: 9, label: 'unsupported system type', outcome: 'infra', kind: null },
  { code: 10, label: 'log limit exceeded', outcome: 'infra', kind: null },
  { code: 11, label: 'output size limit exceeded', outcome: 'failure', kind: 'direct' },
  { code: 12, label: 'not deterministic', outcome: 'failure', kind: 'direct' },
  { code: 13, label: null, outcome: 'failure', kind: 'direct' },
];

/** A finished build with a code not in the table: a failure of the package, never ignored. */
export const UNKNOWN_STATUS: Classified = { outcome: 'failure', kind: 'direct' };

/**
 * Not finished, or finished without a status: Hydra's "queued or building". A null status
 * never comes with a result, so it cannot be a verdict (and a failure needs a kind).
 */
export const PENDING: Classified = { outcome: 'pending', kind: null };

export const CATEGORIES = [
  'new_failure', 'still_failing', 'fixed', 'still_succeeding', 'new_job_failing', 'new_job',
  'failing', 'succeeding', 'pending', 'infra', 'removed',
] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * What a job's row is compared with: the outcome of its baseline (a verdict), `none` when it
 * has no earlier verdict although earlier evals are known (a new job), `unknown` when there is
 * nothing to compare with (the oldest ingested eval; in a comparison of two evals, the other
 * eval's build has no verdict).
 */
export const BASELINES = ['success', 'failure', 'none', 'unknown'] as const;
export type Baseline = (typeof BASELINES)[number];

/** SPEC section 3's category table: the job's outcome in the eval, by baseline. */
export const TRANSITIONS: Readonly<Record<Outcome, Readonly<Record<Baseline, Category>>>> = {
  failure: { success: 'new_failure', failure: 'still_failing', none: 'new_job_failing', unknown: 'failing' },
  success: { success: 'still_succeeding', failure: 'fixed', none: 'new_job', unknown: 'succeeding' },
  pending: { success: 'pending', failure: 'pending', none: 'pending', unknown: 'pending' },
  infra: { success: 'infra', failure: 'infra', none: 'infra', unknown: 'infra' },
};

/** The categories of a failing job, whatever its baseline (the failure row of the table). */
export const FAILING_CATEGORIES: readonly Category[] = Object.values(TRANSITIONS.failure);

/** A job that is not in the eval (but was in the one compared with). */
export const ABSENT_CATEGORY: Category = 'removed';
