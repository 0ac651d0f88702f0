import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import type { EvalHandle, Fault } from '@zhf/sim';
import { categoriesOf, expectStatsMatchScan, newJobset, withHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 16) / 1000;
const X = 'x86_64-linux';

/** 60 jobs; e2 breaks two, fixes one and adds one; e3 rebuilds 55 of them. */
function history(project: string) {
  const { sim, js } = newJobset(T0, project);
  const jobs1: Record<string, 'success' | 'failure'> = {};
  for (let i = 0; i < 60; i++) jobs1[`j${i}.${X}`] = i === 1 ? 'failure' : 'success';
  const e1 = sim.eval(js, { jobs: jobs1 });
  sim.advance(3600);
  const jobs2: Record<string, string> = {};
  for (let i = 0; i < 60; i++) jobs2[`j${i}.${X}`] = 'reuse';
  Object.assign(jobs2, { [`j1.${X}`]: 'success', [`j2.${X}`]: 'failure', [`j3.${X}`]: 'dep', [`new.${X}`]: 'failure' });
  const e2 = sim.eval(js, { jobs: jobs2 as never });
  sim.advance(3600);
  const jobs3: Record<string, string> = { ...jobs2 };
  for (let i = 5; i < 60; i++) jobs3[`j${i}.${X}`] = i === 7 ? 'failure' : 'success';
  const e3 = sim.eval(js, { jobs: jobs3 as never });
  return { sim, evals: [e1, e2, e3] };
}

const expected = (evals: { id: number }[]) => ({
  e2: { [`j1.${X}`]: 'fixed', [`j2.${X}`]: 'new_failure', [`j3.${X}`]: 'new_failure', [`new.${X}`]: 'new_job_failing' },
  e3: { [`j7.${X}`]: 'new_failure' },
  ids: evals.map((e) => e.id),
});

async function check(database: Database, evals: { id: number }[]) {
  const exp = expected(evals);
  const c2 = await categoriesOf(database, evals[1]!.id);
  const c3 = await categoriesOf(database, evals[2]!.id);
  expect(Object.fromEntries(Object.entries(c2).filter(([, v]) => v !== 'still_succeeding'))).toEqual(exp.e2);
  expect(Object.fromEntries(Object.entries(c3).filter(([, v]) => v !== 'still_succeeding' && v !== 'still_failing'))).toEqual(exp.e3);
}

