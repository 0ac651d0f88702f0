import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/src/index.ts';
import { trendWeeks, trendWeeksEach } from '../../db/src/queries/index.ts';
import { isoWeekOf, nextWeek, weekRange } from '../../apps/collector/src/pure/week.ts';
import { GeneratedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const DAY = 86_400;

describeEachDriver('weekly trends', (get) => {
  it('counts opened, fixed, open and the median time to fix in one pass exactly as week by week', async () => {
    const database = get();
    // ~11 weeks of history with plenty of breakages opening and getting fixed.
    const end = Date.UTC(2026, 10, 20) / 1000;
    const hydra = new GeneratedHydra({
      seed: 17, jobsPerEval: 600, evals: 26, intervalSec: 3 * DAY, churn: 0.08, failureRate: 0.15, massRebuilds: [], end, now: end + DAY,
    });
    const h = await startHarness(database, hydra, { collector: { backfillEvals: 26 } });
    try {
      for (const r of await h.collector.syncAll(['nixpkgs/unstable'])) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    const [js] = await queryRows<{ id: number }>(database.db, sql`select id from jobsets where name = 'unstable'`);
    const weeksFrom = (first: Date, count: number) => {
      const out: { week: string; start: Date; end: Date }[] = [];
      for (let w = isoWeekOf(first); out.length < count; w = nextWeek(w)) out.push({ week: w, ...weekRange(w) });
      return out;
    };
    const start = new Date((end - 26 * 3 * DAY) * 1000);
    // The whole history and a week either side; then a window in the middle, so that breakages
    // opened before it, and closed after it, count too.
    for (const weeks of [weeksFrom(new Date(start.getTime() - 7 * DAY * 1000), 14), weeksFrom(new Date(start.getTime() + 21 * DAY * 1000), 4)]) {
      const onePass = await trendWeeks(database.db, js!.id, weeks);
      expect(onePass).toEqual(await trendWeeksEach(database.db, js!.id, weeks));
      expect(onePass.some((w) => w.fixed > 0 && w.medianHoursToFix !== null)).toBe(true);
      expect(onePass.some((w) => w.opened > 0)).toBe(true);
      expect(onePass.at(-1)!.open).toBeGreaterThan(0);
    }
  }, 120_000);
});
