import { describe, expect, it } from 'vitest';
import type { Outcome } from '@zhf/db/verdict';
import { deriveBreakages, type DerivedBreakage, type EvalRef, type RunInput } from './breakages.ts';

// Six evals of a jobset, ids 1-6, revision rN for eval N.
const EVALS: EvalRef[] = [1, 2, 3, 4, 5, 6].map((id) => ({ id, revision: `r${id}` }));

/** A run of build 100 + first from eval `first` to `last` (null: to the newest eval). */
function run(first: number, last: number | null, outcome: Outcome, extra: Partial<RunInput> = {}): RunInput {
  const failed = outcome === 'failure';
  return {
    buildId: 100 + first, firstEvalId: first, lastEvalId: last, outcome,
    kind: failed ? 'direct' : null, status: { success: 0, failure: 1, pending: null, infra: 7 }[outcome],
    drvpath: `/nix/store/${first}-hello.drv`, seenSuccess: outcome === 'success', seenFailure: failed, ...extra,
  };
}

/** A breakage opened in eval `opened` by build 100 + opened against the verdict of eval `baseline`. */
function breakage(opened: number, baseline: number | null, extra: Partial<DerivedBreakage> = {}): DerivedBreakage {
  return {
    openedEvalId: opened, state: 'open', closedEvalId: null, kind: 'direct', status: 1, buildId: 100 + opened,
    baselineEvalId: baseline, rangeFrom: baseline === null ? null : `r${baseline}`, rangeTo: baseline === null ? null : `r${opened}`,
    flaky: false, preexisting: baseline === null && opened === EVALS[0]!.id, ...extra,
  };
}

describe('deriveBreakages (SPEC section 3, breakage)', () => {
  it.each<[string, RunInput[], DerivedBreakage[]]>([
    ['nothing to claim while a job succeeds', [run(1, null, 'success')], []],
    ['open: a failure after a success, range from the last good eval', [run(1, 2, 'success'), run(3, null, 'failure')], [breakage(3, 2)]],
    ['open in the oldest eval, without a baseline or range', [run(1, null, 'failure')], [breakage(1, null)]],
    ['open for a new job, without a baseline or range', [run(4, null, 'failure')], [breakage(4, null)]],
    ['the kind and status at opening', [run(1, 1, 'success'), run(2, null, 'failure', { kind: 'dependency', status: 2 })],
      [breakage(2, 1, { kind: 'dependency', status: 2 })]],
    ['one breakage across consecutive failing builds', [run(1, 1, 'success'), run(2, 3, 'failure'), run(4, null, 'failure')], [breakage(2, 1)]],
    ['fixed at the next success', [run(1, 1, 'success'), run(2, 3, 'failure'), run(4, null, 'success')],
      [breakage(2, 1, { state: 'fixed', closedEvalId: 4 })]],
    ['fixed, then a new breakage at the next failure', [run(1, 1, 'success'), run(2, 2, 'failure'), run(3, 4, 'success'), run(5, null, 'failure')],
      [breakage(2, 1, { state: 'fixed', closedEvalId: 3 }), breakage(5, 4)]],
    ['gone at the first eval without the job', [run(1, 1, 'success'), run(2, 3, 'failure')],
      [breakage(2, 1, { state: 'gone', closedEvalId: 4 })]],
    ['gone at a gap; failing again on return is no new breakage', [run(1, 1, 'success'), run(2, 2, 'failure'), run(4, null, 'failure')],
      [breakage(2, 1, { state: 'gone', closedEvalId: 3 })]],
    ['a gap while succeeding keeps the baseline', [run(1, 1, 'success'), run(3, null, 'failure')], [breakage(3, 1)]],
    ['a pending run neither opens nor closes', [run(1, 1, 'success'), run(2, 2, 'pending'), run(3, null, 'failure')], [breakage(3, 1)]],
    ['an infra run neither opens nor closes', [run(1, 1, 'success'), run(2, 2, 'failure'), run(3, 4, 'infra'), run(5, null, 'success')],
      [breakage(2, 1, { state: 'fixed', closedEvalId: 5 })]],
    ['a failure after pending and infra only is opened without a baseline', [run(1, 1, 'pending'), run(2, 2, 'infra'), run(3, null, 'failure')],
      [breakage(3, null)]],
    ['an open breakage whose job then only pends is still open', [run(1, 1, 'success'), run(2, 2, 'failure'), run(3, null, 'pending')], [breakage(2, 1)]],
    ['an open breakage whose job leaves after an infra run is gone', [run(1, 1, 'success'), run(2, 2, 'failure'), run(3, 4, 'infra')],
      [breakage(2, 1, { state: 'gone', closedEvalId: 5 })]],
    ['flaky: the failing derivation was seen succeeding too', [run(1, 1, 'success'), run(2, null, 'failure', { seenSuccess: true })],
      [breakage(2, 1, { flaky: true })]],
    ['flaky: the same derivation succeeded in another run', [run(1, 1, 'success', { drvpath: '/nix/store/x.drv' }), run(2, null, 'failure', { drvpath: '/nix/store/x.drv' })],
      [breakage(2, 1, { flaky: true })]],
    ['not flaky: builds known only from short records (no derivation yet)', [run(1, 1, 'success', { drvpath: '' }), run(2, null, 'failure', { drvpath: '' })],
      [breakage(2, 1)]],
    ['flaky: a later failing run of a derivation seen succeeding', [
      run(1, 1, 'success'), run(2, 2, 'failure'), run(3, null, 'failure', { drvpath: '/nix/store/y.drv', seenSuccess: true }),
    ], [breakage(2, 1, { flaky: true })]],
    ['not flaky: another derivation succeeded', [run(1, 1, 'success'), run(2, null, 'failure')], [breakage(2, 1)]],
    ['a run starting in an eval not ingested is skipped', [run(1, 1, 'success'), { ...run(2, null, 'failure'), firstEvalId: 99 }], []],
  ])('%s', (_what, runs, expected) => {
    expect(deriveBreakages(runs, EVALS)).toEqual(expected);
  });

  it('leaves the range empty when the baseline eval has no revision', () => {
    const evals = EVALS.map((e) => (e.id === 1 ? { ...e, revision: null } : e));
    expect(deriveBreakages([run(1, 1, 'success'), run(2, null, 'failure')], evals)).toEqual([breakage(2, 1, { rangeFrom: null, rangeTo: null })]);
  });
});
