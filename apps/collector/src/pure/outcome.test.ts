import { describe, expect, it } from 'vitest';
import { outcomeOf, statusLabel } from './outcome.ts';

describe('outcomeOf', () => {
  it.each([
    // finished, status, outcome, kind
    [1, 0, 'success', null],
    [1, 1, 'failure', 'direct'],
    [1, 2, 'failure', 'dependency'],
    [1, 3, 'infra', null],
    [1, 4, 'infra', null],
    [1, 5, 'failure', 'direct'],
    [1, 6, 'failure', 'direct'],
    [1, 7, 'infra', null],
    [1, 9, 'infra', null],
    [1, 10, 'infra', null],
    [1, 11, 'failure', 'direct'],
    [1, 12, 'failure', 'direct'],
    // Unknown codes are failures of the package, never silently ignored.
    [1, 8, 'failure', 'direct'],
    [1, 13, 'failure', 'direct'],
    [1, 99, 'failure', 'direct'],
    [1, -1, 'failure', 'direct'],
    // A restarted build keeps its old status but is pending again.
    [0, null, 'pending', null],
    [0, 0, 'pending', null],
    [0, 1, 'pending', null],
    [0, 2, 'pending', null],
    [0, 3, 'pending', null],
    // finished without a status cannot be judged.
    [1, null, 'pending', null],
  ] as const)('finished=%j status=%j → %s/%s', (finished, status, outcome, kind) => {
    expect(outcomeOf(finished, status)).toEqual({ outcome, kind });
  });
});

describe('statusLabel', () => {
  it.each([
    [null, 'queued or building'],
    [0, 'succeeded'],
    [1, 'failed'],
    [2, 'dependency failed'],
    [3, 'aborted'],
    [4, 'cancelled'],
    [5, 'obsolete'],
    [6, 'failed with output'],
    [7, 'timed out'],
    [9, 'unsupported system type'],
    [10, 'log limit exceeded'],
    [11, 'output size limit exceeded'],
    [12, 'not deterministic'],
    [8, 'unknown status 8'],
    [13, 'unknown status 13'],
    [99, 'unknown status 99'],
    [-1, 'unknown status -1'],
  ])('%j → %s', (code, label) => expect(statusLabel(code)).toBe(label));
});
