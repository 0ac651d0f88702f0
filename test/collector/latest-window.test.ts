import { expect, it } from 'vitest';
import { categoriesOf, expectStatsMatchScan, newSim, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 11, 2) / 1000;
const X = 'x86_64-linux';
const job = (i: number) => `p${i}.${X}`;

describeEachDriver('the /api/latestbuilds window (issue 17)', (get) => {
  it('asks only for the rows that can have finished, and widens when the jobset\'s count misleads it', async () => {
    const database = get();
    const sim = newSim(T0);
    const js = sim.jobset('win1', 'unstable');
    const N = 600, NEW = 300;
    sim.eval(js, { jobs: Object.fromEntries(Array.from({ length: N }, (_, i) => [job(i), 'success' as const])) });
    const h = await startHarness(database, sim, { collector: { minLatestBuilds: 1, queueProbe: 0, maxDetailFetches: 0, recheckAfterHours: 1000 } });
    const latest = () => h.sim.counters.snapshot()['/api/latestbuilds'] ?? { requests: 0, rows: 0 };
    try {
      await h.collector.syncAll(['win1/unstable']);
      // The next eval rebuilds half the jobs; every new build is still queued when zhf reads it.
      sim.advance(3600);
      const later = sim.now() + 7200;
      const e2 = sim.eval(js, {
        jobs: Object.fromEntries(Array.from({ length: N }, (_, i) => [job(i), i < NEW ? { status: i % 10 === 0 ? 1 : 0, finishAt: later } : ('reuse' as const)])),
      });
      h.sim.counters.reset();
      await h.collector.syncAll(['win1/unstable']);
      // nrscheduled says all 300 are queued: one small window (not the ~365 rows of "all finished").
      expect(latest()).toMatchObject({ requests: 1 });
      expect(latest().rows).toBeLessThan(100);
      const pending = await categoriesOf(database, e2.id);
      expect(Object.values(pending).filter((c) => c === 'pending')).toHaveLength(NEW);

      // All 300 finish; meanwhile 250 of the reused builds are restarted and stay queued, so the
      // jobset's nrscheduled (250) makes the first window far too small: it must widen.
      for (let i = NEW; i < NEW + 250; i++) sim.restart(e2.buildOf(job(i)), { status: 0, finishAt: later + 86_400 });
      sim.advance(7200 + 60);
      h.sim.counters.reset();
      const [r] = await h.collector.syncAll(['win1/unstable']);
      expect(r!.error).toBeUndefined();
      expect(latest().requests).toBe(2);
      const now = await categoriesOf(database, e2.id);
      for (let i = 0; i < NEW; i++) expect(now[job(i)], job(i)).toBe(i % 10 === 0 ? 'new_failure' : 'still_succeeding');
      await expectStatsMatchScan(database);
    } finally {
      await h.close();
    }
  });
});
