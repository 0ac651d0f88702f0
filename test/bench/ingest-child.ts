/**
 * One first ingest in a process of its own, so its peak RSS is the collector's alone: the
 * kernel's high-water mark of this process (startup, modules and pool included, as `zhf sync`
 * would have them), not the benchmark harness's heap. argv: database URL, simulated Hydra URL.
 * Sends `{ ms, maxRss, error, newEvals }` (maxRss in bytes) and exits.
 */
import { openDatabase } from '../../db/src/index.ts';
import { createLogger } from '../../apps/collector/src/log.ts';
import { collectorFor } from './collector.ts';
import { peakRss } from './peak-rss.ts';

const [databaseUrl, hydraUrl] = process.argv.slice(2);
if (!databaseUrl || !hydraUrl) throw new Error('usage: ingest-child.ts <database url> <hydra url>');
const log = createLogger({ level: (process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'warn' });
const database = await openDatabase({ databaseUrl });
const { collector } = collectorFor(database, hydraUrl, log);
const t0 = performance.now();
const rep = await collector.syncJobset('nixpkgs/unstable', undefined, 'evals');
const ms = performance.now() - t0;
await database.close();
process.send!({ ms, maxRss: peakRss(), error: rep.error ?? null, newEvals: rep.newEvals.length });
process.disconnect();
