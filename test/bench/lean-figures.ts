// Issue 17's figures for one steady eval: requests and Hydra-side queries (the simulator's cost
// model) until every job of the new eval shows its current state, with the full-record path
// ("today": one /build/:id per new build) and the cheap sources (the default), on the same
// simulated history with the lifecycle on.
//   node --import tsx test/bench/lean-figures.ts [jobs] [single,auto]
import { openDatabase } from '../../db/src/index.ts';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import { Collector } from '../../apps/collector/src/sync.ts';
import { createLogger } from '../../apps/collector/src/log.ts';
import { GeneratedHydra, startHydraSim } from '@zhf/sim';

const jobs = Number(process.argv[2] ?? 20_000);

async function measure(mode: 'single' | 'auto') {
  const gen = new GeneratedHydra({ jobsPerEval: jobs, evals: 3, massRebuilds: [], lifecycle: true, seed: 17 });
  const end = gen.now();
  gen.setClock(end - 2 * 3600); // the newest eval is ~1 h before the end: not there yet
  const sim = await startHydraSim(gen, { rateLimit: false });
  const database = await openDatabase({ dataDir: 'memory://' });
  const client = new HydraClient({ baseUrl: sim.url, userAgent: 'zhf-bench', rps: 100_000, burst: 100_000 });
  const collector = new Collector(database, client, { backfillEvals: 2, rps: 1, singleConcurrency: 8, fetchMode: mode, maxDetailFetches: 0 }, process.env.ZHF_LOG_LEVEL ? createLogger({ level: process.env.ZHF_LOG_LEVEL as 'debug' }) : undefined);
  await collector.syncAll(['nixpkgs/unstable']);
  gen.setClock(end);
  sim.counters.reset();
  const t = Date.now();
  const [r] = await collector.syncAll(['nixpkgs/unstable']);
  const cost = sim.counters.cost();
  const routes = Object.fromEntries(Object.entries(sim.counters.snapshot()).map(([k, v]) => [k, { requests: v.requests, queries: v.queries, rows: v.rows }]));
  const out = { mode, jobs, newEvals: r!.newEvals.length, error: r!.error ?? null, requests: cost.requests, queries: cost.queries, ms: Date.now() - t, routes };
  client.close();
  await sim.close();
  await database.close();
  return out;
}

const modes = (process.argv[3] ?? 'single,auto').split(',') as ('single' | 'auto')[];
for (const mode of modes) console.log(JSON.stringify(await measure(mode)));
