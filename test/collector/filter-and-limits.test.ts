import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import { Collector } from '../../apps/collector/src/sync.ts';
import { createLogger } from '../../apps/collector/src/log.ts';
import { startHydraSim } from '@zhf/sim';
import { newSim, startHarness } from '../support/collector.ts';
import { openTestDatabase } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 23) / 1000;
const X = 'x86_64-linux';

function history(project: string, evals = 2, jobs = 4) {
  const sim = newSim(T0);
  const js = sim.jobset(project, 'unstable');
  const out = [];
  for (let e = 0; e < evals; e++) {
    const spec: Record<string, 'success' | 'failure'> = {};
    for (let i = 0; i < jobs; i++) spec[`j${i}.${X}`] = (i + e) % 3 === 0 ? 'failure' : 'success';
    out.push(sim.eval(js, { jobs: spec }));
    sim.advance(3600);
  }
  return { sim, evals: out };
}

// Requests and their pacing are the client's business: one driver is enough.
describe('the filter, the rate limit and retries toward Hydra', () => {
  let db: Database;
  beforeAll(async () => { db = await openTestDatabase('pglite'); });
  afterAll(async () => { await db.close(); });

  it('the filter answering HTML gives one clear log line and health status, no retries, and a long back-off', async () => {
    const { sim } = history('filtered');
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l) });
    const h = await startHarness(db, sim, { client: { logger, userAgent: 'zhf-test/1 (+http://127.0.0.1/contact)' } });
    const collector = new Collector(db, h.client, { backfillEvals: 8, rps: 1000 }, logger);
    try {
      h.sim.faults.add({ path: /./, kind: 'botcheck', times: Infinity });
      const host = new URL(h.sim.url).host;
      const message = `${host}'s filter answered HTML: user agent or network blocked; user agent in use: zhf-test/1 (+http://127.0.0.1/contact)`;
      const [r1, r2] = await collector.syncAll(['filtered/unstable', 'filtered/other']);
      expect(r1!.error).toBe(message);
      expect(r2!.error).toBe(message);
      // One request reached the filter; nothing was asked again.
      expect(h.sim.counters.totalRequests()).toBe(1);
      expect(h.client.stats.retries).toBe(0);
      const errors = lines.filter((l) => / error /.test(l));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(message);
      // The health status names it.
      const rows = await queryRows<{ e: string }>(db.db, sql`select last_sync_error as e from jobsets where project = 'filtered' order by name`);
      expect(rows.map((r) => r.e)).toEqual([message, message]);
      // The next cron run, inside the back-off: no request, no new log line.
      await collector.syncAll(['filtered/unstable']);
      expect(h.sim.counters.totalRequests()).toBe(1);
      expect(lines.filter((l) => / error /.test(l))).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('after the back-off, a filter that let us through again is followed as usual', async () => {
    const { sim, evals } = history('unfiltered');
    const h = await startHarness(db, sim, { client: { filteredBackoffMs: 50 } });
    try {
      h.sim.faults.add({ path: /./, kind: 'botcheck', times: 1 });
      const [r1] = await h.collector.syncAll(['unfiltered/unstable']);
      expect(r1!.error).toMatch(/filter answered HTML/);
      await new Promise((r) => setTimeout(r, 80));
      const [r2] = await h.collector.syncAll(['unfiltered/unstable']);
      expect(r2!.error).toBeUndefined();
      expect(r2!.newEvals).toEqual(evals.map((e) => e.id));
      expect(h.client.filtered).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('never a 429 at ZHF_HYDRA_RPS=2 ZHF_HYDRA_BURST=7 against a strict limiter of 2/s, burst 7', async () => {
    const { sim, evals } = history('limit', 1, 30);
    const srv = await startHydraSim(sim, { rateLimit: { rps: 2, burst: 7 } });
    const client = new HydraClient({ baseUrl: srv.url, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 2, burst: 7 });
    try {
      const [e] = (await client.evalsPage('limit', 'unstable')).evals;
      // Four in flight at once, as the collector's single fetches run.
      let next = 0;
      const ids = [...e!.builds, ...e!.builds].slice(0, 34);
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < ids.length) await client.build(ids[next++]!);
      }));
      expect(srv.counters.totalRequests()).toBe(35);
      expect(srv.counters.total429()).toBe(0);
      expect(client.stats.rateLimited).toBe(0);
    } finally {
      client.close();
      await srv.close();
    }
  }, 60_000);

  it('the first retry after a 5xx waits at least half of the first back-off step', async () => {
    const { sim, evals } = history('retry', 1);
    const srv = await startHydraSim(sim, { rateLimit: false });
    const at: number[] = [];
    srv.faults.add({ path: '/jobset/retry/unstable/evals', kind: 'status', status: 503, times: 1 });
    srv.faults.add({ path: '/jobset/retry/unstable/evals', kind: 'hook', times: 2, run: () => at.push(performance.now()) });
    // The unluckiest draw of the jitter.
    const client = new HydraClient({ baseUrl: srv.url, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 100, burst: 100, retryBaseMs: 200, random: () => 0 });
    try {
      await client.evalsPage('retry', 'unstable');
      expect(at).toHaveLength(2);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(95);
    } finally {
      client.close();
      await srv.close();
    }
  });

  it('"builds fetched" counts each build once when a bulk download is cut and retried', async () => {
    const { sim, evals } = history('recount', 1, 40);
    const h = await startHarness(db, sim, { collector: { fetchMode: 'bulk' } });
    try {
      h.sim.faults.add({ path: `/eval/${evals[0]!.id}/builds`, kind: 'cut', afterBytes: 6000, times: 1 });
      const [r] = await h.collector.syncAll(['recount/unstable']);
      expect(r!.error).toBeUndefined();
      expect(h.client.stats.retries).toBe(1);
      expect(r!.buildsFetched).toBe(40);
    } finally {
      await h.close();
    }
  });
});
