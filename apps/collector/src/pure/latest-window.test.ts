import { describe, expect, it } from 'vitest';
import { BUILD_REQUEST_COST, cheapestReach, pollCandidates, widenedNr, windowNr } from './latest-window.ts';

describe('how far one /api/latestbuilds reaches', () => {
  it('asks one stuck build by itself rather than re-reading the 250k rows above it', () => {
    // Reach only the new eval's builds and poll the one build held since the first eval, or cover it.
    expect(cheapestReach([{ rows: 255_000, polls: 0 }, { rows: 5_500, polls: 1 }], 300)).toBe(1);
  });

  it('covers a mass rebuild\'s queued builds when polling them would cost more than the rows', () => {
    // 300 polls (4,200 queries) against 1,000 more rows: the window wins.
    expect(cheapestReach([{ rows: 6_500, polls: 0 }, { rows: 5_500, polls: 300 }], 300)).toBe(0);
  });

  it('never leaves more builds to poll than one sync asks', () => {
    expect(cheapestReach([{ rows: 250_000, polls: 0 }, { rows: 5_000, polls: 301 }], 300)).toBe(0);
    expect(cheapestReach([{ rows: 5_000, polls: 301 }], 300)).toBe(-1);
  });

  it('prefers fewer requests when Hydra\'s cost is the same', () => {
    const rows = 1_000 + 2 * BUILD_REQUEST_COST;
    expect(cheapestReach([{ rows: 1_000, polls: 2 }, { rows, polls: 0 }], 300)).toBe(1);
    expect(cheapestReach([{ rows: 1_000, polls: 2 }, { rows: rows + 1, polls: 0 }], 300)).toBe(0);
  });

  it('tries every power of two of polls up to the most there are', () => {
    expect(pollCandidates(0)).toEqual([0]);
    expect(pollCandidates(1)).toEqual([0, 1]);
    expect(pollCandidates(5)).toEqual([0, 1, 2, 4, 5]);
    expect(pollCandidates(8)).toEqual([0, 1, 2, 4, 8]);
  });
});

describe('how many rows one /api/latestbuilds asks for', () => {
  const size = { stored: 200, pending: 5_000, min: 1_000, max: 300_000 };

  it('counts only the share of pending members that has finished (Hydra lists finished builds only)', () => {
    // 200 stored + 10% of 5,000 pending = 700 rows, +5% and 50 spare, then the floor.
    expect(windowNr(size, 0.1)).toBe(1_000);
    expect(windowNr(size, 0.5)).toBe(Math.ceil(2_700 * 1.05) + 50);
    // Everything finished: as wide as if every pending member took a row.
    expect(windowNr(size, 1)).toBe(Math.ceil(5_200 * 1.05) + 50);
    expect(windowNr({ ...size, max: 3_000 }, 1)).toBe(3_000);
  });

  it('widens from the share an answer showed, at least doubling, never past the full window', () => {
    // The first 1,000 rows named 900 of the 1,200 pending members above its lowest row: 75% finished.
    const next = widenedNr(size, 1_000, 900, 1_200, 0.1);
    expect(next).toBe(windowNr(size, 0.75 * 1.25 + 0.02));
    expect(next).toBeLessThanOrEqual(windowNr(size, 1));
    // Few finished above the cut: still at least twice the rows just asked.
    expect(widenedNr(size, 1_000, 10, 1_200, 0.05)).toBe(2_000);
    // Nothing pending above the cut: the full window.
    expect(widenedNr(size, 1_000, 0, 0, 0.05)).toBe(windowNr(size, 1));
  });
});
