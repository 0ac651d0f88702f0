import { GeneratedHydra, startGithubSim, startHydraSim } from '@zhf/sim';
import type { Logger } from '@zhf/collector/log';

/**
 * The built-in simulated Hydra of `zhf demo`: a seeded nixpkgs-like history whose newest
 * evals are still building, on a clock that follows real time, so pending builds finish and
 * a new eval appears every few hours while the demo runs. It enforces hydra.nixos.org's
 * request limits, so the demo exercises the same polite client as production. Beside it a
 * simulated GitHub whose nixpkgs history is those evals' revisions, with pull requests merged
 * between them, answers the commit and PR lookups.
 */
export async function startDemoHydra(log: Logger, opts: { jobs?: number; evals?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const hydra = new GeneratedHydra({
    seed: 2026,
    jobsPerEval: opts.jobs ?? 4000,
    evals: opts.evals ?? 40,
    // Busier than nixpkgs' real 2%: a demo should show new failures and fixes in every eval.
    churn: 0.05,
    failureRate: 0.05,
    // As on nixpkgs, most red jobs are dependency failures behind a few broken libraries (roots),
    // some through a chain (dep -> dep -> direct).
    dependentFraction: 0.5,
    depChains: true,
    // The history runs until 12 h from now: later evals appear as the clock reaches them.
    end: now + 12 * 3600,
    now,
    staging: { name: 'staging-next', evals: 3 },
  });
  const sim = await startHydraSim(hydra, { rateLimit: { rps: 2, burst: 7 } });
  const github = await startGithubSim(hydra);
  const timer = setInterval(() => hydra.setClock(Math.floor(Date.now() / 1000)), 10_000);
  timer.unref();
  log.debug('demo hydra clock follows real time');
  return {
    url: sim.url,
    /** The simulated GitHub API root (ZHF_GITHUB_API_URL for the demo). */
    githubApiUrl: github.url,
    jobsets: ['nixpkgs/unstable', 'nixpkgs/staging-next'],
    async close() {
      clearInterval(timer);
      await github.close();
      await sim.close();
    },
  };
}
