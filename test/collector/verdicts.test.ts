import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/src/index.ts';

import { categoriesOf, expectStatsMatchScan, newSim, rowsOf, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const X = 'x86_64-linux';

async function breakagesOf(db: Parameters<typeof queryRows>[0], project: string) {
  return queryRows<{ job: string; state: string; opened_eval_id: string; closed_eval_id: string | null; kind: string | null; flaky: boolean; range_from: string | null; range_to: string | null }>(db, sql`
    select j.name as job, b.state, b.opened_eval_id, b.closed_eval_id, b.kind, b.flaky, b.range_from, b.range_to
    from breakages b join jobs j on j.id = b.job_id join jobsets s on s.id = b.jobset_id where s.project = ${project} order by j.name, b.opened_eval_id`);
}

describeEachDriver('verdicts per SPEC section 3', (get) => {
  it('produces every category from a scripted history', async () => {
    const database = get();
    const sim = newSim(T0);
    const js = sim.jobset('nixpkgs', 'unstable');
    const e1 = sim.eval(js, { jobs: {
      [`a.${X}`]: 'success', [`b.${X}`]: 'failure', [`c.${X}`]: 'success', [`d.${X}`]: 'success',
      [`p.${X}`]: 'success', [`r.${X}`]: 'success', [`k.${X}`]: 'success',
    } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: {
      [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [`c.${X}`]: 'failure', [`d.${X}`]: 'pending', [`p.${X}`]: { status: 3 },
      [`k.${X}`]: 'dep', [`n.${X}`]: 'failure', [`m.${X}`]: 'success',
    } });
    sim.advance(3600);
    const e3 = sim.eval(js, { jobs: {
      [`a.${X}`]: 'reuse', [`b.${X}`]: 'success', [`c.${X}`]: 'reuse', [`d.${X}`]: 'failure', [`p.${X}`]: 'failure',
      [`k.${X}`]: 'reuse', [`n.${X}`]: 'reuse', [`m.${X}`]: 'reuse',
    } });
    const h = await startHarness(database, sim, { collector: { backfillEvals: 8 } });
    try {
      const [report] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(report!.error).toBeUndefined();
      expect(report!.newEvals).toEqual([e1.id, e2.id, e3.id]);

      expect(await categoriesOf(database, e1.id)).toEqual({
        [`a.${X}`]: 'succeeding', [`b.${X}`]: 'failing', [`c.${X}`]: 'succeeding', [`d.${X}`]: 'succeeding',
        [`k.${X}`]: 'succeeding', [`p.${X}`]: 'succeeding', [`r.${X}`]: 'succeeding',
      });
      expect(await categoriesOf(database, e2.id)).toEqual({
        [`a.${X}`]: 'still_succeeding', [`b.${X}`]: 'still_failing', [`c.${X}`]: 'new_failure', [`d.${X}`]: 'pending',
        [`k.${X}`]: 'new_failure', [`m.${X}`]: 'new_job', [`n.${X}`]: 'new_job_failing', [`p.${X}`]: 'infra', [`r.${X}`]: 'removed',
      });
      // d and p: the baseline skips the pending and the infra eval and reaches back to e1.
      expect(await categoriesOf(database, e3.id)).toEqual({
        [`a.${X}`]: 'still_succeeding', [`b.${X}`]: 'fixed', [`c.${X}`]: 'still_failing', [`d.${X}`]: 'new_failure',
        [`k.${X}`]: 'still_failing', [`m.${X}`]: 'still_succeeding', [`n.${X}`]: 'still_failing', [`p.${X}`]: 'new_failure',
      });

      const r2 = await rowsOf(database, e2.id);
      const c2 = r2.get(`c.${X}`)!;
      expect(c2).toMatchObject({ outcome: 'failure', kind: 'direct', status: 1, buildId: e2.buildOf(`c.${X}`) });
      expect(c2.baseline).toEqual({ evalId: e1.id, buildId: e1.buildOf(`c.${X}`), outcome: 'success', revision: e1.revision });
      expect(c2.range).toEqual({ from: e1.revision, to: e2.revision, url: `https://github.com/NixOS/nixpkgs/compare/${e1.revision}...${e2.revision}` });
      expect(r2.get(`k.${X}`)).toMatchObject({ kind: 'dependency', status: 2 });
      expect(r2.get(`r.${X}`)).toMatchObject({ buildId: e1.buildOf(`r.${X}`), outcome: 'success' });
      const d3 = (await rowsOf(database, e3.id)).get(`d.${X}`)!;
      expect(d3.baseline).toMatchObject({ evalId: e1.id, outcome: 'success' });
      expect(d3.range?.from).toBe(e1.revision);
      const b3 = (await rowsOf(database, e3.id)).get(`b.${X}`)!;
      expect(b3.baseline).toMatchObject({ evalId: e2.id, buildId: e1.buildOf(`b.${X}`), outcome: 'failure' });
      expect(b3.range).toEqual({ from: e2.revision, to: e3.revision, url: expect.stringContaining(`compare/${e2.revision}...${e3.revision}`) });

      const br = await breakagesOf(database.db, 'nixpkgs');
      const brief = br.map((b) => [b.job, b.state, Number(b.opened_eval_id), b.closed_eval_id === null ? null : Number(b.closed_eval_id)]);
      expect(brief).toEqual([
        [`b.${X}`, 'fixed', e1.id, e3.id],
        [`c.${X}`, 'open', e2.id, null],
        [`d.${X}`, 'open', e3.id, null],
        [`k.${X}`, 'open', e2.id, null],
        [`n.${X}`, 'open', e2.id, null],
        [`p.${X}`, 'open', e3.id, null],
      ]);
      expect(br.find((b) => b.job === `k.${X}`)!.kind).toBe('dependency');
      expect(br.find((b) => b.job === `c.${X}`)).toMatchObject({ range_from: e1.revision, range_to: e2.revision });
      expect(br.find((b) => b.job === `n.${X}`)).toMatchObject({ range_from: null });

      // Running the sync again changes nothing.
      const again = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(again[0]!.newEvals).toEqual([]);
      expect(await breakagesOf(database.db, 'nixpkgs')).toEqual(br);
      await expectStatsMatchScan(database);
    } finally {
      await h.close();
    }
  });
});
