import { expect, it } from 'vitest';
import { getRoundup } from '../../apps/collector/src/roundup/index.ts';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, makeApp, NOW, T0, X } from './support.ts';

// SPEC section 3: a breakage already failing in the jobset's oldest ingested eval is
// `preexisting`: in the backlog from the start, never counted as opened in a week.
describeEachDriver('a newly tracked jobset is not this week\'s news', (get) => {
  it('its first eval\'s failures are the backlog; the next eval\'s new failure is the week\'s', async () => {
    const database = get();
    const sim = new ScriptedHydra({ start: T0 });
    const js = sim.jobset('nixpkgs', 'staging-next');
    // Older evals exist on Hydra; the collector ingests only the newest (backfillEvals: 1).
    sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success', [`c.${X}`]: 'success', [`d.${X}`]: 'success' } });
    sim.advance(3600);
    sim.eval(js, { jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'failure', [`c.${X}`]: 'dep', [`d.${X}`]: 'reuse' } });
    const h = await startHarness(database, sim, { collector: { backfillEvals: 1 } });
    try {
      const [first] = await h.collector.syncAll(['nixpkgs/staging-next']);
      expect(first?.error).toBeUndefined();
      const app = makeApp(database);
      const q = 'jobset=nixpkgs/staging-next';

      const week = await call(app, 'GET', `/api/breakages?${q}`);
      expect(week.status).toBe(200);
      expect(week.json.week).toBe('2026-W45');
      expect(week.json.total).toBe(0);
      const backlog = await call(app, 'GET', `/api/breakages?${q}&week=backlog&sort=job`);
      expect(backlog.json.items.map((b: { job: string; preexisting: boolean; state: string }) => [b.job, b.preexisting, b.state])).toEqual([
        [`a.${X}`, true, 'open'], [`b.${X}`, true, 'open'], [`c.${X}`, true, 'open'],
      ]);
      const trends = await call(app, 'GET', `/api/trends?${q}&from=2026-W45&to=2026-W45`);
      expect(trends.json.weeks).toEqual([{ week: '2026-W45', opened: 0, fixed: 0, fixedInWeek: 0, open: 3, medianHoursToFix: null }]);
      const roundup = (await getRoundup(database.db, { jobset: 'nixpkgs/staging-next', week: '2026-W45', hydraUrl: 'https://hydra.example.org', now: NOW }))!;
      expect(roundup.breakages).toEqual([]);
      expect(roundup.summary.backlogOpen).toBe(3);
      expect(roundup.summary.totals).toMatchObject({ new: 0 });
      const feed = await (await app.request('/feeds/nixpkgs/staging-next.atom')).text();
      expect(feed).not.toContain('<entry>');

      // The next eval: d breaks (news), a is fixed (a preexisting breakage closed), b still fails.
      sim.advance(3600);
      sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'reuse', [`c.${X}`]: 'reuse', [`d.${X}`]: 'failure' } });
      const [second] = await h.collector.syncAll(['nixpkgs/staging-next']);
      expect(second?.error).toBeUndefined();
      const week2 = await call(app, 'GET', `/api/breakages?${q}`);
      expect(week2.json.items.map((b: { job: string; preexisting: boolean }) => [b.job, b.preexisting])).toEqual([[`d.${X}`, false]]);
      expect((await call(app, 'GET', `/api/breakages?${q}&week=backlog`)).json.total).toBe(2);
      const trends2 = await call(app, 'GET', `/api/trends?${q}&from=2026-W45&to=2026-W45`);
      expect(trends2.json.weeks).toEqual([{ week: '2026-W45', opened: 1, fixed: 1, fixedInWeek: 1, open: 3, medianHoursToFix: null }]);
      const roundup2 = (await getRoundup(database.db, { jobset: 'nixpkgs/staging-next', week: '2026-W45', hydraUrl: 'https://hydra.example.org', now: NOW }))!;
      expect(roundup2.breakages.map((b) => b.job)).toEqual([`d.${X}`]);
      expect(roundup2.summary.backlogOpen).toBe(2);

      // Backfilling the older eval tells when b and c broke: they become that week's news.
      await h.collector.backfill('nixpkgs/staging-next', 1);
      const week3 = await call(app, 'GET', `/api/breakages?${q}&sort=job`);
      expect(week3.json.items.map((b: { job: string; preexisting: boolean }) => [b.job, b.preexisting])).toEqual([
        [`a.${X}`, false], [`b.${X}`, false], [`c.${X}`, false], [`d.${X}`, false],
      ]);
      expect((await call(app, 'GET', `/api/breakages?${q}&week=backlog`)).json.total).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});
