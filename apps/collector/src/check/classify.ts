// The pure decision of "pre-existing or new": a package's state on Hydra (from the newest eval's
// row) and what the reviewer saw, to a verdict. No I/O; table-tested.

import type { Outcome } from '@zhf/db/queries';
import type { ReviewStatus } from '../pure/review-report.ts';

export const HYDRA_STATES = ['failing', 'green', 'pending', 'infra', 'unknown'] as const;
export type HydraState = (typeof HYDRA_STATES)[number];
export const CHECK_VERDICTS = ['already-broken', 'likely-new', 'pending', 'unknown', 'built'] as const;
export type CheckVerdict = (typeof CHECK_VERDICTS)[number];

/** Hydra's state of a job in the newest eval; a job absent from it (or removed) is unknown. */
export function hydraStateOf(row: { category: string; outcome: Outcome } | undefined): HydraState {
  if (!row || row.category === 'removed') return 'unknown';
  return row.outcome === 'failure' ? 'failing' : row.outcome === 'success' ? 'green' : row.outcome;
}

/**
 * `built` entries are reported as built (a failing one may be fixed by the change under review).
 * Anything else is a failure the reviewer saw: failing on Hydra means already broken, green means
 * likely new. An infra result (aborted, timed out) falls back to the job's last verdict.
 */
export function verdictOf(
  hydra: HydraState, reviewStatus: ReviewStatus | undefined, lastVerdict: Outcome | null,
): CheckVerdict {
  if (reviewStatus === 'built') return 'built';
  switch (hydra) {
    case 'failing': return 'already-broken';
    case 'green': return 'likely-new';
    case 'pending': return 'pending';
    case 'infra': return lastVerdict === 'failure' ? 'already-broken' : lastVerdict === 'success' ? 'likely-new' : 'unknown';
    case 'unknown': return 'unknown';
  }
}

/** Review lists that name what the reviewer built or failed to build; the others are skipped. */
export const CHECKED_STATUSES = ['failed', 'built', 'broken'] as const satisfies readonly ReviewStatus[];
export type CheckedStatus = (typeof CHECKED_STATUSES)[number];

/** Whether a review list is one `zhf check` compares with Hydra. */
export const isChecked = (s: ReviewStatus): s is CheckedStatus => (CHECKED_STATUSES as readonly ReviewStatus[]).includes(s);
