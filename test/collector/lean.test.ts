import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { evalProgress } from '../../db/src/queries/index.ts';
import { categoriesOf, expectStatsMatchScan, newSim, rowsOf, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 30) / 1000;
const X = 'x86_64-linux';
const MARK = `marker.${X}`;

/** 20 jobs; every third one fails in the first eval. */
function base(project: string) {
  const sim = newSim(T0);
  const js = sim.jobset(project, 'unstable');
  const jobs: Record<string, 'success' | 'failure'> = {};
  for (let i = 0; i < 20; i++) jobs[`j${i}.${X}`] = i % 3 === 0 ? 'failure' : 'success';
  const e1 = sim.eval(js, { jobs });
  sim.advance(3600);
  return { sim, js, e1, names: Object.keys(jobs) };
}

function reuseAll(names: string[]) {
  return Object.fromEntries(names.map((n) => [n, 'reuse' as const]));
}

const requestsBy = (h: { sim: { counters: { snapshot(): Record<string, { requests: number }> } } }) =>
  Object.fromEntries(Object.entries(h.sim.counters.snapshot()).map(([k, v]) => [k, v.requests]));

async function breakageStates(database: Database, project: string) {
  return queryRows<{ job: string; state: string }>(database.db, sql`
    select j.name as job, b.state from breakages b join jobs j on j.id = b.job_id join jobsets s on s.id = b.jobset_id
    where s.project = ${project} order by j.name, b.opened_eval_id`);
}

