import { openDatabase, type Database } from '@zhf/db';
import type { Config } from './config.ts';
import { HydraClient } from '@zhf/collector/hydra/client';
import { createLogger, type Logger } from '@zhf/collector/log';
import { packagesJsonUrlFor } from '@zhf/collector/maintainers/source';
import { Collector } from '@zhf/collector/sync';

/** The parts every command shares, built once from the validated configuration. */
export interface Runtime {
  config: Config;
  database: Database;
  client: HydraClient;
  collector: Collector;
  log: Logger;
  /** When the scheduler next runs a sync (set by the process that schedules one; unset otherwise). */
  nextSyncAt?: () => Date | null;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, log: Logger = createLogger({ level: config.logLevel })): Promise<Runtime> {
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
