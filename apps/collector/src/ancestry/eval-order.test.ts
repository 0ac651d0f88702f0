// Protects the eval-order shortcut: a commit that is one of the jobset's eval revisions is
// answered from eval order alone; anything it cannot tell for sure (another commit, a prefix
// shared by two revisions, one too short) goes to the fallback.
import { expect, it } from 'vitest';
import { evalOrderOracle } from './eval-order.ts';
import type { AncestryOracle } from './oracle.ts';

const rev = (c: string, tail = '0') => `${c.repeat(8)}${tail.repeat(32)}`;
// Evals 1..5: a, b, b (no new commit), c, then d which shares c's first eight digits.
const evals = [rev('a'), rev('b'), rev('b'), rev('c', '1'), rev('c', '2')].map((revision, i) => ({ id: i + 1, revision, timestamp: '2026-11-01T00:00:00.000Z' }));

it('answers from eval order when both are eval revisions, else asks the fallback', async () => {
  const asked: [string, string][] = [];
  const fallback: AncestryOracle = { name: 'github', isAncestor: async (c, o) => (asked.push([c, o]), null) };
  const o = evalOrderOracle(evals, fallback);
  const cases: [string, string, boolean | null, boolean][] = [
    [rev('a'), rev('c', '2'), true, false],
    [rev('c', '2'), rev('a'), false, false],
    [rev('b'), rev('b'), true, false],
    [rev('b').slice(0, 7), rev('a'), false, false],
    [rev('a').toUpperCase(), rev('b'), true, false],
    [rev('c', '1').slice(0, 12), rev('b'), false, false], // a prefix only one revision has
    [rev('c').slice(0, 8), rev('c', '2'), null, true], // shared by two revisions
    ['aaaaaa', rev('b'), null, true], // too short to trust
    ['0123456789', rev('b'), null, true], // not an eval revision
  ];
  expect(o.name).toBe('evals');
  for (const [commit, of, want, fallsBack] of cases) {
    const before = asked.length;
    const got = await o.isAncestor(commit, of);
    expect({ commit, got, fallsBack: asked.length > before }).toEqual({ commit, got: fallsBack ? null : want, fallsBack });
  }
  expect(o.fallbackCalls).toBe(3);
  expect(o.name).toBe('github');
});
