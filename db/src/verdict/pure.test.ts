import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { categoryOf, continuingCategory, hasVerdict, isFailedBuild, outcomeOf, outcomeOfCategory, statusLabel } from './pure.ts';
import { withVerdictTables } from './docs.ts';
import { CATEGORIES, type Baseline, type Category, type Outcome } from './table.ts';

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
    // A finished build without a status is Hydra's "queued or building": no verdict, and no
    // failure without a kind.
    [1, null, 'pending', null],
  ] as const)('finished=%j status=%j → %s/%s', (finished, status, outcome, kind) => {
    expect(outcomeOf(finished, status)).toEqual({ outcome, kind });
    expect(hasVerdict(finished, status)).toBe(outcome === 'success' || outcome === 'failure');
    expect(isFailedBuild(finished, status)).toBe(outcome === 'failure');
  });
});

describe('categoryOf (SPEC section 3)', () => {
  // The job's outcome in E (absent: not in E) against its baseline, and the category.
  it.each([
    'failure against success: new_failure',
    'failure against failure: still_failing',
    'success against failure: fixed',
    'success against success: still_succeeding',
    'failure against none: new_job_failing',
    'success against none: new_job',
    'failure against unknown: failing',
    'success against unknown: succeeding',
    'pending against success: pending',
    'pending against failure: pending',
    'pending against none: pending',
    'pending against unknown: pending',
    'infra against success: infra',
    'infra against failure: infra',
    'infra against none: infra',
    'infra against unknown: infra',
    'absent against success: removed',
    'absent against none: removed',
  ])('%s', (line) => {
    const [, outcome, baseline, category] = /^(\w+) against (\w+): (\w+)$/.exec(line)!;
    expect(categoryOf(outcome === 'absent' ? null : outcome as Outcome, baseline as Baseline)).toBe(category);
  });

  it('keeps a continuing run in its still_ category', () => {
    expect([continuingCategory('success'), continuingCategory('failure'), continuingCategory('pending'), continuingCategory('infra')])
      .toEqual(['still_succeeding', 'still_failing', 'pending', 'infra']);
  });

  it('knows the outcome every category needs', () => {
    const needs = Object.fromEntries(CATEGORIES.filter((c) => c !== 'removed').map((c) => [c, outcomeOfCategory(c as Exclude<Category, 'removed'>)]));
    expect(needs).toEqual({
      new_failure: 'failure', still_failing: 'failure', new_job_failing: 'failure', failing: 'failure',
      fixed: 'success', still_succeeding: 'success', new_job: 'success', succeeding: 'success', pending: 'pending', infra: 'infra',
    });
  });
});

describe("README's verdict tables", () => {
  it('are the ones generated from the verdict table (run `npm run docs:verdicts`)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withVerdictTables(readme));
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
