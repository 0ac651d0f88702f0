/**
 * One read of a channel packages.json in a process of its own, so its peak RSS is the reader's
 * alone: fetched through the collector's client, streamed, brotli-decoded and stored, as the
 * collector does after a sync. argv: database URL, file URL, jobset id.
 * Sends `{ ms, maxRss, result }` (maxRss in bytes) and exits.
 */
import { openDatabase } from '../../db/src/index.ts';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import { refreshMaintainers } from '../../apps/collector/src/maintainers/refresh.ts';
import { peakRss } from './peak-rss.ts';

const [databaseUrl, url, jobsetId] = process.argv.slice(2);
if (!databaseUrl || !url || !jobsetId) throw new Error('usage: packages-child.ts <database url> <file url> <jobset id>');
const database = await openDatabase({ databaseUrl });
const client = new HydraClient({ baseUrl: 'http://127.0.0.1:1', userAgent: 'zhf-bench', rps: 1000, burst: 1000, maxAttempts: 1 });
const t0 = performance.now();
const result = await refreshMaintainers(database.db, client, { jobsetId: Number(jobsetId), ref: 'nixpkgs/unstable', url });
const ms = performance.now() - t0;
client.close();
await database.close();
process.send!({ ms, maxRss: peakRss(), result });
process.disconnect();
