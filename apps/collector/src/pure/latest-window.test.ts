import { describe, expect, it } from 'vitest';
import { cheapestReach, pollCandidates } from './latest-window.ts';

describe('how far one /api/latestbuilds reaches', () => {
  it('asks one stuck build by itself rather than re-reading the 250k rows above it', () => {
    // Reach only the new eval's builds and poll the one build held since the first eval, or cover it.
    expect(cheapestReach([{ rows: 255_000, polls: 0 }, { rows: 5_500, polls: 1 }], 300)).toBe(1);
  });

  it('covers a mass rebuild\'s queued builds when polling them would cost more than the rows', () => {
    // 300 polls (1,500 queries) against 1,000 more rows: the window wins.
    expect(cheapestReach([{ rows: 6_500, polls: 0 }, { rows: 5_500, polls: 300 }], 300)).toBe(0);
  });

  it('never leaves more builds to poll than one sync asks', () => {
    expect(cheapestReach([{ rows: 250_000, polls: 0 }, { rows: 5_000, polls: 301 }], 300)).toBe(0);
    expect(cheapestReach([{ rows: 5_000, polls: 301 }], 300)).toBe(-1);
  });

  it('prefers fewer requests when Hydra\'s cost is the same', () => {
    expect(cheapestReach([{ rows: 1_010, polls: 2 }, { rows: 1_020, polls: 0 }], 300)).toBe(1);
  });

  it('tries every power of two of polls up to the most there are', () => {
    expect(pollCandidates(0)).toEqual([0]);
    expect(pollCandidates(1)).toEqual([0, 1]);
    expect(pollCandidates(5)).toEqual([0, 1, 2, 4, 5]);
    expect(pollCandidates(8)).toEqual([0, 1, 2, 4, 8]);
  });
});
