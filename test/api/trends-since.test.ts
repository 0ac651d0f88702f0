import { expect, it } from 'vitest';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, makeApp, T0, X } from './support.ts';

// Trends draw gaps, not zeros, for weeks before zhf's record of a jobset begins: the API says
// when that is (`since`, the oldest ingested eval's timestamp), and a backfill moves it back.
describeEachDriver('trends say when the record begins', (get) => {
  it('since is the oldest ingested eval\'s time, earlier after a backfill', async () => {
    const database = get();
    const sim = new ScriptedHydra({ start: T0 - 14 * 86400 });
    const js = sim.jobset('nixpkgs', 'unstable');
    const old = sim.eval(js, { jobs: { [`a.${X}`]: 'success' } });
    sim.advance(14 * 86400 + 3600);
    const recent = sim.eval(js, { jobs: { [`a.${X}`]: 'failure' } });
    const h = await startHarness(database, sim, { collector: { backfillEvals: 1 } });
    try {
      const app = makeApp(database);
      const q = 'jobset=nixpkgs/unstable&from=2026-W42&to=2026-W45';
      const [first] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(first?.error).toBeUndefined();
      const trends = await call(app, 'GET', `/api/trends?${q}`);
      expect(trends.status).toBe(200);
      expect(trends.json.since).toBe(new Date(recent.timestamp * 1000).toISOString());
      // The weeks themselves are unchanged: zeros, which the page draws as gaps before `since`.
      expect(trends.json.weeks.map((w: { week: string }) => w.week)).toEqual(['2026-W42', '2026-W43', '2026-W44', '2026-W45']);

      await h.collector.backfill('nixpkgs/unstable', 1);
      const after = await call(app, 'GET', `/api/trends?${q}`);
      expect(after.json.since).toBe(new Date(old.timestamp * 1000).toISOString());
    } finally {
      await h.close();
    }
  });
});
