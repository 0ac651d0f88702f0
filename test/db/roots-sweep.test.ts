import { describe, expect, it } from 'vitest';
import { sweepRoots } from '../../db/src/queries/trends.ts';

// Evals 10, 20, ..., 60; a group is open in the evals from `opened` up to, not including, `closed`.
const ids = [10, 20, 30, 40, 50, 60];
const g = (key: string, opened: number, closed: number | null, n = 1) => ({ key, opened, closed, n });
const per = (groups: ReturnType<typeof g>[], of = ids) => [...sweepRoots(of, groups).values()].map((v) => [v.roots, v.blocked]);

describe('sweepRoots: distinct roots and their dependents open in each eval', () => {
  it.each([
    ['nothing known', [], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]],
    ['one root, three dependents opening together, never closed', [g('a', 30, null, 3)], [[0, 0], [0, 0], [1, 3], [1, 3], [1, 3], [1, 3]]],
    ['closed in an eval: open before it only', [g('a', 20, 40, 2)], [[0, 0], [1, 2], [1, 2], [0, 0], [0, 0], [0, 0]]],
    ['a root open through overlapping groups counts once', [g('a', 20, 50), g('a', 30, null, 4)], [[0, 0], [1, 1], [1, 5], [1, 5], [1, 4], [1, 4]]],
    ['a root with a gap between its dependents is not counted in the gap', [g('a', 20, 30), g('a', 50, null)], [[0, 0], [1, 1], [0, 0], [0, 0], [1, 1], [1, 1]]],
    ['back to back groups leave no gap', [g('a', 20, 40), g('a', 40, 50)], [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0]]],
    ['two roots', [g('a', 10, null, 2), g('b', 30, 50)], [[1, 2], [1, 2], [2, 3], [2, 3], [1, 2], [1, 2]]],
    ['opened before the range, closed after it', [g('a', 1, 99)], [[1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]]],
    ['opened and closed between two evals of the range: open in none', [g('a', 21, 29)], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]],
  ])('%s', (_, groups, want) => {
    expect(per(groups)).toEqual(want);
  });

  it('answers for exactly the evals asked', () => {
    expect([...sweepRoots([], [g('a', 1, null)]).keys()]).toEqual([]);
    expect([...sweepRoots([15, 35], [g('a', 20, null)]).entries()]).toEqual([[15, { roots: 0, blocked: 0 }], [35, { roots: 1, blocked: 1 }]]);
  });
});
