import { expect, it } from 'vitest';
import { categoriesOf, newSim, startHarness } from '../support/collector.ts';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Database } from '../../db/src/index.ts';
import { openTestDatabase } from '../support/db.ts';
import { loadConfig } from '../../apps/collector/src/config.ts';

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
});
