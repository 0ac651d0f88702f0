// A commit that is one of a jobset's eval revisions needs no GitHub and no clone: those revisions
// follow one branch in eval order (the eval search relies on it too), so the revision of eval i
// contains the revision of eval j exactly when j <= i. Any other question goes to the fallback.

import type { EvalRevision } from '@zhf/db/queries';
import type { AncestryOracle } from './oracle.ts';

export interface EvalOrderOracle extends AncestryOracle {
  /** `evals` while every answer came from eval order, else the fallback's name. */
  readonly name: string;
  /** Questions passed on to the fallback. */
  readonly fallbackCalls: number;
}

/** The eval index range of the revision `ref` abbreviates, or null when none or several revisions match. */
function indexer(evals: readonly EvalRevision[]) {
  const spans = new Map<string, { first: number; last: number }>();
  evals.forEach((e, i) => {
    const r = e.revision.toLowerCase();
    const s = spans.get(r);
    if (s) s.last = i;
    else spans.set(r, { first: i, last: i });
  });
  const sorted = [...spans.keys()].sort();
  return (ref: string): { first: number; last: number } | null => {
    const r = ref.toLowerCase();
    const exact = spans.get(r);
    if (exact) return exact;
    if (r.length < 7) return null;
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    if (!sorted[lo]?.startsWith(r) || sorted[lo + 1]?.startsWith(r)) return null;
    return spans.get(sorted[lo]!)!;
  };
}

/** `evals` oldest first (as `jobsetEvalRevisions` lists them). */
export function evalOrderOracle(evals: readonly EvalRevision[], fallback: AncestryOracle): EvalOrderOracle {
  const find = indexer(evals);
  let fallbackCalls = 0;
  return {
    get name() {
      return fallbackCalls ? (fallback.name ?? 'custom') : 'evals';
    },
    get fallbackCalls() {
      return fallbackCalls;
    },
    async isAncestor(commit, of) {
      const c = find(commit);
      const o = c && find(of);
      if (c && o) return c.first <= o.last;
      fallbackCalls++;
      return fallback.isAncestor(commit, of);
    },
  };
}
