import { describe, expect, it } from 'vitest';
import type { CauseHow } from '@zhf/db/queries';
import { causeOfSteps, rootOf } from './resolve.ts';

type C = { cause: number | null; how: CauseHow; root: number | null };

/** rootOf over a little graph: `causes` by build, `status` by build (absent: not known yet). */
function walk(start: number, causes: Record<number, C>, status: Record<number, number | null>) {
  const need: string[] = [];
  const root = rootOf(start, (id) => causes[id], (id) => (id in status ? status[id]! : undefined), (id, what) => need.push(`${what} ${id}`));
  return { root, need };
}
const to = (cause: number | null, how: CauseHow = 'propagated', root: number | null = null): C => ({ cause, how, root });

describe('rootOf: where a chain of causes ends (SPEC section 8)', () => {
  it.each([
    ['a direct cause is the root', { 1: to(2) }, { 2: 1 }, 2, []],
    ['dep -> dep -> direct', { 1: to(2), 2: to(3) }, { 2: 2, 3: 1 }, 3, []],
    ['a cause already rooted ends the walk there', { 1: to(2), 2: to(3, 'propagated', 9) }, { 2: 2 }, 9, []],
    ['a dead end stops at the last known build', { 1: to(2), 2: to(null, 'none') }, { 2: 2 }, 2, []],
    ['a cycle stops at the last known build', { 1: to(2), 2: to(3), 3: to(2) }, { 2: 2, 3: 2 }, 2, []],
    ['a build naming nothing has no root', { 1: to(null, 'none') }, {}, null, []],
    ['an unread cause record is asked for', { 1: to(2) }, {}, undefined, ['record 2']],
    ['an unread build page of a dependency failure is asked for', { 1: to(2) }, { 2: 2 }, undefined, ['page 2']],
    ['a cause that is not a failure (cancelled, restarted to success) still ends the chain', { 1: to(2) }, { 2: 0 }, 2, []],
  ] as const)('%s', (_name, causes, status, root, need) => {
    expect(walk(1, causes as Record<number, C>, status as Record<number, number | null>)).toEqual({ root, need });
  });
});

describe('causeOfSteps', () => {
  const step = (propagatedFrom: number | null, outputs: string[] = []) => ({ nr: 1, outputs, status: 'Cached failure', propagatedFrom, logUrl: null });
  it('takes the first propagated build that is not the build itself, else every step output to match', () => {
    expect(causeOfSteps(10, [step(10), step(7), step(8)])).toEqual({ propagated: 7, outputs: [] });
    expect(causeOfSteps(10, [step(null, ['/nix/store/a']), step(null, ['/nix/store/b'])])).toEqual({ propagated: null, outputs: ['/nix/store/a', '/nix/store/b'] });
    expect(causeOfSteps(10, [])).toEqual({ propagated: null, outputs: [] });
  });
});
