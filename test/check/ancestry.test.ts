// Protects "where did a commit land" and "what it broke": a small git repository built here
// supplies the eval revisions of a simulated Hydra history; the GitHub oracle (against a fake
// GitHub API answering from that repository, with rate-limit headers and faults) and the git
// oracle must find the same first eval, in O(log n) questions; pull requests resolve through
// the pulls API; bad input is 4xx.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { firstEvalContaining, githubOracle, gitOracle, resolvePullRequest, type AncestryOracle } from '../../apps/collector/src/ancestry/index.ts';
import { brokenBy, type BrokenByResult } from '../../apps/collector/src/check/index.ts';
import { newJobset } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { serveLocal, type LocalServer } from '../support/http.ts';
import { checkApp, checkConfig, syncNixpkgsOnce } from './support.ts';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const X = 'x86_64-linux';
const UNKNOWN = 'deadbeef'.repeat(5);

// ---- a small nixpkgs: master c0..c15, and a side branch never merged ----
const repo = mkdtempSync(join(tmpdir(), 'zhf-ancestry-'));
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'zhf', GIT_AUTHOR_EMAIL: 'zhf@example.org', GIT_COMMITTER_NAME: 'zhf', GIT_COMMITTER_EMAIL: 'zhf@example.org',
  GIT_CONFIG_NOSYSTEM: '1', HOME: repo,
};
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { env: gitEnv, encoding: 'utf8' }).trim();
git('init', '-q', '-b', 'master');
const c: string[] = [];
for (let i = 0; i < 16; i++) {
  git('commit', '-q', '--allow-empty', '-m', `c${i}`, '--date', `2026-11-0${1 + (i % 8)}T00:00:00Z`);
  c.push(git('rev-parse', 'HEAD'));
}
git('checkout', '-q', '-b', 'feature', c[3]!);
git('commit', '-q', '--allow-empty', '-m', 'f1');
const f1 = git('rev-parse', 'HEAD');
git('checkout', '-q', 'master');
/** Eval i of the jobset is at revision c[2i+1]: seven evals, c14 and c15 not evaluated yet. */
const evalRevs = [1, 3, 5, 7, 9, 11, 13].map((i) => c[i]!);

// ---- a fake GitHub REST API answering from that repository ----
type Fault = { status: number; headers: Record<string, string>; message: string };
class FakeGithub {
  requests: { path: string; auth: string | null }[] = [];
  faults: Fault[] = [];
  remaining = 60;
  url = '';
  private server?: LocalServer;
  readonly pulls: Record<number, unknown> = {
    101: { number: 101, title: 'broke: 1.0 -> 2.0', html_url: 'https://github.com/NixOS/nixpkgs/pull/101', state: 'closed', merged: true, merged_at: '2026-11-03T00:00:00Z', merge_commit_sha: c[6], base: { ref: 'master', sha: c[5], label: 'NixOS:master', repo: { full_name: 'NixOS/nixpkgs' } }, head: { ref: 'broke', sha: c[6], label: 'someone:broke' } },
    102: { number: 102, state: 'open', merged: false, merged_at: null, merge_commit_sha: c[9], base: { ref: 'master', repo: { full_name: 'NixOS/nixpkgs' } }, head: { ref: 'wip' } },
    103: { number: 103, state: 'closed', merged: true, merged_at: '2026-11-03T00:00:00Z', merge_commit_sha: c[6], base: { ref: 'haskell-updates', repo: { full_name: 'NixOS/nixpkgs' } }, head: { ref: 'x' } },
  };

