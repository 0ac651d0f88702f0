import { describe, expect, it } from 'vitest';
import { hydraStateOf, verdictOf, type CheckVerdict, type HydraState } from './classify.ts';

describe('verdictOf', () => {
  // [hydra, review status, last verdict, expected]
  const cases: [HydraState, 'failed' | 'built' | 'broken' | undefined, 'success' | 'failure' | null, CheckVerdict][] = [
    ['failing', 'failed', 'failure', 'already-broken'],
    ['green', 'failed', 'success', 'likely-new'],
    ['pending', 'failed', 'failure', 'pending'],
    ['unknown', 'failed', null, 'unknown'],
    ['infra', 'failed', 'failure', 'already-broken'],
    ['infra', 'failed', 'success', 'likely-new'],
    ['infra', 'failed', null, 'unknown'],
    ['failing', 'built', 'failure', 'built'],
    ['green', 'built', 'success', 'built'],
    ['failing', undefined, 'failure', 'already-broken'],
    ['green', undefined, 'success', 'likely-new'],
    ['green', 'broken', 'success', 'likely-new'],
  ];
  it.each(cases)('hydra %s, review %s, last %s → %s', (hydra, review, last, want) => {
    expect(verdictOf(hydra, review, last)).toBe(want);
  });
});

describe('hydraStateOf', () => {
  it('maps outcomes, and absent or removed jobs to unknown', () => {
    expect(hydraStateOf({ category: 'still_failing', outcome: 'failure' })).toBe('failing');
    expect(hydraStateOf({ category: 'new_job', outcome: 'success' })).toBe('green');
    expect(hydraStateOf({ category: 'pending', outcome: 'pending' })).toBe('pending');
    expect(hydraStateOf({ category: 'infra', outcome: 'infra' })).toBe('infra');
    expect(hydraStateOf({ category: 'removed', outcome: 'failure' })).toBe('unknown');
    expect(hydraStateOf(undefined)).toBe('unknown');
  });
});
