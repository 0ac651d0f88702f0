import { expect, it } from 'vitest';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, makeApp, NOW, T0, X } from './support.ts';

// The overview's numbers: "Open breakages" must be exactly this week's open ones plus the
// backlog. They used to be read one request at a time, so a sync committing between the reads
// (a backfill commits an eval every few seconds) made them disagree; /api/jobsets now counts
// all of them in one statement.
describeEachDriver('the overview\'s breakage counts', (get) => {
  it('open = this week\'s open + backlog, equal to the fix list\'s own counts, and still so while evals are ingested', async () => {
    const database = get();
    const week = 7 * 86400;
    // e1, e2 in the previous week (2026-W44), e3 and later in this one (W45, NOW's week).
    const sim = new ScriptedHydra({ start: T0 - week + 3600 });
    const js = sim.jobset('nixpkgs', 'unstable');
    const jobs = (over: Record<string, 'success' | 'failure' | 'reuse' | 'dep'>) => ({
      [`old.${X}`]: 'reuse' as const, [`mid.${X}`]: 'reuse' as const, [`now.${X}`]: 'reuse' as const, [`fixed.${X}`]: 'reuse' as const, ...over,
    });
    // old: failing in the first eval (preexisting, backlog); fixed: preexisting, fixed this week.
    sim.eval(js, { jobs: { [`old.${X}`]: 'failure', [`mid.${X}`]: 'success', [`now.${X}`]: 'success', [`fixed.${X}`]: 'failure' } });
    sim.advance(86400);
    sim.eval(js, { jobs: jobs({ [`mid.${X}`]: 'failure' }) }); // mid: opened last week, still open (backlog)
    sim.setClock(T0 + 3600);
    sim.eval(js, { jobs: jobs({ [`now.${X}`]: 'failure', [`fixed.${X}`]: 'success' }) }); // now: this week's
    const h = await startHarness(database, sim);
    try {
      const [r] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(r?.error).toBeUndefined();
      const app = makeApp(database);
      const counts = async () => {
        const j = (await call(app, 'GET', '/api/jobsets')).json.items[0];
        return { open: j.openBreakages, week: j.week, backlog: j.backlog };
      };
      const c = await counts();
      expect(c).toEqual({ open: 3, week: { week: '2026-W45', breakages: 1, open: 1 }, backlog: 2 });
      // The same numbers the fix list's filters give.
      const q = 'jobset=nixpkgs/unstable&limit=1';
      expect((await call(app, 'GET', `/api/breakages?${q}`)).json.total).toBe(c.week.breakages);
      expect((await call(app, 'GET', `/api/breakages?${q}&state=open`)).json.total).toBe(c.week.open);
      expect((await call(app, 'GET', `/api/breakages?${q}&week=backlog`)).json.total).toBe(c.backlog);
      expect((await call(app, 'GET', `/api/breakages?${q}&week=all&state=open`)).json.total).toBe(c.open);

      // Evals arriving while the overview is read: every read adds up.
      const added: Record<string, 'reuse'> = {};
      for (let i = 0; i < 6; i++) {
        sim.advance(600);
        sim.eval(js, { jobs: jobs({ ...added, [`now.${X}`]: i % 2 ? 'failure' : 'success', [`mid.${X}`]: i % 3 ? 'reuse' : 'success', [`n${i}.${X}`]: 'failure' }) });
        added[`n${i}.${X}`] = 'reuse';
      }
      const sync = h.collector.syncAll(['nixpkgs/unstable']);
      let done = false;
      void sync.finally(() => (done = true));
      const seen: { open: number; sum: number }[] = [];
      while (!done) {
        // A macrotask between reads: PGlite answers without I/O, and the sync needs the sockets.
        await new Promise((r) => setTimeout(r, 2));
        const s = await counts();
        seen.push({ open: s.open, sum: s.week.open + s.backlog });
      }
      const [r2] = await sync;
      expect(r2?.error).toBeUndefined();
      const last = await counts();
      seen.push({ open: last.open, sum: last.week.open + last.backlog });
      expect(seen.filter((s) => s.open !== s.sum)).toEqual([]);
      expect(seen.length).toBeGreaterThan(2);
      // now broke 4 times (one open), n0..n5 are open, mid was fixed: old is the backlog.
      expect(last).toEqual({ open: 8, week: { week: '2026-W45', breakages: 10, open: 7 }, backlog: 1 });
    } finally {
      await h.close();
    }
  }, 60_000);
});
