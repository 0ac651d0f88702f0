// Which tracked jobsets follow a nixpkgs branch: where a pull request merged into that branch lands.

import { Unprocessable } from '../errors.ts';

/** Jobsets that evaluate `branch`, most specific first. */
export function jobsetsFollowing(branch: string): string[] {
  if (branch === 'master') return ['nixpkgs/unstable', 'nixos/unstable'];
  if (branch === 'staging-next') return ['nixpkgs/staging-next'];
  let m = /^release-(\d\d\.\d\d)$/.exec(branch);
  if (m) return [`nixos/release-${m[1]}`];
  m = /^staging-next-(\d\d\.\d\d)$/.exec(branch);
  if (m) return [`nixpkgs/staging-next-${m[1]}`];
  return [];
}

/**
 * The jobset to search for a pull request merged into `branch`: `requested` when it follows the
 * branch and is tracked, else the first tracked jobset that follows it; 422 when none does.
 */
export function jobsetForBranch(branch: string, tracked: readonly string[], requested?: string): string {
  const following = jobsetsFollowing(branch);
  if (requested !== undefined) {
    if (!tracked.includes(requested)) throw new Unprocessable(`jobset ${requested} is not tracked`);
    if (!following.includes(requested)) throw new Unprocessable(`jobset ${requested} does not follow branch ${branch}`);
    return requested;
  }
  const hit = following.find((j) => tracked.includes(j));
  if (!hit) throw new Unprocessable(`no tracked jobset follows ${branch}`);
  return hit;
}
