// Commit ancestry (issue 9): the pluggable oracle, its GitHub and git backends, the eval search
// and pull-request resolution.
export type { AncestryOracle } from './oracle.ts';
export { githubOracle, githubGet, resolvePullRequest, type GithubOptions, type GithubOracleOptions, type PullRequestInfo } from './github.ts';
export { gitOracle } from './git.ts';
export { evalOrderOracle, type EvalOrderOracle } from './eval-order.ts';
export { firstEvalContaining, jobsetOrThrow, landingOf, type FirstEval } from './first-eval.ts';
export { jobsetsFollowing, jobsetForBranch } from './branches.ts';
export { NotMerged, UnknownCommit, Unprocessable } from '../errors.ts';

import { gitOracle } from './git.ts';
import { githubOracle } from './github.ts';
import type { AncestryOracle } from './oracle.ts';

/** The oracle the configuration asks for: a local clone when ZHF_NIXPKGS_GIT is set, else GitHub. */
export function oracleFromConfig(
  config: { nixpkgsGit?: string | null; github: { token: string | null; apiUrl: string } },
  fetchImpl?: typeof fetch,
): AncestryOracle {
  if (config.nixpkgsGit) return gitOracle(config.nixpkgsGit);
  return githubOracle({ apiUrl: config.github.apiUrl, token: config.github.token, fetch: fetchImpl });
}
