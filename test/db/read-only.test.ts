// Reads never write: eval stats are stored at ingest, and a read that finds them stale or
// missing computes what it needs without saving it. Each read below runs in a read-only
// transaction, where any INSERT or UPDATE fails.
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Db } from '../../db/src/index.ts';
import {
  compareJobRows, evalContext, evalJobRows, evalJobRowsByScan, markStatsStale, type EvalContext, type JobRowFilters,
} from '../../db/src/queries/index.ts';
import { newSim, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const X = 'x86_64-linux';
const FILTERS: JobRowFilters[] = [
  { categories: ['still_failing'] }, { categories: ['new_failure', 'still_succeeding'] }, { kinds: ['direct'] }, { systems: [X] }, {},
];

async function readOnly<T>(db: Db, body: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set transaction read only`);
    return body(tx as unknown as Db);
  });
}

describeEachDriver('reads are read-only', (get) => {
  let ctx: EvalContext;
  let first: EvalContext;

  it('ingests a small history', async () => {
    const database = get();
    const sim = newSim(Date.UTC(2026, 10, 16) / 1000);
    const js = sim.jobset('readonly', 'unstable');
    const jobs = (n: number, f: (i: number) => string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}.${X}`, f(i)]));
    const e1 = sim.eval(js, { jobs: jobs(30, (i) => (i % 5 === 0 ? 'failure' : 'success')) as never });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: jobs(28, (i) => (i % 7 === 0 ? 'failure' : i % 11 === 0 ? 'dep' : 'reuse')) as never });
    const h = await startHarness(database, sim);
    try {
      await h.collector.syncAll(['readonly/unstable']);
    } finally {
      await h.close();
    }
    ctx = (await evalContext(database.db, e2.id))!;
    first = (await evalContext(database.db, e1.id))!;
  });

  const stored = async (db: Db) => ({
    stats: await queryRows<{ stale: boolean; computed_at: unknown }>(db, sql`select stale, computed_at from eval_stats where eval_id = ${ctx.id}`),
    outcomes: await queryRows<{ n: number }>(db, sql`select count(*)::int as n from eval_outcomes where eval_id = ${ctx.id}`),
  });

  const expectReadsMatchScan = async () => {
    const db = get().db;
    for (const f of FILTERS) {
      const reference = await evalJobRowsByScan(db, ctx, f);
      const page = await readOnly(db, (tx) => evalJobRows(tx, ctx, f, null, 10));
      expect(page.total, JSON.stringify(f)).toBe(reference.length);
      expect(page.items.map((r) => r.job)).toEqual(reference.slice(0, 10).map((r) => r.job));
      const compared = await readOnly(db, (tx) => compareJobRows(tx, ctx, first, f, null, 10));
      expect(compared.items.length, JSON.stringify(f)).toBeLessThanOrEqual(10);
    }
  };

  it('reads fresh stats without writing', async () => {
    await expectReadsMatchScan();
  });

  it('reads stale stats without refreshing them', async () => {
    const db = get().db;
    await markStatsStale(db, ctx.jobsetId, 0);
    const before = await stored(db);
    expect(before.stats[0]!.stale).toBe(true);
    await expectReadsMatchScan();
    expect(await stored(db)).toEqual(before);
  });

  it('reads an eval without stats or outcome histogram without storing them', async () => {
    const db = get().db;
    await db.execute(sql`delete from eval_stats where eval_id = ${ctx.id}`);
    await db.execute(sql`delete from eval_outcomes where eval_id = ${ctx.id}`);
    await expectReadsMatchScan();
    expect(await stored(db)).toEqual({ stats: [], outcomes: [{ n: 0 }] });
  });
});
