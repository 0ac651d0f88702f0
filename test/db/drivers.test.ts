import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { drivers, openTestDatabase } from '../support/db.ts';

const X = 'x86_64-linux';
const A = 'aarch64-darwin';

async function sameHistoryInto(database: Database) {
  // Same ids on every driver: the comparison below is row for row.
  const sim = newSimFixed();
  const js = sim.jobset('drv', 'unstable');
  sim.eval(js, { jobs: { [`a.${X}`]: 'success', [`b.${X}`]: 'failure', [`a.${A}`]: { status: 7 }, [`c.${A}`]: 'dep' } });
  sim.advance(3600);
  sim.eval(js, { jobs: { [`a.${X}`]: 'failure', [`b.${X}`]: 'reuse', [`a.${A}`]: 'success', [`d.${X}`]: 'pending' } });
  const h = await startHarness(database, sim);
  try {
    await h.collector.syncAll(['drv/unstable']);
  } finally {
    await h.close();
  }
}

let fixed = 0;
function newSimFixed() {
  // Deliberately the same ids for each driver's database.
  fixed++;
  return new ScriptedHydra({ start: Date.UTC(2026, 10, 16) / 1000, firstEvalId: 7_000_000, firstBuildId: 700_000_000 });
}

async function dump(database: Database) {
  const q = <T>(s: ReturnType<typeof sql>) => queryRows<T>(database.db, s);
  return {
    migrations: await q(sql`select hash from drizzle.__drizzle_migrations order by id`),
    tables: await q(sql`select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' order by table_name, column_name`),
    jobs: await q(sql`select name, system, package from jobs order by name`),
    builds: await q(sql`select j.name, b.finished, b.status, b.outputs from builds b join jobs j on j.id = b.job_id order by j.name, b.id`),
    stats: await q(sql`select s.counts::text, s.counts_by_system::text, s.pending from eval_stats s order by s.eval_id`),
    breakages: await q(sql`select j.name, b.state, b.kind, b.week, b.flaky from breakages b join jobs j on j.id = b.job_id order by j.name`),
  };
}

describe('one schema, one set of queries, both drivers', () => {
  it('applies the same migrations and gives the same results on PGlite and PostgreSQL', async () => {
    const results = [];
    for (const driver of drivers) {
      const database = await openTestDatabase(driver);
      try {
        await sameHistoryInto(database);
        results.push({ driver, dump: await dump(database) });
      } finally {
        await database.close();
      }
    }
    const [first, ...rest] = results;
    expect(first!.dump.migrations.length).toBeGreaterThan(0);
    expect(first!.dump.breakages).toEqual([
      { name: `a.${X}`, state: 'open', kind: 'direct', week: '2026-W47', flaky: false },
      { name: `b.${X}`, state: 'open', kind: 'direct', week: '2026-W47', flaky: false },
      { name: `c.${A}`, state: 'gone', kind: 'dependency', week: '2026-W47', flaky: false },
    ]);
    for (const r of rest) {
      expect(r.dump.migrations).toEqual(first!.dump.migrations);
      expect(r.dump.tables).toEqual(first!.dump.tables);
      expect(r.dump.jobs).toEqual(first!.dump.jobs);
      expect(r.dump.builds).toEqual(first!.dump.builds);
      expect(r.dump.stats).toEqual(first!.dump.stats);
      expect(r.dump.breakages).toEqual(first!.dump.breakages);
    }
    expect(fixed).toBe(drivers.length);
  });
});
