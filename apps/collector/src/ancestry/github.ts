// The GitHub REST side of issue 9: commit ancestry through the compare API and pull requests
// through the pulls API (ECOSYSTEM-FORMATS.md, "GitHub REST"). One request helper owns the
// rate limits: an exhausted primary limit waits for its reset when that is near, a secondary
// limit honours retry-after, and anything longer becomes an Upstream error saying when.

import { NotFound, Unprocessable, Upstream } from '../errors.ts';
import type { AncestryOracle } from './oracle.ts';

export interface GithubOptions {
  /** `https://api.github.com` or a GitHub Enterprise / test API root. */
  apiUrl: string;
  /** Optional: anonymous requests get 60 an hour, a token 5000. */
  token?: string | null;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Longest wait for a rate limit to clear before giving up with Upstream (default 60 s). */
  maxWaitMs?: number;
  /** Injected by tests to observe waits without taking them. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
}

const RETRIES = 4;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface GithubAnswer {
  status: number;
  body: unknown;
}

/**
 * GET `path` on the GitHub API. Answers 2xx, 404 and 422 to the caller (they carry meaning);
 * waits out short rate limits and retries 5xx; everything else is Upstream with context.
 */
export async function githubGet(opts: GithubOptions, path: string, what: string, unreachableHint?: string): Promise<GithubAnswer> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const maxWait = opts.maxWaitMs ?? 60_000;
  const url = `${opts.apiUrl.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': opts.userAgent ?? 'zhf (+https://github.com/zhf-nix/zhf)',
  };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    } catch (err) {
      if (attempt < RETRIES - 1) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      throw new Upstream(`GitHub API unreachable for ${what} (${url}): ${(err as Error).message}${unreachableHint ? `. ${unreachableHint}` : ''}`);
    }
    const body = await readJson(res);
    if (res.ok || res.status === 404 || res.status === 422) return { status: res.status, body };
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : '';
    if (res.status === 401) throw new Upstream(`GitHub rejected the token (ZHF_GITHUB_TOKEN) for ${what}: ${message || '401'}`);
    if (res.status === 403 || res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      const remaining = res.headers.get('x-ratelimit-remaining');
      if (/secondary rate limit/i.test(message) || (res.headers.has('retry-after') && Number.isFinite(retryAfter))) {
        // Secondary limit: retry-after when given, else a minute, doubling.
        const wait = Number.isFinite(retryAfter) && res.headers.has('retry-after') ? retryAfter * 1000 : 60_000 * 2 ** attempt;
        if (wait <= maxWait && attempt < RETRIES - 1) {
          await sleep(wait);
          continue;
        }
        throw new Upstream(`GitHub secondary rate limit for ${what}; retry after ${new Date(now() + wait).toISOString()}`);
      }
      if (remaining === '0') {
        const reset = Number(res.headers.get('x-ratelimit-reset')) * 1000;
        const resetAt = Number.isFinite(reset) && reset > 0 ? reset : now() + 3_600_000;
        const wait = Math.max(0, resetAt - now()) + 500;
        if (wait <= maxWait && attempt < RETRIES - 1) {
          await sleep(wait);
          continue;
        }
        const limit = res.headers.get('x-ratelimit-limit') ?? '?';
        const hint = opts.token ? '' : '; set ZHF_GITHUB_TOKEN for 5000 requests an hour';
        throw new Upstream(`GitHub API rate limit (${limit} an hour) exhausted for ${what}; it resets at ${new Date(resetAt).toISOString()}${hint}`);
      }
      throw new Upstream(`GitHub refused ${what}: ${res.status} ${message}`.trim());
    }
    if (res.status >= 500 && attempt < RETRIES - 1) {
      await sleep(250 * 2 ** attempt);
      continue;
    }
    throw new Upstream(`GitHub answered ${res.status} for ${what}${message ? `: ${message}` : ''}`);
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export interface GithubOracleOptions extends GithubOptions {
  /** `owner/name` (default NixOS/nixpkgs). */
  repo?: string;
  /** Answers kept in memory (default 50 000). */
  cacheSize?: number;
}

const SHA = /^[0-9a-f]{4,40}$/i;

/**
 * Ancestry through `GET /repos/{repo}/compare/{of}...{commit}`: `behind` or `identical`
 * means `commit` is in `of`. 404 (or 422, an unresolvable ref) means unknown. Answers are cached
 * and in-flight questions shared, so a binary search repeated for another commit is cheap.
 */
export function githubOracle(opts: GithubOracleOptions): AncestryOracle & { stats: { requests: number; cacheHits: number } } {
  const repo = opts.repo ?? 'NixOS/nixpkgs';
  const cacheSize = opts.cacheSize ?? 50_000;
  const cache = new Map<string, Promise<boolean | null>>();
  const stats = { requests: 0, cacheHits: 0 };
  return {
    name: 'github',
    stats,
    async isAncestor(commit, of) {
      if (!SHA.test(commit) || !SHA.test(of)) return null;
      const key = `${of.toLowerCase()}...${commit.toLowerCase()}`;
      const hit = cache.get(key);
      if (hit) {
        stats.cacheHits++;
        return hit;
      }
      const answer = (async () => {
        stats.requests++;
        const r = await githubGet(opts, `/repos/${repo}/compare/${of}...${commit}`, `compare ${short(of)}...${short(commit)} in ${repo}`, COMPARE_UNREACHABLE);
        if (r.status === 404 || r.status === 422) return null;
        const status = (r.body as { status?: unknown } | null)?.status;
        if (status === 'behind' || status === 'identical') return true;
        if (status === 'ahead' || status === 'diverged') return false;
        throw new Upstream(`GitHub compare ${short(of)}...${short(commit)} answered an unknown status ${JSON.stringify(status)}`);
      })();
      cache.set(key, answer);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
      // Failures and unknown commits are not remembered: the commit may be pushed later.
      answer.then((v) => { if (v === null) cache.delete(key); }, () => cache.delete(key));
      return answer;
    },
  };
}

const short = (sha: string) => sha.slice(0, 12);

/** What to configure when GitHub cannot be reached (zhf offline, or behind a firewall). */
export const COMPARE_UNREACHABLE = 'A commit that is one of the jobset\'s eval revisions is answered without GitHub; for any other commit set ZHF_NIXPKGS_GIT to a local nixpkgs clone, or make the GitHub API reachable (ZHF_GITHUB_API_URL; a ZHF_GITHUB_TOKEN raises its limit from 60 to 5000 requests an hour)';
export const PULLS_UNREACHABLE = 'Pull requests are known only to GitHub: make its API reachable (ZHF_GITHUB_API_URL; a ZHF_GITHUB_TOKEN raises its limit from 60 to 5000 requests an hour), or look up its merge commit at /commits/<sha>, which needs no GitHub when it is an eval\'s revision or ZHF_NIXPKGS_GIT is set';

export interface PullRequestInfo {
  number: number;
  title: string | null;
  url: string | null;
  merged: boolean;
  /** The merge commit, only when merged (GitHub's field means a test merge otherwise). */
  mergeCommitSha: string | null;
  baseRef: string;
}

/** `GET /repos/{repo}/pulls/{n}`: 404 is NotFound; an answer from another repository is 422. */
export async function resolvePullRequest(opts: GithubOptions & { repo?: string }, n: number): Promise<PullRequestInfo> {
  const repo = opts.repo ?? 'NixOS/nixpkgs';
  const r = await githubGet(opts, `/repos/${repo}/pulls/${n}`, `pull request #${n} of ${repo}`, PULLS_UNREACHABLE);
  if (r.status === 404) throw new NotFound(`PR #${n} not found in ${repo}`);
  if (r.status === 422) throw new Unprocessable(`PR #${n} is not a pull request of ${repo}`);
  const b = r.body as {
    number?: unknown; title?: unknown; html_url?: unknown; merged?: unknown; merged_at?: unknown; merge_commit_sha?: unknown;
    base?: { ref?: unknown; repo?: { full_name?: unknown } | null };
  } | null;
  if (!b || typeof b.base?.ref !== 'string') throw new Upstream(`GitHub's answer for PR #${n} of ${repo} has no base branch`);
  const fullName = b.base.repo?.full_name;
  if (typeof fullName === 'string' && fullName.toLowerCase() !== repo.toLowerCase()) {
    throw new Unprocessable(`PR #${n} belongs to ${fullName}, not ${repo}`);
  }
  const merged = b.merged === true || (b.merged === undefined && typeof b.merged_at === 'string');
  const sha = typeof b.merge_commit_sha === 'string' && SHA.test(b.merge_commit_sha) ? b.merge_commit_sha : null;
  return {
    number: typeof b.number === 'number' ? b.number : n,
    title: typeof b.title === 'string' ? b.title : null,
    url: typeof b.html_url === 'string' ? b.html_url : null,
    merged,
    mergeCommitSha: merged ? sha : null,
    baseRef: b.base.ref,
  };
}
