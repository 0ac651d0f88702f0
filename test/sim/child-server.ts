/**
 * Runs a generated Hydra in its own process so a test can measure the server's memory honestly.
 * argv: jobsPerEval evals. Sends { url, evalId } once listening, then { mem } samples every 50 ms.
 */
import { GeneratedHydra } from '@zhf/sim';
import { startHydraSim } from '@zhf/sim';

const jobs = Number(process.argv[2] ?? 250_000);
const evals = Number(process.argv[3] ?? 2);
const gen = new GeneratedHydra({ jobsPerEval: jobs, evals, massRebuilds: [], seed: 7 });
const sim = await startHydraSim(gen, { rateLimit: false });
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const evalId = gen.evalIds('nixpkgs', 'unstable')[0];
process.send!({ url: sim.url, evalId, buildCount: gen.getEval(evalId)!.buildCount });
const timer = setInterval(() => process.send!({ mem: process.memoryUsage() }), 50);
process.on('message', async (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    await sim.close();
    process.exit(0);
  }
});
