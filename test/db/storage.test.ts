import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { newSim, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const SYSTEMS = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'];

async function rowCounts(database: Database) {
  const [r] = await queryRows<{ jobs: number; builds: number; runs: number; evals: number; stats: number; breakages: number }>(database.db, sql`
    select (select count(*)::int from jobs) as jobs, (select count(*)::int from builds) as builds,
      (select count(*)::int from memberships) as runs, (select count(*)::int from evals) as evals,
      (select count(*)::int from eval_stats) as stats, (select count(*)::int from breakages) as breakages`);
  return r!;
}

const total = (c: Awaited<ReturnType<typeof rowCounts>>) => c.jobs + c.builds + c.runs + c.evals + c.stats + c.breakages;

describeEachDriver('storage grows with change, not evals x jobs', (get) => {
  it('an eval that changes 2% of 10,000 jobs adds about 2% of the first eval\'s rows', async () => {
    const database = get();
    const sim = newSim(Date.UTC(2026, 10, 16) / 1000);
    const js = sim.jobset('storage', 'unstable');
    const names: string[] = [];
    for (let i = 0; i < 2500; i++) for (const s of SYSTEMS) names.push(`pkg${i}.${s}`);
    const first: Record<string, 'success' | 'failure'> = {};
    names.forEach((n, i) => (first[n] = i % 50 === 0 ? 'failure' : 'success'));
    sim.eval(js, { jobs: first });
    const second: Record<string, 'success' | 'failure' | 'reuse'> = {};
    // Every 50th job gets a new build: 200 of 10,000 (2%).
    names.forEach((n, i) => (second[n] = i % 50 === 7 ? (i % 100 === 7 ? 'failure' : 'success') : 'reuse'));
    const h = await startHarness(database, sim, { collector: { backfillEvals: 1, fetchMode: 'bulk' } });
    try {
      await h.collector.syncAll(['storage/unstable']);
      const afterFirst = await rowCounts(database);
      expect(afterFirst.evals).toBe(1);
      expect(afterFirst.runs).toBe(10_000);
      sim.advance(6 * 3600);
      sim.eval(js, { jobs: second });
      await h.collector.syncAll(['storage/unstable']);
      const afterSecond = await rowCounts(database);
      expect(afterSecond.evals).toBe(2);
      const added = total(afterSecond) - total(afterFirst);
      const ratio = added / total(afterFirst);
      // 200 builds + 200 runs + 1 eval + 1 stats row + 100 breakages over ~30,000 rows: about 2%, never 100%.
      expect(afterSecond.builds - afterFirst.builds).toBe(200);
      expect(afterSecond.runs - afterFirst.runs).toBe(200);
      expect(ratio).toBeGreaterThan(0.01);
      expect(ratio).toBeLessThan(0.03);
    } finally {
      await h.close();
    }
  }, 120_000);
});
