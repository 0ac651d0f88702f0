import { describe, expect, it } from 'vitest';
import { trendSeries } from '../../apps/dashboard/src/lib/trends.ts';
import type { Trends } from '../../apps/dashboard/src/lib/types.ts';

const week = (w: string, open: number, opened = 0, median: number | null = null) => ({ week: w, opened, fixed: 0, fixedInWeek: 0, open, medianHoursToFix: median });
const trends = (over: Partial<Trends>): Trends => ({
  jobset: 'nixpkgs/unstable', from: '2026-10-12T00:00:00.000Z', to: '2026-11-09T00:00:00.000Z', since: null, evals: [],
  weeks: [week('2026-W42', 0), week('2026-W43', 0), week('2026-W44', 4, 4), week('2026-W45', 3, 1, 5)],
  ...over,
});
const anEval = { evalId: 1, timestamp: '2026-10-28T10:00:00.000Z', failing: 4, failingBySystem: {}, failingByKind: { direct: 4, dependency: 0 }, roots: 0, blockedByRoots: 0 };

describe('trend series', () => {
  it('weeks that ended before the record began are gaps, the week it began in and later are numbers', () => {
    // Wednesday of W44: W42 and W43 ended before it.
    const s = trendSeries(trends({ since: '2026-10-28T10:00:00.000Z', evals: [anEval] }));
    expect(s.tracked).toEqual([false, false, true, true]);
    expect(s.open).toEqual([null, null, 4, 3]);
    expect(s.opened).toEqual([null, null, 4, 1]);
    expect(s.fixedInWeek).toEqual([null, null, 0, 0]);
    expect(s.medianHoursToFix).toEqual([null, null, null, 5]);
    expect(s.empty).toEqual({ perEval: null, weekly: null, timeToFix: null });
  });

  it('a record that began before the range leaves no gap; zero stays zero', () => {
    const s = trendSeries(trends({ since: '2026-01-05T00:00:00.000Z', evals: [anEval] }));
    expect(s.open).toEqual([0, 0, 4, 3]);
  });

  it('charts with nothing to draw say so', () => {
    const none = trendSeries(trends({ since: null }));
    expect(none.open).toEqual([null, null, null, null]);
    expect(none.empty.perEval).toMatch(/^No data yet: no eval/);
    expect(none.empty.weekly).toMatch(/^No data yet/);
    expect(none.empty.timeToFix).toMatch(/^No data yet/);
    const later = trendSeries(trends({ since: '2026-12-01T00:00:00.000Z' }));
    expect(later.empty.weekly).toBe("No data yet: zhf's record of this jobset begins 2026-12-01, after this range.");
    const noFix = trendSeries(trends({ since: '2026-01-05T00:00:00.000Z', evals: [anEval], weeks: [week('2026-W44', 4, 4), week('2026-W45', 3)] }));
    expect(noFix.empty).toEqual({ perEval: null, weekly: null, timeToFix: 'No data yet: no breakage was fixed in this range.' });
    const quiet = trendSeries(trends({ since: '2026-01-05T00:00:00.000Z' }));
    expect(quiet.empty.perEval).toBe('No data yet: no eval of this jobset in this range.');
  });
});
