import type { Database } from '../../db/src/index.ts';
import { evalContext, evalJobRows, type JobRow } from '../../db/src/queries/index.ts';
import { HydraClient, type HydraClientOptions } from '../../apps/collector/src/hydra/client.ts';
import { Collector, type CollectorOptions } from '../../apps/collector/src/sync.ts';
import { ScriptedHydra, startHydraSim, type HydraSimOptions, type JobsetHandle, type RunningHydraSim, type DataSource } from '@zhf/sim';

export interface Harness {
  sim: RunningHydraSim;
  client: HydraClient;
  collector: Collector;
  close(): Promise<void>;
}

/**
 * The real collector against the simulated Hydra over real HTTP. The simulator's rate limit
 * is lifted unless `simOpts.rateLimit` is given, and the client retries fast.
 */
export async function startHarness(
  database: Database,
  source: DataSource,
  opts: { sim?: HydraSimOptions; client?: Partial<HydraClientOptions>; collector?: Partial<CollectorOptions> } = {},
): Promise<Harness> {
  const sim = await startHydraSim(source, { rateLimit: false, ...opts.sim });
  const client = new HydraClient({
    baseUrl: sim.url, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 1000, burst: 1000, retryBaseMs: 5, maxBackoffMs: 50, ...opts.client,
  });
  const collector = new Collector(database, client, { backfillEvals: 8, rps: 1000, queueProbe: 1000, ...opts.collector });
  return { sim, client, collector, close: () => sim.close() };
}

/** `startHarness`, then `body` with it; the harness is closed however the body ends. */
export async function withHarness<T>(
  database: Database,
  source: DataSource,
  opts: Parameters<typeof startHarness>[2],
  body: (h: Harness) => Promise<T>,
): Promise<T> {
  const h = await startHarness(database, source, opts);
  try {
    return await body(h);
  } finally {
    await h.close();
  }
}

/** Every row of an eval, keyed by job name. */
export async function rowsOf(database: Database, evalId: number): Promise<Map<string, JobRow>> {
  const ctx = await evalContext(database.db, evalId);
  if (!ctx) throw new Error(`eval ${evalId} not ingested`);
  const page = await evalJobRows(database.db, ctx, {}, null, 1_000_000);
  return new Map(page.items.map((r) => [r.job, r]));
}

/** job name -> category of an eval. */
export async function categoriesOf(database: Database, evalId: number): Promise<Record<string, string>> {
  const rows = await rowsOf(database, evalId);
  return Object.fromEntries([...rows.entries()].filter(([k]) => !k.startsWith('marker.')).map(([k, v]) => [k, v.category]).sort());
}

let simCounter = 0;

/**
 * A ScriptedHydra whose eval and build ids do not collide with other sims sharing the same
 * database (Hydra's ids are global; tests isolate with unique ids, not wipes).
 */
export function newSim(start: number): ScriptedHydra {
  simCounter++;
  const base = (process.pid % 1000) * 1000 + simCounter * 10;
  return new ScriptedHydra({ start, firstEvalId: 1_000_000 + base * 100, firstBuildId: 100_000_000 + base * 10_000 });
}

/** A new sim (as `newSim`) and its jobset `project/unstable`, which most tests need alone. */
export function newJobset(start: number, project: string): { sim: ScriptedHydra; js: JobsetHandle } {
  const sim = newSim(start);
  return { sim, js: sim.jobset(project, 'unstable') };
}

/**
 * Every eval's cached counts (computed incrementally from outcome histograms and run starts)
 * equal a full scan of its rows: the invariant that keeps the fast path honest.
 */
export async function expectStatsMatchScan(database: Database): Promise<void> {
  const { queryRows } = await import('../../db/src/index.ts');
  const { computeEvalCountsByScan, refreshEvalStats } = await import('../../db/src/queries/index.ts');
  const { sql } = await import('drizzle-orm');
  const evals = await queryRows<{ id: string; jobset_id: number }>(database.db, sql`select id, jobset_id from evals order by id`);
  for (const e of evals) await refreshEvalStats(database.db, e.jobset_id, [Number(e.id)]);
  for (const e of evals) {
    const ctx = (await evalContext(database.db, Number(e.id)))!;
    const [stats] = await queryRows<{ counts: unknown }>(database.db, sql`select counts from eval_stats where eval_id = ${ctx.id}`);
    const cached = typeof stats!.counts === 'string' ? JSON.parse(stats!.counts) : stats!.counts;
    const scanned = await computeEvalCountsByScan(database.db, ctx);
    if (JSON.stringify(sortKeys(cached as object)) !== JSON.stringify(sortKeys(scanned))) {
      throw new Error(`eval ${ctx.id}: cached counts ${JSON.stringify(cached)} differ from a scan ${JSON.stringify(scanned)}`);
    }
  }
}

function sortKeys(o: object): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b)));
}
