import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../db/src/index.ts';
import { newSim, startHarness } from '../support/collector.ts';

const url = process.env.TEST_DATABASE_URL;
const X = 'x86_64-linux';

// Several processes may share one PostgreSQL; PGlite is one process by construction.
describe.skipIf(!url)('concurrent collectors on one PostgreSQL [postgres]', () => {
  it('never ingest the same jobset at once: the second one skips while the first holds the lock', async () => {
    const name = `zhf_conc_${randomBytes(4).toString('hex')}`;
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(url!);
    u.pathname = `/${name}`;
    const a = await openDatabase({ databaseUrl: u.toString() });
    const b = await openDatabase({ databaseUrl: u.toString() });
    const sim = newSim(Date.UTC(2026, 10, 16) / 1000);
    const js = sim.jobset('conc', 'unstable');
    for (let i = 0; i < 3; i++) {
      sim.eval(js, { jobs: { [`a.${X}`]: i === 1 ? 'failure' : 'success', [`b${i}.${X}`]: 'success' } });
      sim.advance(3600);
    }
    const ha = await startHarness(a, sim);
    const hb = await startHarness(b, sim);
    try {
      // Slow the first eval listing so both collectors overlap.
      ha.sim.faults.add({ path: /\/evals/, kind: 'slow', delayMs: 1500 });
      const first = ha.collector.syncAll(['conc/unstable']);
      await new Promise((r) => setTimeout(r, 300));
      const second = await hb.collector.syncAll(['conc/unstable']);
      expect(second[0]!.skipped).toBe('locked');
      const done = await first;
      expect(done[0]!.error).toBeUndefined();
      expect(done[0]!.newEvals).toHaveLength(3);
      const [n] = await queryRows<{ evals: number; runs: number }>(a.db, sql`select (select count(*)::int from evals) as evals, (select count(*)::int from memberships) as runs`);
      expect(n!.evals).toBe(3);
      // Once the lock is free the other collector runs and finds nothing new.
      const again = await hb.collector.syncAll(['conc/unstable']);
      expect(again[0]!.skipped).toBeUndefined();
      expect(again[0]!.newEvals).toEqual([]);
    } finally {
      await ha.close();
      await hb.close();
      await a.close();
      await b.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
