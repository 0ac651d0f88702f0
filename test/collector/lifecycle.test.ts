import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import type { EvalHandle } from '@zhf/sim';
import { categoriesOf, expectStatsMatchScan, newJobset, rowsOf, withHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 9) / 1000;
const X = 'x86_64-linux';
/** A job rebuilt in every eval: Hydra lists only evals with new builds. */
const MARK = `marker.${X}`;

async function breakages(database: Database, project: string) {
  const rows = await queryRows<{ job: string; state: string; opened: string; closed: string | null; flaky: boolean; kind: string | null }>(database.db, sql`
    select j.name as job, b.state, b.opened_eval_id as opened, b.closed_eval_id as closed, b.flaky, b.kind
    from breakages b join jobs j on j.id = b.job_id join jobsets s on s.id = b.jobset_id where s.project = ${project} order by j.name, b.opened_eval_id`);
  return rows.map((r) => ({ ...r, opened: Number(r.opened), closed: r.closed === null ? null : Number(r.closed) }));
}

describeEachDriver('collector: builds changing state after ingestion', (get) => {
  it('a restart turns a failure into a success in an already-ingested eval', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'p1');
    const e1 = sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'reuse' } });
    sim.advance(3600);
    const e3 = sim.eval(js, { jobs: { [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [MARK]: 'success' } });
    await withHarness(database, sim, {}, async (h) => {
      await h.collector.syncAll(['p1/unstable']);
      expect((await categoriesOf(database, e2.id))[`a.${X}`]).toBe('new_failure');
      expect((await categoriesOf(database, e3.id))[`a.${X}`]).toBe('still_failing');
      expect(await breakages(database, 'p1')).toMatchObject([{ job: `a.${X}`, state: 'open', opened: e2.id }]);

      // Hydra restarts the build: finished goes back to 0 and the old status stays until it ends.
      sim.restart(e2.buildOf(`a.${X}`), { status: 0, finishAt: sim.now() + 600 });
      await h.collector.syncAll(['p1/unstable']);
      expect((await categoriesOf(database, e2.id))[`a.${X}`]).toBe('pending');
      expect((await categoriesOf(database, e3.id))[`a.${X}`]).toBe('pending');

      sim.advance(700);
      await h.collector.syncAll(['p1/unstable']);
      expect((await categoriesOf(database, e2.id))[`a.${X}`]).toBe('still_succeeding');
      expect((await categoriesOf(database, e3.id))[`a.${X}`]).toBe('still_succeeding');
      // Nobody claimed it, so the retracted breakage is gone.
      expect(await breakages(database, 'p1')).toEqual([]);
      // Counts follow the same current state.
      const [stats] = await queryRows<{ counts: Record<string, number> | string }>(database.db, sql`select counts from eval_stats where eval_id = ${e2.id}`);
      const counts = typeof stats!.counts === 'string' ? JSON.parse(stats!.counts) : stats!.counts;
      expect(counts).toEqual({ still_succeeding: 2 });
      await expectStatsMatchScan(database);
    });
  });

  it('a pending build finishing later, a re-pointed derivation, flaky failures and a removed job', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'p2');
    const e1 = sim.eval(js, { jobs: { [`p.${X}`]: 'success', [`r.${X}`]: 'success', [`f.${X}`]: 'success', [`g.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: {
      [`p.${X}`]: { status: 1, finishAt: sim.now() + 1800 }, [`r.${X}`]: 'reuse', [`f.${X}`]: 'failure', [`g.${X}`]: 'failure',
    } });
    await withHarness(database, sim, {}, async (h) => {
      await h.collector.syncAll(['p2/unstable']);
      expect(await categoriesOf(database, e2.id)).toEqual({
        [`f.${X}`]: 'new_failure', [`g.${X}`]: 'new_failure', [`p.${X}`]: 'pending', [`r.${X}`]: 'still_succeeding',
      });
      const before = await rowsOf(database, e2.id);
      expect(before.get(`p.${X}`)!.baseline).toMatchObject({ evalId: e1.id, outcome: 'success' });

      sim.advance(2000);
      // Re-pointed: same build id and outputs, new derivation, back to unfinished.
      sim.repoint(e2.buildOf(`r.${X}`), { status: 1, finishAt: sim.now() + 900 });
      // Flaky: the same derivation is restarted and succeeds.
      sim.restart(e2.buildOf(`f.${X}`), { status: 0, finishAt: sim.now() + 60 });
      await h.collector.syncAll(['p2/unstable']);
      const mid = await categoriesOf(database, e2.id);
      expect(mid[`p.${X}`]).toBe('new_failure');
      expect(mid[`r.${X}`]).toBe('pending');
      expect(mid[`f.${X}`]).toBe('pending');

      sim.advance(1000);
      await h.collector.syncAll(['p2/unstable']);
      const after = await categoriesOf(database, e2.id);
      // f's failed build was restarted and succeeded: against e1's success it never broke.
      expect(after).toEqual({
        [`f.${X}`]: 'still_succeeding', [`g.${X}`]: 'new_failure', [`p.${X}`]: 'new_failure',
        // One build serves e1 and e2; its current (re-pointed, failed) state is what both evals see.
        [`r.${X}`]: 'still_failing',
      });
      const [drv] = await queryRows<{ drvpath: string }>(database.db, sql`select drvpath from builds where id = ${e2.buildOf(`r.${X}`)}`);
      expect(drv!.drvpath).not.toBe((await queryRows<{ drvpath: string }>(database.db, sql`select drvpath from builds where id = ${e1.buildOf(`p.${X}`)}`))[0]!.drvpath);

      // g disappears while failing: its breakage closes as gone.
      sim.advance(3600);
      const e3 = sim.eval(js, { jobs: { [`p.${X}`]: 'reuse', [`r.${X}`]: 'reuse', [`f.${X}`]: 'reuse', [MARK]: 'success' } });
      await h.collector.syncAll(['p2/unstable']);
      expect((await categoriesOf(database, e3.id))[`g.${X}`]).toBe('removed');
      const br = await breakages(database, 'p2');
      expect(br.map((b) => [b.job, b.state, b.opened, b.closed])).toEqual([
        [`g.${X}`, 'gone', e2.id, e3.id],
        [`p.${X}`, 'open', e2.id, null],
        [`r.${X}`, 'open', e1.id, null],
      ]);
      // f's failure was restarted into a success of the same derivation: its build was seen both ways.
      const [fb] = await queryRows<{ seen_success: boolean; seen_failure: boolean }>(database.db, sql`select seen_success, seen_failure from builds where id = ${e2.buildOf(`f.${X}`)}`);
      expect(fb).toEqual({ seen_success: true, seen_failure: true });
      await expectStatsMatchScan(database);
    });
  });

  it('marks a breakage flaky when its derivation was also seen succeeding', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'p3');
    sim.eval(js, { jobs: { [`t.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: { [`t.${X}`]: { status: 1, drv: '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-t.drv' } } });
    await withHarness(database, sim, {}, async (h) => {
      await h.collector.syncAll(['p3/unstable']);
      expect((await breakages(database, 'p3'))[0]).toMatchObject({ state: 'open', flaky: false });
      // Hydra restarts it and it fails again, then once more and it succeeds on the next eval's rebuild of the same drv.
      sim.restart(e2.buildOf(`t.${X}`), { status: 1, finishAt: sim.now() + 60 });
      sim.advance(3600);
      const e3 = sim.eval(js, { jobs: { [`t.${X}`]: { status: 0, drv: '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-t.drv' } } });
      await h.collector.syncAll(['p3/unstable']);
      expect((await categoriesOf(database, e3.id))[`t.${X}`]).toBe('fixed');
      expect((await breakages(database, 'p3'))[0]).toMatchObject({ state: 'fixed', closed: e3.id, flaky: true });
      await expectStatsMatchScan(database);
    });
  });

  it('backfills older evals, moving baselines back, and a new job in a later eval', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'p4');
    const evs: EvalHandle[] = [];
    evs.push(sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'success' } }));
    sim.advance(3600);
    evs.push(sim.eval(js, { jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'reuse' } }));
    for (let i = 0; i < 3; i++) {
      sim.advance(3600);
      evs.push(sim.eval(js, { jobs: { [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [MARK]: 'success' } }));
    }
    sim.advance(3600);
    const last = sim.eval(js, { jobs: { [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [`n.${X}`]: 'success' } });
    await withHarness(database, sim, { collector: { backfillEvals: 3 } }, async (h) => {
      await h.collector.syncAll(['p4/unstable']);
      const oldestIngested = evs[3]!.id;
      expect((await categoriesOf(database, oldestIngested))[`a.${X}`]).toBe('failing');
      expect((await categoriesOf(database, last.id))[`n.${X}`]).toBe('new_job');
      expect((await breakages(database, 'p4'))).toMatchObject([{ job: `a.${X}`, opened: oldestIngested, state: 'open' }]);

      const progress: string[] = [];
      const r = await h.collector.backfill('p4/unstable', 10, (d, t, label) => progress.push(`${d}/${t} ${label}`));
      expect(r.newEvals).toEqual([evs[2]!.id, evs[1]!.id, evs[0]!.id]);
      expect(progress.at(-1)).toBe('3/3 done');
      expect((await categoriesOf(database, evs[0]!.id))[`a.${X}`]).toBe('succeeding');
      expect((await categoriesOf(database, evs[1]!.id))[`a.${X}`]).toBe('new_failure');
      expect((await categoriesOf(database, oldestIngested))[`a.${X}`]).toBe('still_failing');
      // The breakage now opens where the failure really started, and keeps a single row.
      expect(await breakages(database, 'p4')).toMatchObject([{ job: `a.${X}`, opened: evs[1]!.id, state: 'open' }]);
      await expectStatsMatchScan(database);
    });
  });
});
