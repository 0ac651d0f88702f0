import { openDatabase, type Database } from '@zhf/db';
import type { Config } from './config.ts';
import { HydraClient } from './hydra/client.ts';
import { createLogger, type Logger } from './log.ts';
import { packagesJsonUrlFor } from './maintainers/source.ts';
import { Collector } from './sync.ts';

/** The parts every command shares, built once from the validated configuration. */
export interface Runtime {
  config: Config;
  database: Database;
  client: HydraClient;
  collector: Collector;
  log: Logger;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, log: Logger = createLogger()): Promise<Runtime> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const client = new HydraClient({
    baseUrl: config.hydraUrl, userAgent: config.userAgent, rps: config.hydraRps, burst: config.hydraBurst, logger: log,
  });
  const collector = new Collector(database, client, {
    backfillEvals: config.backfillEvals, rps: config.hydraRps, packagesJsonUrl: (ref) => packagesJsonUrlFor(config.packagesJson, ref),
  }, log);
  return { config, database, client, collector, log, close: async () => {
    client.close();
    await database.close();
  } };
}