async function evalCount(database: Database, project: string) {
  const [r] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from evals e join jobsets s on s.id = e.jobset_id where s.project = ${project}`);
  return r!.n;
}

const kinds: ((path: RegExp) => Fault)[] = [
  (path) => ({ path, kind: 'status', status: 500 }),
  (path) => ({ path, kind: 'status', status: 502 }),
  (path) => ({ path, kind: 'status', status: 503 }),
  (path) => ({ path, kind: 'status', status: 504 }),
  (path) => ({ path, kind: 'slow', delayMs: 300 }),
  (path) => ({ path, kind: 'cut', afterBytes: 200 }),
  (path) => ({ path, kind: 'truncate' }),
  (path) => ({ path, kind: 'malformed' }),
  // The filter's HTML is not retried at all (filter-and-limits.test.ts).
  (path) => ({ path, kind: '429', retryAfter: 0 }),
];

const endpoints: { name: string; path: RegExp; mode: 'bulk' | 'single'; offThreadParseMin?: number }[] = [
  { name: 'evals page', path: /\/evals/, mode: 'single' },
  { name: 'bulk builds', path: /\/eval\/\d+\/builds/, mode: 'bulk' },
  // Big lists are parsed in a worker thread: the same faults, through that path.
  { name: 'bulk builds parsed off-thread', path: /\/eval\/\d+\/builds/, mode: 'bulk', offThreadParseMin: 0 },
  { name: 'single build', path: /^\/build\/\d+$/, mode: 'single' },
  { name: 'jobset probe', path: /^\/api\/jobsets/, mode: 'single' },
];

describeEachDriver('collector survives every fault of the simulator', (get) => {
  let n = 0;
  for (const ep of endpoints) {
    it(`retries through each fault on the ${ep.name}`, async () => {
      const database = get();
      for (const make of kinds) {
        const project = `f${++n}`;
        const { sim, evals } = history(project);
        await withHarness(database, sim, { collector: { fetchMode: ep.mode }, client: { offThreadParseMin: ep.offThreadParseMin, timeouts: { build: { headersMs: 2000, idleMs: 200 }, evalBuilds: { headersMs: 2000, idleMs: 200 }, evals: { headersMs: 2000, idleMs: 200 } } } }, async (h) => {
          const fault = make(ep.path);
          const handle = h.sim.faults.add({ ...fault, times: 2 });
          const [r] = await h.collector.syncAll([`${project}/unstable`]);
          expect(r!.error, `${fault.kind}`).toBeUndefined();
          // A slow answer is still an answer (not retried): it fires once per matching request.
          if (fault.kind === 'slow') expect(handle.fired).toBeGreaterThanOrEqual(1);
          else expect(handle.fired, `${fault.kind} fired`).toBe(2);
          expect(r!.newEvals).toEqual(evals.map((e) => e.id));
          await check(database, evals);
        });
      }
    });
  }

  it('fails an eval cleanly when faults outlast the retries, and completes it on the next run', async () => {
    const database = get();
    for (const kind of ['cut', 'malformed', 'status'] as const) {
      const project = `g${++n}`;
      const { sim, evals } = history(project);
      await withHarness(database, sim, { collector: { fetchMode: 'bulk' }, client: { maxAttempts: 3 } }, async (h) => {
        // Every bulk download of the second eval fails: the first eval lands, the second does not.
        const path = new RegExp(`/eval/${evals[1]!.id}/builds`);
        const fault: Fault = kind === 'status' ? { path, kind, status: 503, times: Infinity } : kind === 'cut' ? { path, kind, afterBytes: 500, times: Infinity } : { path, kind, times: Infinity };
        h.sim.faults.add(fault);
        const [r1] = await h.collector.syncAll([`${project}/unstable`]);
        expect(r1!.error).toMatch(/builds/);
        expect(r1!.newEvals).toEqual([evals[0]!.id]);
        expect(await evalCount(database, project)).toBe(1);
        const [orphans] = await queryRows<{ n: number }>(database.db, sql`
          select count(*)::int as n from memberships m join jobsets s on s.id = m.jobset_id
          where s.project = ${project} and (m.first_eval_id not in (select id from evals) or m.last_eval_id not in (select id from evals))`);
        expect(orphans!.n).toBe(0);

        h.sim.faults.clear();
        const [r2] = await h.collector.syncAll([`${project}/unstable`]);
        expect(r2!.error).toBeUndefined();
        expect(r2!.newEvals).toEqual([evals[1]!.id, evals[2]!.id]);
        await check(database, evals);
        await expectStatsMatchScan(database);
      });
    }
  });

  it('a new eval appearing while paging is neither duplicated nor lost', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'paging');
    const evs: EvalHandle[] = [];
    for (let i = 0; i < 25; i++) {
      evs.push(sim.eval(js, { jobs: { [`a.${X}`]: i % 2 ? 'success' : 'failure', [`b${i}.${X}`]: 'success' } }));
      sim.advance(600);
    }
    const late = sim.eval(js, { jobs: { [`a.${X}`]: 'success' }, at: sim.now() + 3600 });
    await withHarness(database, sim, { collector: { backfillEvals: 25 } }, async (h) => {
      h.sim.faults.add({ path: /\/evals\?page=1$/, kind: 'hook', run: () => sim.advance(7200) });
      const [r1] = await h.collector.syncAll(['paging/unstable']);
      expect(r1!.error).toBeUndefined();
      expect(r1!.newEvals).toEqual(evs.map((e) => e.id));
      const [r2] = await h.collector.syncAll(['paging/unstable']);
      expect(r2!.newEvals).toEqual([late.id]);
      expect(await evalCount(database, 'paging')).toBe(26);
      expect((await categoriesOf(database, late.id))[`a.${X}`]).toBe('fixed');
    });
  });
});
