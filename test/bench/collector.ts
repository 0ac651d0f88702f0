// The benchmark's collector: the product's own, pointed at the simulated Hydra with its rate
// limit lifted (the fetch policy still reasons at production's 1 request/s).
import type { Database } from '../../db/src/index.ts';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import type { Logger } from '../../apps/collector/src/log.ts';
import { Collector } from '../../apps/collector/src/sync.ts';

export function collectorFor(database: Database, url: string, log: Logger) {
  const client = new HydraClient({ baseUrl: url, userAgent: 'zhf-bench', rps: 100_000, burst: 100_000, logger: log });
  const collector = new Collector(database, client, { backfillEvals: 1, rps: 1, singleConcurrency: 8 }, log);
  return { client, collector };
}
