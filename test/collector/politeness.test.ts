import { expect, it } from 'vitest';
import { categoriesOf, newSim, startHarness } from '../support/collector.ts';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Database } from '../../db/src/index.ts';
import { openTestDatabase } from '../support/db.ts';
import { loadConfig } from '../../apps/zhf/src/config.ts';
import { GeneratedHydra } from '@zhf/sim';

const T0 = Date.UTC(2026, 10, 16) / 1000;
const X = 'x86_64-linux';

function history(project: string) {
  const sim = newSim(T0);
  const js = sim.jobset(project, 'unstable');
  const evals = [];
  for (let e = 0; e < 3; e++) {
    const jobs: Record<string, string> = {};
    for (let i = 0; i < 3; i++) jobs[`j${i}.${X}`] = (i + e) % 3 === 0 ? 'failure' : 'success';
    evals.push(sim.eval(js, { jobs: jobs as never }));
    sim.advance(3600);
  }
  return { sim, evals };
}

// The request budget is the client's business, not the database's: one driver is enough.
describe('politeness toward Hydra', () => {
  let db: Database;
  beforeAll(async () => { db = await openTestDatabase('pglite'); });
  afterAll(async () => { await db.close(); });
  const get = () => db;
  it('a full sync at the default request budget never meets a 429, and a tightened limit changes nothing but time', async () => {
    const database = get();
    const defaults = loadConfig({});
    // Default client budget (1/s, burst 4) against hydra.nixos.org's limit (2/s, burst 7).
    const a = history('polite');
    const h = await startHarness(database, a.sim, {
      sim: { rateLimit: { rps: 2, burst: 7 } },
      client: { rps: defaults.hydraRps, burst: defaults.hydraBurst, retryBaseMs: 1000 },
      collector: { rps: defaults.hydraRps, fetchMode: 'single' },
    });
    let politeCategories: Record<string, string>[] = [];
    try {
      const [r] = await h.collector.syncAll(['polite/unstable']);
      expect(r!.error).toBeUndefined();
      expect(h.sim.counters.totalRequests()).toBeGreaterThan(7);
      // Singles past the burst of 4 wait a second each for the bucket: the report names that time.
      expect(r!.buildsFetched).toBeGreaterThan(6);
      expect(r!.fetchMs).toBeGreaterThanOrEqual(1000);
      expect(r!.fetchMs).toBeLessThan(r!.ms);
      expect(h.sim.counters.total429()).toBe(0);
      expect(h.client.stats.rateLimited).toBe(0);
      politeCategories = await Promise.all(a.evals.map((e) => categoriesOf(database, e.id)));
    } finally {
      await h.close();
    }

    // The same history with the server's limit far below the client's budget: 429s happen and are absorbed.
    const b = history('tight');
    const t = await startHarness(database, b.sim, {
      sim: { rateLimit: { rps: 5, burst: 1 } },
      client: { rps: 50, burst: 20, retryBaseMs: 50, maxAttempts: 10 },
      collector: { fetchMode: 'single' },
    });
    try {
      const [r] = await t.collector.syncAll(['tight/unstable']);
      expect(r!.error).toBeUndefined();
      expect(t.sim.counters.total429()).toBeGreaterThan(0);
      expect(t.client.stats.rateLimited).toBe(t.sim.counters.total429());
      const tight = await Promise.all(b.evals.map((e) => categoriesOf(database, e.id)));
      expect(tight).toEqual(politeCategories);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('a steady sync reads the evals page only up to the first eval it already holds', async () => {
    // 12 evals of 3,000 jobs: page 1 lists them all, each with its full build array (~30 KB).
    const end = Date.UTC(2026, 10, 20) / 1000;
    const hydra = new GeneratedHydra({ seed: 3, jobsPerEval: 3000, evals: 12, massRebuilds: [], end, now: end + 3600 });
    const ids = hydra.groundTruth.allEvalIds('unstable');
    hydra.setClock(hydra.groundTruth.evalTimestamp(ids.at(-2)!) + 60);
    const h = await startHarness(get(), hydra, { collector: { backfillEvals: 1 } });
    try {
      const [first] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(first!.newEvals).toEqual([ids.at(-2)]);
      // The whole page, as a client reading to the end gets it.
      const fullPage = await (await fetch(`${h.sim.url}/jobset/nixpkgs/unstable/evals?page=1`, { headers: { accept: 'application/json' } })).text();
      hydra.setClock(end + 3600);
      const before = h.client.stats.bytes.get('evals') ?? 0;
      const [second] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(second!.newEvals).toEqual([ids.at(-1)]);
      const read = (h.client.stats.bytes.get('evals') ?? 0) - before;
      // The new eval and the known one after it, not the ten older ones.
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThan(fullPage.length / 3);
    } finally {
      await h.close();
    }
  }, 120_000);
});
