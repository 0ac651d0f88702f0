import { expect, it } from 'vitest';
import { getRoundup } from '../../apps/collector/src/roundup/index.ts';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, makeApp, X } from './support.ts';

const at = (iso: string) => Date.parse(iso) / 1000;

// "Fixed" means two things: trends count every breakage closed as fixed in a week
// (fixedInWeek), the roundup only the week's own breakages that are fixed (fixedOfWeek).
describeEachDriver('the two kinds of "fixed" have their own names', (get) => {
  it('a W44 breakage fixed in W45 is in trends\' fixedInWeek of W45, not in the W45 roundup\'s fixedOfWeek', async () => {
    const database = get();
    const sim = new ScriptedHydra({ start: at('2026-10-28T12:00:00Z') });
    const js = sim.jobset('nixpkgs', 'unstable');
    sim.eval(js, { at: at('2026-10-28T12:00:00Z'), jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success', [`c.${X}`]: 'success', [`d.${X}`]: 'success' } });
    sim.eval(js, { at: at('2026-10-29T12:00:00Z'), jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'reuse', [`c.${X}`]: 'reuse', [`d.${X}`]: 'reuse' } }); // W44: a breaks
    sim.eval(js, { at: at('2026-11-02T12:00:00Z'), jobs: { [`a.${X}`]: 'reuse', [`b.${X}`]: 'failure', [`c.${X}`]: 'failure', [`d.${X}`]: 'failure' } }); // W45: b, c and d break
    sim.eval(js, { at: at('2026-11-03T12:00:00Z'), jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success', [`c.${X}`]: 'reuse', [`d.${X}`]: 'reuse' } }); // a and b fixed
    sim.setClock(at('2026-11-04T12:00:00Z'));
    const h = await startHarness(database, sim);
    try {
      for (const r of await h.collector.syncAll(['nixpkgs/unstable'])) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    const trends = await call(makeApp(database), 'GET', '/api/trends?jobset=nixpkgs/unstable&from=2026-W45&to=2026-W45');
    expect(trends.json.weeks).toEqual([{ week: '2026-W45', opened: 3, fixed: 2, fixedInWeek: 2, open: 2, medianHoursToFix: expect.any(Number) }]);
    const roundup = (await getRoundup(database.db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: 'https://hydra.example.org', now: new Date('2026-11-04T12:00:00Z') }))!;
    expect(roundup.summary.totals).toEqual({ new: 3, fixed: 1, fixedOfWeek: 1, gone: 0, open: 2, claimed: 0 });
  }, 60_000);
});
