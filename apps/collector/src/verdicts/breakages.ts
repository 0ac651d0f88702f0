/**
 * Breakages from a job's history (SPEC section 3), as a pure function of its runs (a run =
 * one build held across consecutive evals) and the jobset's ordered evals.
 */
import type { BreakageUpsert } from '@zhf/db/queries';
import type { FailureKind, Outcome } from '@zhf/db/verdict';

export interface RunInput {
  buildId: number;
  firstEvalId: number;
  /** null: the run reaches the newest ingested eval. */
  lastEvalId: number | null;
  outcome: Outcome;
  kind: FailureKind | null;
  status: number | null;
  drvpath: string;
  seenSuccess: boolean;
  seenFailure: boolean;
}

export interface EvalRef {
  id: number;
  revision: string | null;
}

/** A breakage as derived for one job: the stored row without its job. */
export type DerivedBreakage = Omit<BreakageUpsert, 'jobId'>;

/**
 * `runs` sorted by firstEvalId; `evals` is every ingested eval of the jobset, oldest first.
 * A breakage opens at a failure verdict whose baseline is a success or absent (new job, or
 * the oldest eval); it closes `fixed` at the next success verdict, or `gone` at the first
 * eval that no longer contains the job. Pending and infra evals neither open nor close.
 */
export function deriveBreakages(runs: RunInput[], evals: EvalRef[]): DerivedBreakage[] {
  const index = new Map<number, number>();
  evals.forEach((e, i) => index.set(e.id, i));
  const newest = evals.length - 1;
  // A derivation seen succeeding anywhere makes its failures flaky.
  // A build known only from a short record (no derivation yet, drvpath '') says nothing about it.
  const succeededDrvs = new Set(runs.filter((r) => r.drvpath && (r.outcome === 'success' || r.seenSuccess)).map((r) => r.drvpath));
  const isFlaky = (r: RunInput) => (r.seenSuccess && r.seenFailure) || (r.outcome === 'failure' && !!r.drvpath && succeededDrvs.has(r.drvpath));

  const out: DerivedBreakage[] = [];
  let open: DerivedBreakage | null = null;
  let last: { outcome: 'success' | 'failure'; evalId: number } | null = null;
  let prevEnd = -1; // index of the last eval the previous run covered

  for (const run of runs) {
    const start = index.get(run.firstEvalId);
    if (start === undefined) continue;
    const end = run.lastEvalId === null ? newest : (index.get(run.lastEvalId) ?? newest);
    if (open && prevEnd >= 0 && start > prevEnd + 1) {
      open.state = 'gone';
      open.closedEvalId = evals[prevEnd + 1]!.id;
      open = null;
    }
    prevEnd = end;
    if (run.outcome === 'failure') {
      if (open) {
        open.flaky ||= isFlaky(run);
      } else if (last === null || last.outcome === 'success') {
        const baseline = last;
        open = {
          openedEvalId: run.firstEvalId,
          state: 'open',
          closedEvalId: null,
          kind: run.kind,
          status: run.status,
          buildId: run.buildId,
          baselineEvalId: baseline?.evalId ?? null,
          rangeFrom: baseline ? (evals[index.get(baseline.evalId)!]?.revision ?? null) : null,
          rangeTo: evals[start]!.revision,
          flaky: isFlaky(run),
          // A `failing` row: already broken when the oldest ingested eval was made (SPEC section 3).
          preexisting: baseline === null && start === 0,
        };
        if (!open.rangeFrom) open.rangeTo = null;
        out.push(open);
      }
      last = { outcome: 'failure', evalId: evals[end]!.id };
    } else if (run.outcome === 'success') {
      if (open) {
        open.state = 'fixed';
        open.closedEvalId = run.firstEvalId;
        open = null;
      }
      last = { outcome: 'success', evalId: evals[end]!.id };
    }
  }
  if (open && prevEnd < newest) {
    open.state = 'gone';
    open.closedEvalId = evals[prevEnd + 1]!.id;
  }
  return out;
}
