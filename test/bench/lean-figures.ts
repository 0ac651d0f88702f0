// One steady eval's requests and Hydra-side queries per route (the simulator's cost model), with
// the full-record path ("today": one /build/:id per new build) and the cheap sources (the
// default): following-hydra.ts's first figure, printed as JSON lines.
//   node --import tsx test/bench/lean-figures.ts [jobs] [single,auto]
import { steadyEval } from './following-hydra.ts';

const jobs = Number(process.argv[2] ?? 20_000);
const modes = (process.argv[3] ?? 'single,auto').split(',') as ('single' | 'auto')[];
for (const mode of modes) console.log(JSON.stringify({ jobsPerEval: jobs, ...(await steadyEval(jobs, mode)) }));
