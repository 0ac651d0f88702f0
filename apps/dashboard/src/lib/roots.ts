// Root causes as the pages show them (SPEC section 8): where a root's dependents are listed, and
// whether a dependency failure is already covered by someone's claim on its root.
import { buildUrl, jobPath } from './format';
import type { Breakage, RootCause } from './types';

/** The roots view narrowed to one root (any week, claimed or not): its row with its dependents folded under it. */
export function rootViewPath(jobset: string, job: string): string {
  return `/fix?${new URLSearchParams({ week: 'all', claimed: 'all', jobset, q: job })}`;
}

/** The root whose claim covers this open, unclaimed dependency failure, or null. */
export function coveringRoot(b: Pick<Breakage, 'state' | 'claim' | 'rootCause'>): (RootCause & { claimedBy: string }) | null {
  const rc = b.rootCause;
  return b.state === 'open' && !b.claim && rc?.claimedBy ? { ...rc, claimedBy: rc.claimedBy } : null;
}

export const jobsWord = (n: number) => (n === 1 ? 'job' : 'jobs');

/** A job's name without its system suffix (`openssl.x86_64-linux` -> `openssl`), where space is short. */
export function packageOf(job: string, system: string): string {
  return job.endsWith(`.${system}`) && job.length > system.length + 1 ? job.slice(0, -system.length - 1) : job;
}

/** Where a root cause links: its job page when zhf tracks its job, else its build on Hydra. */
export function rootHref(rc: RootCause, hydraUrl: string): string {
  return rc.breakageId === null ? buildUrl(hydraUrl, rc.buildId) : jobPath(rc.jobset, rc.job);
}
