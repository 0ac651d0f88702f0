// Outcome of a Hydra build (SPEC section 3). The raw status is kept by callers; this only classifies.

export type Outcome = 'pending' | 'success' | 'failure' | 'infra';
export type FailureKind = 'direct' | 'dependency';

export type Classified =
  | { outcome: 'pending'; kind: null }
  | { outcome: 'success'; kind: null }
  | { outcome: 'infra'; kind: null }
  | { outcome: 'failure'; kind: FailureKind };

/** Aborted, cancelled, timed out, unsupported system, log limit: Hydra's fault, not the package's. */
const INFRA_STATUSES: ReadonlySet<number> = new Set([3, 4, 7, 9, 10]);

/**
 * `finished` is authoritative: a restarted build is back to 0 but keeps its old status.
 * Any non-zero status that is neither infra nor 2 is a direct failure, unknown codes included.
 */
export function outcomeOf(finished: number, status: number | null): Classified {
  if (finished === 0 || status === null) return { outcome: 'pending', kind: null };
  if (status === 0) return { outcome: 'success', kind: null };
  if (status === 2) return { outcome: 'failure', kind: 'dependency' };
  if (INFRA_STATUSES.has(status)) return { outcome: 'infra', kind: null };
  return { outcome: 'failure', kind: 'direct' };
}

/** Hydra's `buildstatus` meanings (HYDRA-API.md), for display. */
export const STATUS_LABELS: Readonly<Record<number, string>> = {
  0: 'succeeded',
  1: 'failed',
  2: 'dependency failed',
  3: 'aborted',
  4: 'cancelled',
  5: 'obsolete',
  6: 'failed with output',
  7: 'timed out',
  9: 'unsupported system type',
  10: 'log limit exceeded',
  11: 'output size limit exceeded',
  12: 'not deterministic',
};

/** Display text of a raw status; null means queued or building. */
export function statusLabel(code: number | null): string {
  if (code === null) return 'queued or building';
  return STATUS_LABELS[code] ?? `unknown status ${code}`;
}