  async start() {
    const app = new Hono();
    app.use('*', async (ctx, next) => {
      this.requests.push({ path: ctx.req.path, auth: ctx.req.header('authorization') ?? null });
      const fault = this.faults.shift();
      if (fault) return ctx.json({ message: fault.message, documentation_url: 'https://docs.github.com/rest' }, fault.status as 403, fault.headers);
      await next();
      this.remaining = Math.max(0, this.remaining - 1);
      ctx.header('x-ratelimit-limit', '60');
      ctx.header('x-ratelimit-remaining', String(this.remaining));
      ctx.header('x-ratelimit-used', String(60 - this.remaining));
      ctx.header('x-ratelimit-reset', String(Math.floor(Date.now() / 1000) + 3600));
      ctx.header('x-ratelimit-resource', 'core');
    });
    const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
    app.get('/repos/NixOS/nixpkgs/compare/:spec', (ctx) => {
      const [base, head] = ctx.req.param('spec').split('...');
      const resolve = (rev: string | undefined) => {
        try {
          return /^[0-9a-f]{4,40}$/.test(rev ?? '') ? git('rev-parse', '--verify', '-q', `${rev}^{commit}`) : null;
        } catch {
          return null;
        }
      };
      const b = resolve(base);
      const h = resolve(head);
      if (!b || !h) return ctx.json(notFound, 404);
      const isAnc = (x: string, y: string) => {
        try {
          git('merge-base', '--is-ancestor', x, y);
          return true;
        } catch {
          return false;
        }
      };
      const status = b === h ? 'identical' : isAnc(h, b) ? 'behind' : isAnc(b, h) ? 'ahead' : 'diverged';
      return ctx.json({ status, ahead_by: 0, behind_by: 0, total_commits: 0, commits: [], base_commit: { sha: b }, merge_base_commit: { sha: b }, html_url: `https://github.com/NixOS/nixpkgs/compare/${base}...${head}` });
    });
    app.get('/repos/NixOS/nixpkgs/pulls/:n', (ctx) => {
      const pr = this.pulls[Number(ctx.req.param('n'))];
      return pr ? ctx.json(pr) : ctx.json(notFound, 404);
    });
    app.notFound((ctx) => ctx.json(notFound, 404));
    this.server = await serveLocal(app.fetch);
    this.url = this.server.url;
  }

  close() {
    return this.server?.close() ?? Promise.resolve();
  }
}

const gh = new FakeGithub();
beforeAll(() => gh.start());
afterAll(async () => {
  await gh.close();
  rmSync(repo, { recursive: true, force: true });
});

