import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { evalProgress } from '../../db/src/queries/index.ts';
import { createLogger } from '../../apps/collector/src/log.ts';
import { Collector } from '../../apps/collector/src/sync.ts';
import { withOtherJobsets } from '@zhf/sim';
import { categoriesOf, expectStatsMatchScan, newJobset, rowsOf, withHarness, type Harness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 11, 1) / 1000;
const X = 'x86_64-linux';
const MARK = `marker.${X}`;

async function jobsetCounts(database: Database, project: string) {
  const [r] = await queryRows<{ unresolved: number; placeholders: number; evals: number; bulk_failed: number }>(database.db, sql`
    select (select count(*)::int from unresolved_members u join jobsets s on s.id = u.jobset_id where s.project = ${project}) as unresolved,
      (select count(*)::int from builds b join jobs j on j.id = b.job_id join jobsets s on s.id = j.jobset_id where s.project = ${project} and b.id < 0) as placeholders,
      (select count(*)::int from evals e join jobsets s on s.id = e.jobset_id where s.project = ${project}) as evals,
      (select count(*)::int from evals e join jobsets s on s.id = e.jobset_id where s.project = ${project} and e.bulk_failed_at is not null) as bulk_failed`);
  return r!;
}

/** 3,000 jobs, p0 to p2999, all given `value`. */
const manyJobs = (value: 'success' | 'reuse') => Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`p${i}.${X}`, value] as const));

/**
 * The last sync asked the long-unfinished `waiting` build by itself: its window read the new builds
 * (at least 1,000 rows), not the 3,000 stored above the waiting one; `failed` is the eval's new failure.
 */
async function expectAskedByItself(h: Harness, database: Database, evalId: number, jobs: { failed: string; waiting: string }) {
  const seen = h.sim.counters.snapshot();
  expect(seen['/api/latestbuilds']!.rows).toBeLessThan(1500);
  expect(seen['/build/:id']!.requests).toBeGreaterThanOrEqual(1);
  expect((await categoriesOf(database, evalId))[jobs.failed]).toBe('new_failure');
  expect((await categoriesOf(database, evalId))[jobs.waiting]).toBe('pending');
}

