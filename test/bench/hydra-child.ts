/**
 * The benchmark's simulated Hydra, in its own process so the collector's memory and CPU are
 * measured apart from the server's. argv[2] is a JSON of GeneratorOptions. Messages:
 * in `{ setClock: t }` / `{ counters: true }` / `{ prerender: evalId }` / `'stop'`;
 * out `{ ready }`, `{ clock }`, `{ counters }`, `{ prerendered: bytes }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createHydraSimApp, GeneratedHydra, type GeneratorOptions } from '@zhf/sim';

const opts = JSON.parse(process.argv[2] ?? '{}') as GeneratorOptions;
const gen = new GeneratedHydra(opts);
// Keys stay shuffled as Hydra's Perl hashes shuffle them: that is what the client parses.
const sim = createHydraSimApp(gen, { rateLimit: false });
// A pre-rendered bulk list is served from memory, so a measured ingest is the collector's
// time, not the simulator's JSON generation (real Hydra's cost is its own, and larger).
const prerendered = new Map<string, Buffer>();
const listener = getRequestListener(async (req) => {
  const body = prerendered.get(new URL(req.url).pathname);
  if (body) return new Response(new Uint8Array(body), { headers: { 'content-type': 'application/json; charset=utf-8' } });
  return sim.app.fetch(req);
});
const server = createServer(listener);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const stagingName = opts.staging ? (opts.staging.name ?? 'staging-next') : null;
const evalsOf = (jobset: string) => gen.groundTruth.allEvalIds(jobset).map((id: number) => ({ id, timestamp: gen.groundTruth.evalTimestamp(id) }));
process.send!({ ready: true, url, main: evalsOf(opts.jobset ?? 'unstable'), staging: stagingName ? evalsOf(stagingName) : [] });
process.on('message', async (m: unknown) => {
  if (m === 'stop') {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  }
  const msg = m as { setClock?: number; counters?: boolean; prerender?: number };
  if (msg.setClock !== undefined) {
    gen.setClock(msg.setClock);
    process.send!({ clock: msg.setClock });
  }
  if (msg.counters) process.send!({ counters: sim.counters.snapshot() });
  if (msg.prerender !== undefined) {
    const path = `/eval/${msg.prerender}/builds`;
    const res = await sim.app.request(path, { headers: { accept: 'application/json' } });
    const body = Buffer.from(await res.arrayBuffer());
    prerendered.set(path, body);
    process.send!({ prerendered: body.length });
  }
});
