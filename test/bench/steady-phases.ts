// The steady 2% eval's phases at nixpkgs scale, as the collector logs them (`eval ingested ...Ms`):
//   node --import tsx test/bench/steady-phases.ts [jobs] [evals]
// A quick look at where a steady eval's time goes, without the whole `npm run bench`.
import { createHydraSimApp, GeneratedHydra } from '@zhf/sim';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createLogger } from '../../apps/collector/src/log.ts';
import { collectorFor } from './collector.ts';
import { freshDatabase } from './fresh-database.ts';

const jobs = Number(process.argv[2] ?? 250_000);
const evals = Number(process.argv[3] ?? 6);
const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const gen = new GeneratedHydra({ seed: 42, jobsPerEval: jobs, evals, churn: 0.0141, massRebuilds: [], maxBuildSec: 3000 });
const sim = createHydraSimApp(gen, { rateLimit: false });
const server = createServer(getRequestListener((req) => sim.app.fetch(req)));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const fresh = await freshDatabase(base, 'zhf_phases');
const database = fresh.database;
const { collector, client } = collectorFor(database, url, createLogger({ level: 'info' }));
try {
  for (const id of gen.groundTruth.allEvalIds('unstable')) {
    gen.setClock(gen.groundTruth.evalTimestamp(id) + 3600);
    const rep = await collector.syncJobset('nixpkgs/unstable', undefined, 'evals');
    if (rep.error) throw new Error(rep.error);
  }
} finally {
  client.close();
  await fresh.drop();
  server.close();
}