describeEachDriver('current after restarts and re-points, complete without the bulk list', (get) => {
  it('a failure restarted and green between two syncs changes every eval, though the queue is full of other jobsets and the newest builds do not reach it', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'cur1');
    sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'reuse', [MARK]: 'success' } });
    sim.advance(3600);
    const e3 = sim.eval(js, { jobs: { [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [MARK]: 'success' } });
    // 2,000 queued builds of other jobsets, older ids first: the queue's first 1,000 holds none of ours.
    const data = withOtherJobsets(sim, { queued: 2000, firstBuildId: 1000 });
    await withHarness(database, data, { collector: { queueProbe: 1000, maxLatestBuilds: 1, recheckAfterHours: 0 } }, async (h) => {
      await h.collector.syncAll(['cur1/unstable']);
      expect((await categoriesOf(database, e2.id))[`a.${X}`]).toBe('new_failure');
      expect((await categoriesOf(database, e3.id))[`a.${X}`]).toBe('still_failing');
      // Restarted and finished green between two syncs: never seen unfinished.
      sim.restart(e2.buildOf(`a.${X}`), { status: 0, finishAt: sim.now() + 60 });
      sim.advance(120);
      const queue = await (await fetch(`${h.sim.url}/api/queue?nr=1000`, { headers: { accept: 'application/json' } })).json() as { project: string }[];
      expect(queue.filter((q) => q.project === 'cur1')).toEqual([]);
      const [r] = await h.collector.syncAll(['cur1/unstable']);
      expect(r!.error).toBeUndefined();
      expect(r!.rechecked).toBeGreaterThanOrEqual(1);
      expect((await categoriesOf(database, e2.id))[`a.${X}`]).toBe('still_succeeding');
      expect((await categoriesOf(database, e3.id))[`a.${X}`]).toBe('still_succeeding');
      await expectStatsMatchScan(database);
    });
  });

  it('a build re-pointed right after the eval was read is seen', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'cur2');
    sim.eval(js, { jobs: { [`r.${X}`]: 'success', [`s.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: { [`r.${X}`]: 'reuse', [`s.${X}`]: 'failure' } });
    await withHarness(database, sim, {}, async (h) => {
      await h.collector.syncAll(['cur2/unstable']);
      expect((await categoriesOf(database, e2.id))[`r.${X}`]).toBe('still_succeeding');
      // Re-pointed moments after the eval committed (and after zhf read it); the new derivation fails.
      sim.repoint(e2.buildOf(`r.${X}`), { status: 1, finishAt: sim.now() + 300 });
      sim.advance(600);
      const [r] = await h.collector.syncAll(['cur2/unstable']);
      expect(r!.error).toBeUndefined();
      const row = (await rowsOf(database, e2.id)).get(`r.${X}`)!;
      expect(row).toMatchObject({ outcome: 'failure', buildId: e2.buildOf(`r.${X}`) });
      await expectStatsMatchScan(database);
    });
  });

  for (const [name, bulkList] of [['cut at 50%', { cutAtFraction: 0.5 }], ['a 504', { timeoutMs: 30 }]] as const) {
    it(`a first sync whose bulk list ends in ${name} completes every eval, nothing half-written, and does not ask it again`, async () => {
      const database = get();
      const project = `cur3${name.replace(/\W/g, '')}`;
      const { sim, js } = newJobset(T0, project);
      const jobs: Record<string, 'success' | 'failure'> = {};
      for (let i = 0; i < 80; i++) jobs[`j${i}.${X}`] = i % 4 === 0 ? 'failure' : 'success';
      const e1 = sim.eval(js, { jobs: { ...jobs, [`late.${X}`]: { status: 1, finishAt: sim.now() + 5400 } } });
      sim.advance(3600);
      const e2 = sim.eval(js, { jobs: { ...Object.fromEntries(Object.keys(jobs).map((k) => [k, 'reuse' as const])), [`late.${X}`]: 'reuse', [`j1.${X}`]: 'failure' } });
      await withHarness(database, sim, { sim: { bulkList } }, async (h) => {
        const [r1] = await h.collector.syncAll([`${project}/unstable`]);
        expect(r1!.error).toBeUndefined();
        expect(r1!.newEvals).toEqual([e1.id, e2.id]);
        // Asked once, for the first eval; the rest came from the cheap sources and full records.
        expect(h.sim.counters.snapshot()['/eval/:id/builds']?.requests).toBe(1);
        const c1 = await categoriesOf(database, e1.id);
        expect(Object.keys(c1)).toHaveLength(81);
        expect(c1[`j4.${X}`]).toBe('failing');
        expect(c1[`late.${X}`]).toBe('pending');
        const c2 = await categoriesOf(database, e2.id);
        expect(c2[`j1.${X}`]).toBe('new_failure');
        expect(c2[`j4.${X}`]).toBe('still_failing');
        expect(await jobsetCounts(database, project)).toEqual({ unresolved: 0, placeholders: 0, evals: 2, bulk_failed: 1 });
        expect(await evalProgress(database.db, e1.id)).toEqual({ known: 81, total: 81, unresolved: 0 });
        await expectStatsMatchScan(database);

        sim.advance(3600);
        h.sim.counters.reset();
        await h.collector.syncAll([`${project}/unstable`]);
        expect(h.sim.counters.snapshot()['/eval/:id/builds']?.requests ?? 0).toBe(0);
        expect((await categoriesOf(database, e1.id))[`late.${X}`]).toBe('failing');
        expect((await categoriesOf(database, e2.id))[`late.${X}`]).toBe('still_failing');
      });
    });
  }

  it("the simulator's filter answering HTML to our user agent gives the clear message once", async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'cur4');
    sim.eval(js, { jobs: { [`a.${X}`]: 'success' } });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l) });
    await withHarness(database, sim, { sim: { filter: { userAgents: ['blocked-agent'] } }, client: { userAgent: 'blocked-agent/1', logger } }, async (h) => {
      const collector = new Collector(database, h.client, { backfillEvals: 8, rps: 1000 }, logger);
      for (let k = 0; k < 3; k++) {
        const [r] = await collector.syncAll(['cur4/unstable']);
        expect(r!.error).toBe(`${new URL(h.sim.url).host}'s filter answered HTML: user agent or network blocked; user agent in use: blocked-agent/1`);
      }
      expect(lines.filter((l) => l.includes("filter answered HTML")), lines.join('\n')).toHaveLength(1);
      expect(h.sim.counters.totalRequests()).toBe(1);
    });
  });

  it('one build stuck since an old eval is asked by itself: the newest builds do not reach back over thousands of rows, and its end shows within one sync', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'cur5');
    sim.eval(js, { jobs: { [`stuck.${X}`]: { status: 0, finishAt: T0 + 30 * 86400 }, ...manyJobs('success') } });
    sim.advance(3600);
    const reuse = manyJobs('reuse');
    const e2 = sim.eval(js, { jobs: { ...reuse, [`stuck.${X}`]: 'reuse', [`p1.${X}`]: 'failure', [`p2.${X}`]: 'success', [MARK]: 'success' } });
    sim.advance(3600);
    await withHarness(database, sim, { collector: { backfillEvals: 1 } }, async (h) => {
      await h.collector.syncAll(['cur5/unstable']);
      h.sim.counters.reset();
      const e3 = sim.eval(js, { jobs: { ...reuse, [`stuck.${X}`]: 'reuse', [`p3.${X}`]: 'failure', [MARK]: 'success' } });
      sim.advance(3600);
      const [r] = await h.collector.syncAll(['cur5/unstable']);
      expect(r!.error).toBeUndefined();
      expect(r!.newEvals).toEqual([e3.id]);
      await expectAskedByItself(h, database, e3.id, { failed: `p3.${X}`, waiting: `stuck.${X}` });
      // Hydra finishes it (a failure): the next sync shows it in every eval.
      sim.advance(30 * 86400);
      await h.collector.syncAll(['cur5/unstable']);
      expect((await categoriesOf(database, e2.id))[`stuck.${X}`]).not.toBe('pending');
      expect((await categoriesOf(database, e3.id))[`stuck.${X}`]).not.toBe('pending');
      await expectStatsMatchScan(database);
    });
  }, 60_000);

  it('an unresolved member left queued for days is asked by itself too: later evals\' windows stay at their own new builds', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'cur6');
    sim.eval(js, { jobs: { [`late.${X}`]: 'success', ...manyJobs('success') } });
    sim.advance(3600);
    await withHarness(database, sim, { collector: { backfillEvals: 1, maxDetailFetches: 0 } }, async (h) => {
      await h.collector.syncAll(['cur6/unstable']);
      // A new build of `late` that stays queued for ten days: an unresolved member of e2.
      const e2 = sim.eval(js, { jobs: { ...manyJobs('reuse'), [`late.${X}`]: { status: 1, finishAt: sim.now() + 10 * 86400 }, [MARK]: 'success' } });
      sim.advance(3600);
      await h.collector.syncAll(['cur6/unstable']);
      expect((await categoriesOf(database, e2.id))[`late.${X}`]).toBe('pending');
      // Every other job rebuilds: 3,000 stored builds above the queued one.
      sim.eval(js, { jobs: { ...manyJobs('success'), [`late.${X}`]: 'reuse', [MARK]: 'success' } });
      sim.advance(3600);
      await h.collector.syncAll(['cur6/unstable']);
      h.sim.counters.reset();
      const e4 = sim.eval(js, { jobs: { ...manyJobs('reuse'), [`late.${X}`]: 'reuse', [`p7.${X}`]: 'failure', [MARK]: 'success' } });
      sim.advance(3600);
      const [r] = await h.collector.syncAll(['cur6/unstable']);
      expect(r!.error).toBeUndefined();
      await expectAskedByItself(h, database, e4.id, { failed: `p7.${X}`, waiting: `late.${X}` });
      // Hydra finishes it (a failure): the next sync shows it in every eval that lists it.
      sim.advance(10 * 86400);
      await h.collector.syncAll(['cur6/unstable']);
      expect((await categoriesOf(database, e2.id))[`late.${X}`]).toBe('new_failure');
      expect((await categoriesOf(database, e4.id))[`late.${X}`]).not.toBe('pending');
      await expectStatsMatchScan(database);
    });
  }, 60_000);
});
