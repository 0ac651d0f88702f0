import { GeneratedHydra, startGithubSim, startHydraSim, type SimulatedGithub } from '@zhf/sim';
import type { Logger } from '@zhf/collector/log';

/**
 * The demo's seeded nixpkgs-like history, ending `endInSec` after `now`: later evals appear as
 * the clock reaches them. Exported for the tests that reproduce the demo at a smaller size.
 */
export function demoHistory(opts: { jobs?: number; evals?: number; now?: number; endInSec?: number } = {}): GeneratedHydra {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  return new GeneratedHydra({
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
    end: now + (opts.endInSec ?? 12 * 3600),
    now,
    staging: { name: 'staging-next', evals: 3 },
  });
}

/** A merged pull request of master that landed in an eval, and its merge commit: something to look up. */
export function demoLookupExample(github: SimulatedGithub): { pr: number; commit: string } | null {
  const landed = github.pulls().filter((p) => p.merged && p.baseRef === 'master' && p.firstEvalId !== null && !p.mergeIsEvalRevision);
  const p = landed[Math.floor(landed.length / 2)];
  return p ? { pr: p.number, commit: p.mergeCommitSha } : null;
}

/**
 * The built-in simulated Hydra of `zhf demo`: the demo history on a clock that follows real
 * time, so pending builds finish and a new eval appears every few hours while the demo runs. It
 * enforces hydra.nixos.org's request limits, so the demo exercises the same polite client as
 * production. Beside it a simulated GitHub whose nixpkgs history is those evals' revisions, with
 * pull requests merged between them, answers the commit and PR lookups.
 */
export async function startDemoHydra(log: Logger, opts: { jobs?: number; evals?: number } = {}) {
  const hydra = demoHistory(opts);
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
    /** What to try on the commit and PR pages once the history is ingested. */
    lookupExample: () => demoLookupExample(github.model),
    async close() {
      clearInterval(timer);
      await github.close();
      await sim.close();
    },
  };
}
