/**
 * The benchmark's simulated Hydra, in its own process so the collector's memory and CPU are
 * measured apart from the server's. argv[2] is a JSON of GeneratorOptions. Messages:
 * in `{ setClock: t }` / `{ counters: true }` / `'stop'`; out `{ ready }`, `{ clock }`, `{ counters }`.
 */
import { GeneratedHydra, startHydraSim, type GeneratorOptions } from '../hydra-sim/index.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as GeneratorOptions;
const gen = new GeneratedHydra(opts);
// Key shuffling only tests clients' parsing; here it would cost the simulator a third of its serving time.
const sim = await startHydraSim(gen, { rateLimit: false, shuffleKeys: false });
const stagingName = opts.staging ? (opts.staging.name ?? 'staging-next') : null;
const evalsOf = (jobset: string) =>
  gen.groundTruth.allEvalIds(jobset).map((id: number) => ({ id, timestamp: gen.groundTruth.evalTimestamp(id) }));
process.send!({
  ready: true,
  url: sim.url,
  main: evalsOf(opts.jobset ?? 'unstable'),
  staging: stagingName ? evalsOf(stagingName) : [],
});
process.on('message', async (m: unknown) => {
  if (m === 'stop') {
    await sim.close();
    process.exit(0);
  }
  const msg = m as { setClock?: number; counters?: boolean };
  if (msg.setClock !== undefined) {
    gen.setClock(msg.setClock);
    process.send!({ clock: msg.setClock });
  }
  if (msg.counters) process.send!({ counters: sim.counters.snapshot() });
});