describeEachDriver('verdicts from the cheap sources', (get) => {
  it('a new eval costs a few requests: named builds get verdicts, awaiting jobs are pending until their builds finish', async () => {
    const database = get();
    const { sim, js, e1, names } = base('lean1');
    const h = await startHarness(database, sim, { collector: { maxDetailFetches: 0 } });
    try {
      await h.collector.syncAll(['lean1/unstable']);
      sim.advance(600);
      const e2 = sim.eval(js, { jobs: {
        ...reuseAll(names),
        [`j1.${X}`]: 'failure', // finished by the time we read the eval
        [`j2.${X}`]: { status: 0, finishAt: sim.now() + 1800 }, // still building
        [`j4.${X}`]: { status: 1, finishAt: sim.now() + 1800 },
        [`new.${X}`]: 'success',
        [MARK]: 'success',
      } });
      h.sim.counters.reset();
      const [r] = await h.collector.syncAll(['lean1/unstable']);
      expect(r!.error).toBeUndefined();
      // Discovery, one latestbuilds, the queue probe: no request per build.
      const reqs = requestsBy(h);
      expect(reqs['/build/:id'] ?? 0).toBe(0);
      expect(reqs['/eval/:id/builds'] ?? 0).toBe(0);
      expect(reqs['/api/latestbuilds']).toBe(1);
      expect(h.sim.counters.totalRequests()).toBeLessThanOrEqual(10);
      const rows = await rowsOf(database, e2.id);
      expect(rows.get(`j1.${X}`)).toMatchObject({ category: 'new_failure', buildId: e2.buildOf(`j1.${X}`) });
      expect(rows.get(`new.${X}`)).toMatchObject({ category: 'new_job' });
      // Not identified yet: pending, awaiting, no build id.
      expect(rows.get(`j2.${X}`)).toMatchObject({ category: 'pending', buildId: null, awaiting: true });
      expect(rows.get(`j4.${X}`)).toMatchObject({ category: 'pending', buildId: null, awaiting: true });
      expect(rows.get(`j5.${X}`)).toMatchObject({ category: 'still_succeeding', buildId: e1.buildOf(`j5.${X}`) });
      expect(rows.get(`j0.${X}`)).toMatchObject({ category: 'still_failing' });
      await expectStatsMatchScan(database);

      // Hydra finishes them; the next sync shows it (one request again).
      sim.advance(2000);
      h.sim.counters.reset();
      await h.collector.syncAll(['lean1/unstable']);
      expect(requestsBy(h)['/build/:id'] ?? 0).toBe(0);
      const after = await rowsOf(database, e2.id);
      expect(after.get(`j2.${X}`)).toMatchObject({ category: 'still_succeeding', buildId: e2.buildOf(`j2.${X}`) });
      expect(after.get(`j4.${X}`)).toMatchObject({ category: 'new_failure', buildId: e2.buildOf(`j4.${X}`) });
      expect(after.get(`j4.${X}`)!.awaiting).toBeUndefined();
      expect(await breakageStates(database, 'lean1')).toEqual([
        { job: `j0.${X}`, state: 'open' }, { job: `j1.${X}`, state: 'open' }, { job: `j12.${X}`, state: 'open' },
        { job: `j15.${X}`, state: 'open' }, { job: `j18.${X}`, state: 'open' }, { job: `j3.${X}`, state: 'open' },
        { job: `j4.${X}`, state: 'open' }, { job: `j6.${X}`, state: 'open' }, { job: `j9.${X}`, state: 'open' },
      ]);
      await expectStatsMatchScan(database);
      const [left] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from builds where id < 0`);
      expect(left!.n).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('gives the same rows as the full-record path, then fetches full records off the verdict path', async () => {
    const database = get();
    const make = (project: string) => {
      const { sim, js, names } = base(project);
      const steps = [
        () => sim.eval(js, { jobs: { ...reuseAll(names), [`j1.${X}`]: 'failure', [`j2.${X}`]: { status: 0, finishAt: sim.now() + 900 }, [`gone.${X}`]: 'success' } }),
        () => sim.eval(js, { jobs: { ...reuseAll([...names]), [`j1.${X}`]: 'success', [`j5.${X}`]: { status: 2, finishAt: sim.now() + 900 } } }),
      ];
      return { sim, steps };
    };
    const lean = make('lean2');
    const full = make('full2');
    const hl = await startHarness(database, lean.sim, { collector: { maxDetailFetches: 2 } });
    const hf = await startHarness(database, full.sim, { collector: { fetchMode: 'single' } });
    try {
      const evalIds: [number, number][] = [];
      await hl.collector.syncAll(['lean2/unstable']);
      await hf.collector.syncAll(['full2/unstable']);
      for (let i = 0; i < lean.steps.length + 2; i++) {
        if (i < lean.steps.length) evalIds.push([lean.steps[i]!().id, full.steps[i]!().id]);
        lean.sim.advance(600);
        full.sim.advance(600);
        const [rl] = await hl.collector.syncAll(['lean2/unstable']);
        const [rf] = await hf.collector.syncAll(['full2/unstable']);
        expect(rl!.error).toBeUndefined();
        expect(rf!.error).toBeUndefined();
        for (const [l, f] of evalIds) {
          const lr = await rowsOf(database, l);
          const fr = await rowsOf(database, f);
          // Awaiting rows carry no build id yet; the categories are the same as soon as builds are named.
          const strip = (m: typeof lr) => Object.fromEntries([...m].map(([k, v]) => [k, { category: v.category, outcome: v.outcome, kind: v.kind }]));
          if (i >= 1) expect(strip(lr)).toEqual(strip(fr));
        }
      }
      // Full records arrive at two per sync; after enough syncs none is short any more.
      for (let k = 0; k < 10; k++) await hl.collector.syncAll(['lean2/unstable']);
      const [short] = await queryRows<{ n: number }>(database.db, sql`
        select count(*)::int as n from builds b join jobs j on j.id = b.job_id join jobsets s on s.id = j.jobset_id where s.project = 'lean2' and not b.detailed`);
      expect(short!.n).toBe(0);
      const [withDrv] = await queryRows<{ n: number }>(database.db, sql`
        select count(*)::int as n from builds b join jobs j on j.id = b.job_id join jobsets s on s.id = j.jobset_id where s.project = 'lean2' and b.drvpath = ''`);
      expect(withDrv!.n).toBe(0);
      expect(await evalProgress(database.db, evalIds[0]![0])).toEqual({ known: 21, total: 21, unresolved: 0 });
      expect(await evalProgress(database.db, evalIds[1]![0])).toEqual({ known: 20, total: 20, unresolved: 0 });
      await expectStatsMatchScan(database);
    } finally {
      await hl.close();
      await hf.close();
    }
  });
});