describeEachDriver('ancestry: where a commit landed and what it broke', (get) => {
  const evals: { id: number; revision: string }[] = [];
  const appFor = (over: Parameters<typeof checkConfig>[0] = {}) => checkApp(get(), checkConfig({ githubApiUrl: gh.url, ...over }));

  beforeAll(async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'nixpkgs');
    for (let i = 0; i < evalRevs.length; i++) {
      // A new marker build each eval: Hydra lists evals without new builds differently, and the collector skips them.
      const jobs: Record<string, 'success' | 'failure' | 'reuse'> = { [`stable.${X}`]: i ? 'reuse' : 'success', [`marker.${X}`]: 'success' };
      for (const name of ['broke', 'other']) jobs[`${name}.${X}`] = i === 0 ? 'success' : i === 3 ? 'failure' : 'reuse';
      if (i >= 3) jobs[`newpkg.${X}`] = i === 3 ? 'failure' : 'reuse';
      jobs[`late.${X}`] = i === 0 ? 'success' : i === 5 ? 'failure' : 'reuse';
      evals.push(sim.eval(js, { revision: evalRevs[i]!, jobs }));
      sim.advance(3600);
    }
    const report = await syncNixpkgsOnce(database, sim);
    expect(report.newEvals).toHaveLength(evalRevs.length);
  });

  it('finds the same first eval with the GitHub oracle and the git oracle, in O(log n) questions', async () => {
    const github = githubOracle({ apiUrl: gh.url });
    const local = gitOracle(repo);
    const cases: [string, string, number | null][] = [
      ['c0, older than every eval', c[0]!, 0], ['c1, the first eval', c[1]!, 0], ['c2', c[2]!, 1], ['c6', c[6]!, 3],
      ['c7, an eval revision', c[7]!, 3], ['c13, the newest', c[13]!, 6], ['c14, not evaluated yet', c[14]!, null],
      ['f1, never merged', f1, null], ['c6 abbreviated', c[6]!.slice(0, 10), 3],
    ];
    for (const [what, sha, want] of cases) {
      const before = github.stats.requests;
      const viaGithub = await firstEvalContaining(get().db, github, 'nixpkgs/unstable', sha);
      const viaGit = await firstEvalContaining(get().db, local, 'nixpkgs/unstable', sha);
      expect({ what, id: viaGithub?.id ?? null }).toEqual({ what, id: want === null ? null : evals[want]!.id });
      expect({ what, id: viaGit?.id ?? null }).toEqual({ what, id: viaGithub?.id ?? null });
      expect(github.stats.requests - before, what).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(evals.length)));
      if (viaGithub) expect(viaGithub.revision).toBe(evals[want!]!.revision);
    }
    // Answers are cached: asking again costs no request.
    const before = github.stats.requests;
    expect((await firstEvalContaining(get().db, github, 'nixpkgs/unstable', c[6]!))?.id).toBe(evals[3]!.id);
    expect(github.stats.requests).toBe(before);
  });

  it('calls an unknown commit unknown, on both oracles', async () => {
    for (const oracle of [githubOracle({ apiUrl: gh.url }), gitOracle(repo)] as AncestryOracle[]) {
      await expect(firstEvalContaining(get().db, oracle, 'nixpkgs/unstable', UNKNOWN)).rejects.toMatchObject({ status: 404, message: expect.stringContaining('unknown commit') });
    }
    await expect(firstEvalContaining(get().db, gitOracle(repo), 'nixpkgs/nope', c[6]!)).rejects.toMatchObject({ status: 404 });
  });

  it('waits out a short rate limit and a secondary limit, and names the reset time of a long one', async () => {
    const waits: number[] = [];
    const oracle = githubOracle({ apiUrl: gh.url, sleep: async (ms) => void waits.push(ms) });
    const reset = (s: number) => String(Math.floor(Date.now() / 1000) + s);
    gh.faults.push({ status: 403, message: 'API rate limit exceeded for 127.0.0.1.', headers: { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '60', 'x-ratelimit-reset': reset(2) } });
    expect(await oracle.isAncestor(c[2]!, c[5]!)).toBe(true);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(500);
    expect(waits[0]).toBeLessThanOrEqual(3500);

    gh.faults.push({ status: 403, message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', headers: { 'retry-after': '3' } });
    expect(await oracle.isAncestor(c[9]!, c[5]!)).toBe(false);
    expect(waits[1]).toBe(3000);

    gh.faults.push({ status: 429, message: 'API rate limit exceeded', headers: { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset(3600) } });
    const err = await oracle.isAncestor(c[3]!, c[5]!).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream' });
    expect((err as Error).message).toMatch(/rate limit \(60 an hour\) exhausted .* resets at \d{4}-\d\d-\d\dT.*ZHF_GITHUB_TOKEN/);
    expect(waits).toHaveLength(2);
    // The failure is not cached: the same question succeeds once the limit has cleared.
    expect(await oracle.isAncestor(c[3]!, c[5]!)).toBe(true);

    // Through the API the exhausted limit is a 502 naming when, not a 500.
    gh.faults.push({ status: 429, message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset(3600) } });
    const res = await appFor().request(`/api/commits/${c[4]}`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/resets at/);
  });

  it('GET /api/commits/:sha: the first eval and what the commit broke there, on either oracle', async () => {
    for (const [name, app] of [['github', appFor()], ['git', appFor({ nixpkgsGit: repo })]] as const) {
      const res = await app.request(`/api/commits/${c[6]}`);
      expect(res.status, name).toBe(200);
      const body = (await res.json()) as { oracle: string; landed: { evalId: number; revision: string } | null; brokenBy: BrokenByResult };
      expect(body.oracle).toBe(name);
      expect(body.landed).toMatchObject({ evalId: evals[3]!.id, revision: c[7] });
      expect(body.brokenBy.failures.map((f) => [f.job, f.category])).toEqual([
        [`broke.${X}`, 'new_failure'], [`newpkg.${X}`, 'new_job_failing'], [`other.${X}`, 'new_failure'],
      ]);
      const broke = body.brokenBy.failures[0]!;
      expect(broke.range).toMatchObject({ from: c[5], to: c[7] });
      expect(broke.breakage).toMatchObject({ state: 'open', claim: null });
      expect(body.brokenBy.failures[1]!.range).toMatchObject({ from: c[5], to: c[7] });

      const later = await app.request(`/api/commits/${c[14]}`);
      expect(await later.json()).toMatchObject({ landed: null, brokenBy: null, newestEvalId: evals[6]!.id });
      const unknown = await app.request(`/api/commits/${UNKNOWN}`);
      expect(unknown.status, name).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringContaining(`unknown commit ${UNKNOWN}`) } });
    }
  });

  it('brokenBy leaves out new failures whose last good revision already had the commit', async () => {
    // In eval 5 (c11) late.x86_64-linux fails for the first time; its baseline (c9) already contains c6.
    const r = await brokenBy(get().db, { evalId: evals[5]!.id, sha: c[6]!, oracle: gitOracle(repo) });
    expect(r).toMatchObject({ total: 0, excluded: 1 });
    // Told where c6 first landed, it trusts eval order for earlier baselines and asks nothing about them.
    const asked: string[] = [];
    const spy: AncestryOracle = { isAncestor: async (commit, of) => (asked.push(of), gitOracle(repo).isAncestor(commit, of)) };
    const r2 = await brokenBy(get().db, { evalId: evals[5]!.id, sha: c[6]!, oracle: spy, firstContainingEvalId: evals[3]!.id });
    expect(r2).toMatchObject({ total: 0, excluded: 1 });
    expect(asked).toEqual([c[9]]);
    asked.length = 0;
    const r3 = await brokenBy(get().db, { evalId: evals[3]!.id, sha: c[6]!, oracle: spy, firstContainingEvalId: evals[3]!.id });
    expect(r3.total).toBe(3);
    expect(asked).toEqual([]);
    const byC10 = await brokenBy(get().db, { evalId: evals[5]!.id, sha: c[10]!, oracle: gitOracle(repo) });
    expect(byC10.failures.map((f) => f.job)).toEqual([`late.${X}`]);
  });

  it('/api/prs/:number: merge commit, base branch, changed-paths narrowing, and clear refusals', async () => {
    const app = appFor({ token: 'ghp_test' });
    gh.requests.length = 0;
    const res = await app.request('/api/prs/101');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { pr: { number: number; baseRef: string; mergeCommitSha: string }; jobset: string; landed: { evalId: number }; brokenBy: BrokenByResult };
    expect(body.pr).toMatchObject({ number: 101, merged: true, baseRef: 'master', mergeCommitSha: c[6] });
    expect(body).toMatchObject({ jobset: 'nixpkgs/unstable', landed: { evalId: evals[3]!.id } });
    expect(body.brokenBy.total).toBe(3);
    expect(gh.requests.find((r) => r.path.endsWith('/pulls/101'))?.auth).toBe('Bearer ghp_test');

    const changedPaths = { attrdiff: { added: ['newpkg'], changed: ['broke'], removed: [] }, rebuildsByPlatform: { [X]: ['broke', 'stable'] }, labels: { '10.rebuild-linux: 1-10': true } };
    const narrowed = await app.request('/api/prs/101', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ changedPaths }) });
    expect(narrowed.status).toBe(200);
    const nb = (await narrowed.json()) as { brokenBy: BrokenByResult };
    expect(nb.brokenBy.failures.map((f) => f.job)).toEqual([`broke.${X}`]);
    expect(nb.brokenBy.narrowed).toEqual({ source: 'rebuildsByPlatform', before: 3, after: 1 });

    const refusals: [string, Response | Promise<Response>, number, RegExp][] = [
      ['not merged', app.request('/api/prs/102'), 409, /PR #102 is not merged/],
      ['an untracked base branch', app.request('/api/prs/103'), 422, /no tracked jobset follows haskell-updates/],
      ['no such PR', app.request('/api/prs/999'), 404, /PR #999 not found/],
      ['a jobset not following master', app.request('/api/prs/101?jobset=nixpkgs/staging-next'), 422, /not tracked|does not follow/],
      ['a malformed changed-paths.json', app.request('/api/prs/101', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ changedPaths: { foo: 1 } }) }), 400, /changed-paths\.json/],
      ['a body that is not JSON', app.request('/api/prs/101', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }), 400, /not valid JSON/],
    ];
    for (const [what, pending, status, message] of refusals) {
      const r = await pending;
      expect({ what, status: r.status }).toEqual({ what, status });
      expect(((await r.json()) as { error: { message: string } }).error.message, what).toMatch(message);
    }
    await expect(resolvePullRequest({ apiUrl: gh.url }, 102)).resolves.toMatchObject({ merged: false, mergeCommitSha: null });
  });
});
