import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Db } from '../../db/src/index.ts';
import { analyzeAfterLoad, appendEval, BIG_LOAD, ensureJobset, openRunBuilds, upsertBuilds, type BuildRecord, type EvalRecord } from '../../db/src/queries/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { startHarness } from '../support/collector.ts';
import { GeneratedHydra } from '@zhf/sim';

class RolledBack extends Error {}

const X = 'x86_64-linux';
const build = (id: number, job: string): BuildRecord => ({
  id, job: `${job}.${X}`, system: X, finished: 1, status: 0, drvpath: `/nix/store/${id}-${job}.drv`,
  outputs: [`/nix/store/${id}-${job}`], nixname: job, timestamp: 1, starttime: 1, stoptime: 2,
});
const evalOf = (id: number, buildIds: number[]): EvalRecord => ({
  id, revision: null, timestamp: 1_790_000_000 + id, checkoutTime: 0, evalTime: 0, flake: null, inputs: {}, buildIds,
});

describeEachDriver('membership runs of appended evals', (get) => {
  it('refreshes planner statistics inside the transaction after a big load, and only then', async () => {
    const db = get().db;
    // Rows written in a transaction, as an eval's runs are: what the planner believes about them
    // there. The transaction rolls back, statistics included.
    const estimate = async (rows: number) => {
      let n = NaN;
      await db.transaction(async (txRaw) => {
        const tx = txRaw as unknown as Db;
        await tx.execute(sql`insert into memberships (jobset_id, job_id, build_id, first_eval_id) select 999, g, g, 1 from generate_series(1, ${rows}) g`);
        await analyzeAfterLoad(tx, 'memberships', rows);
        n = (await queryRows<{ n: number }>(tx, sql`select reltuples::float8 as n from pg_class where relname = 'memberships'`))[0]!.n;
        throw new RolledBack();
      }).catch((err) => {
        if (!(err instanceof RolledBack)) throw err;
      });
      return n;
    };
    // The fresh database's table was never analyzed (-1 since PostgreSQL 14).
    expect(await estimate(BIG_LOAD - 1)).toBeLessThanOrEqual(0);
    expect(await estimate(BIG_LOAD)).toBeGreaterThanOrEqual(BIG_LOAD);
  });

  it('opens, closes and keeps runs by build id, the newest build winning when a job is listed twice', async () => {
    const db = get().db;
    const js = await ensureJobset(db, 'runs', 'unstable');
    const runs = async () => (await queryRows<{ job: string; build: number; first: number; last: number | null }>(db, sql`
      select j.name as job, m.build_id::float8 as build, m.first_eval_id::float8 as first, m.last_eval_id::float8 as last
      from memberships m join jobs j on j.id = m.job_id where m.jobset_id = ${js.id} order by j.name, m.first_eval_id`))
      .map((r) => `${r.job.split('.')[0]} ${r.build} ${r.first}-${r.last ?? ''}`);
    const append = (id: number, ids: number[], prev: number | null, builds: BuildRecord[]) => db.transaction(async (tx) => {
      await upsertBuilds(tx as unknown as Db, js.id, builds);
      return appendEval(tx as unknown as Db, js.id, evalOf(id, ids), prev);
    });

    // Build 9 of b is stored (say, from another eval) but not a member.
    const first = await append(100, [10, 11, 12, 13], null, [build(9, 'b'), build(10, 'a'), build(11, 'b'), build(12, 'c'), build(13, 'd')]);
    expect(first).toEqual({ jobIds: 'all', opened: 4, closed: 0 });
    expect([...await openRunBuilds(db, js.id)].sort()).toEqual([10, 11, 12, 13]);

    // a: listed with its open build 10 and a newer 15 (15 wins); b: listed with its open build 11
    // and an older 9 (11 stays); c: gone; d: a new build 17; e: a new job.
    const change = await append(101, [10, 15, 11, 9, 17, 18], 100, [build(15, 'a'), build(17, 'd'), build(18, 'e')]);
    expect(change.jobIds !== 'all' && new Set(change.jobIds).size).toBe(4); // a, c, d, e
    expect(await runs()).toEqual(['a 10 100-100', 'a 15 101-', 'b 11 100-', 'c 12 100-100', 'd 13 100-100', 'd 17 101-', 'e 18 101-']);

    // d goes back to its old build 13 (Hydra reuses a build for a reverted derivation): a new run opens.
    await append(102, [15, 11, 13, 18], 101, []);
    expect(await runs()).toEqual([
      'a 10 100-100', 'a 15 101-', 'b 11 100-', 'c 12 100-100', 'd 13 100-100', 'd 17 101-101', 'd 13 102-', 'e 18 101-',
    ]);
  });

  it('leaves no orphan: every build, run and job has its parent (the ingest tables carry no foreign keys)', async () => {
    const database = get();
    const end = Date.UTC(2026, 10, 20) / 1000;
    const hydra = new GeneratedHydra({ seed: 5, jobsPerEval: 1500, evals: 6, massRebuilds: [3], end, now: end + 86_400, staging: { evals: 2 } });
    const h = await startHarness(database, hydra, { collector: { backfillEvals: 3 } });
    try {
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixpkgs/staging-next'])) expect(r.error).toBeUndefined();
      // Older evals too: prepended runs.
      expect((await h.collector.backfill('nixpkgs/unstable', 2)).error).toBeUndefined();
    } finally {
      await h.close();
    }
    const [o] = await queryRows<{ builds: number; runs: number; run_builds: number; jobs: number; stored: number }>(database.db, sql`
      select (select count(*)::int from builds b where not exists (select 1 from jobs j where j.id = b.job_id)) as builds,
        (select count(*)::int from memberships m where not exists (select 1 from jobs j where j.id = m.job_id)) as runs,
        (select count(*)::int from memberships m where not exists (select 1 from builds b where b.id = m.build_id)) as run_builds,
        (select count(*)::int from jobs j where not exists (select 1 from jobsets s where s.id = j.jobset_id)) as jobs,
        (select count(*)::int from memberships) as stored`);
    expect(o).toEqual({ builds: 0, runs: 0, run_builds: 0, jobs: 0, stored: expect.any(Number) });
    expect(o!.stored).toBeGreaterThan(3000);
  }, 120_000);
});
