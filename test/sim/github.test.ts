// Protects the simulated GitHub (apps/sim/src/github.ts): its history is the simulated Hydra's
// eval revisions, in order, with pull requests merged between them; compare answers as git
// itself does on the same commit graph (rebuilt here with `git commit-tree`); pulls answer in
// GitHub's shape (ECOSYSTEM-FORMATS.md) for merged, open, closed and elsewhere-merged pull
// requests; the history grows with the clock without rewriting what was there; rate limits and
// bad tokens answer as GitHub does.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratedHydra, ScriptedHydra, startGithubSim, type RunningGithubSim, type SimCommit } from '@zhf/sim';

const T = Date.UTC(2026, 10, 20) / 1000;
const REPO = '/repos/NixOS/nixpkgs';

interface CompareBody {
  status: string; ahead_by: number; behind_by: number; total_commits: number;
  commits: { sha: string; parents: { sha: string }[]; commit: { message: string } }[];
  base_commit: { sha: string }; merge_base_commit: { sha: string } | null; html_url: string;
}

describe('simulated GitHub over a generated Hydra history', () => {
  const hydra = new GeneratedHydra({ seed: 3, jobsPerEval: 60, evals: 6, end: T, now: T, staging: { name: 'staging-next', evals: 2 } });
  let gh: RunningGithubSim;
  const get = async <B = unknown>(path: string, init?: RequestInit) => {
    const res = await fetch(`${gh.url}${path}`, init);
    return { status: res.status, headers: res.headers, body: (await res.json()) as B };
  };
  const evalsOf = (jobset: string) => hydra.evalIds('nixpkgs', jobset).slice().reverse().map((id) => hydra.getEval(id)!);

  beforeAll(async () => {
    gh = await startGithubSim(hydra, { prsPerGap: 3 });
  });
  afterAll(() => gh?.close());

  it('makes every eval revision a commit of its branch, in eval order', async () => {
    for (const [jobset, branch] of [['unstable', 'master'], ['staging-next', 'staging-next']] as const) {
      const evals = evalsOf(jobset);
      expect(evals.length, jobset).toBeGreaterThan(1);
      for (const e of evals) expect(gh.model.resolve(e.inputs.nixpkgs.revision!), `${jobset} eval ${e.id}`).toMatchObject({ evalId: e.id, branch });
      for (let k = 1; k < evals.length; k++) {
        const r = await get<CompareBody>(`${REPO}/compare/${evals[k - 1]!.inputs.nixpkgs.revision}...${evals[k]!.inputs.nixpkgs.revision}`);
        expect(r.status).toBe(200);
        // Three pull requests in between: three heads and three merges, the last merge being the eval's revision.
        expect(r.body).toMatchObject({ status: 'ahead', ahead_by: 6, behind_by: 0, total_commits: 6 });
        expect(r.body.commits.at(-1)!.sha).toBe(evals[k]!.inputs.nixpkgs.revision);
        const back = await get<CompareBody>(`${REPO}/compare/${evals[k]!.inputs.nixpkgs.revision}...${evals[k - 1]!.inputs.nixpkgs.revision}`);
        expect(back.body).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 6, commits: [] });
      }
    }
    // staging-next branched from the master eval just before its first eval.
    const firstStaging = evalsOf('staging-next')[0]!;
    const fork = evalsOf('unstable').filter((e) => e.timestamp <= firstStaging.timestamp).at(-1)!;
    const r = await get<CompareBody>(`${REPO}/compare/${evalsOf('unstable').at(-1)!.inputs.nixpkgs.revision}...${evalsOf('staging-next').at(-1)!.inputs.nixpkgs.revision}`);
    expect(r.body.status).toBe('diverged');
    expect(r.body.merge_base_commit?.sha).toBe(fork.inputs.nixpkgs.revision);
  });

  it('answers compare as git does on the same commit graph', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zhf-ghsim-'));
    try {
      const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, GIT_AUTHOR_NAME: 'sim', GIT_AUTHOR_EMAIL: 's@x', GIT_COMMITTER_NAME: 'sim', GIT_COMMITTER_EMAIL: 's@x' };
      const git = (args: string[], input?: string) => execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8', input }).trim();
      git(['init', '-q']);
      const tree = git(['hash-object', '-t', 'tree', '-w', '--stdin'], '');
      const toGit = new Map<string, string>();
      const commits = gh.model.commits();
      for (const c of commits) {
        toGit.set(c.sha, git(['commit-tree', tree, ...c.parents.flatMap((p) => ['-p', toGit.get(p)!]), '-m', c.sha]));
      }
      // Every eval revision, the tips of pull-request branches and test merges: all four statuses occur.
      const sample: SimCommit[] = commits.filter((c, i) => c.evalId !== null || i % 7 === 0);
      const seen = new Set<string>();
      for (const base of sample) for (const head of sample) {
        const r = await get<CompareBody>(`${REPO}/compare/${base.sha}...${head.sha}`);
        // `<` lines: only in base; `>` lines: only in head.
        const sides = git(['rev-list', '--left-right', `${toGit.get(base.sha)}...${toGit.get(head.sha)}`]).split('\n').filter(Boolean);
        const headOnly = sides.filter((l) => l.startsWith('>')).map((l) => l.slice(1));
        const ahead = headOnly.length;
        const behind = sides.length - ahead;
        const status = base.sha === head.sha ? 'identical' : ahead === 0 ? 'behind' : behind === 0 ? 'ahead' : 'diverged';
        const mergeBase = git(['merge-base', toGit.get(base.sha)!, toGit.get(head.sha)!]);
        expect({ pair: `${base.sha.slice(0, 8)}...${head.sha.slice(0, 8)}`, status: r.body.status, ahead: r.body.ahead_by, behind: r.body.behind_by, mergeBase: toGit.get(r.body.merge_base_commit!.sha) })
          .toEqual({ pair: `${base.sha.slice(0, 8)}...${head.sha.slice(0, 8)}`, status, ahead, behind, mergeBase });
        // The listed commits are head's and not base's, oldest first.
        const listed = r.body.commits.map((x) => toGit.get(x.sha)!);
        expect(listed.slice().sort()).toEqual(headOnly.sort());
        seen.add(status);
      }
      expect([...seen].sort()).toEqual(['ahead', 'behind', 'diverged', 'identical']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves abbreviations and branch names, and answers 404 as GitHub does', async () => {
    const [a, b] = evalsOf('unstable').map((e) => e.inputs.nixpkgs.revision!);
    const short = await get<CompareBody>(`${REPO}/compare/${a!.slice(0, 7)}...${b!.slice(0, 10)}`);
    expect(short.body).toMatchObject({ status: 'ahead', base_commit: { sha: a }, html_url: `https://github.com/NixOS/nixpkgs/compare/${a!.slice(0, 7)}...${b!.slice(0, 10)}` });
    const branch = await get<CompareBody>(`${REPO}/compare/${a}...master`);
    expect(branch.body).toMatchObject({ status: 'ahead' });
    for (const path of [`${REPO}/compare/${'deadbeef'.repeat(5)}...${a}`, `${REPO}/compare/${a}..${b}`, `/repos/NixOS/nix/compare/${a}...${b}`, `${REPO}/pulls/1`, `${REPO}/nothing`]) {
      const r = await get<{ message: string }>(path);
      expect({ path, status: r.status, message: r.body.message }).toEqual({ path, status: 404, message: 'Not Found' });
    }
    // The anonymous primary limit's headers come with every answer.
    expect(short.headers.get('x-ratelimit-limit')).toBe('60');
    expect(Number(short.headers.get('x-ratelimit-remaining'))).toBeLessThan(60);
    expect(Number(short.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });

  it('serves merged pull requests in the shape zhf reads, landing in the eval the model says', async () => {
    const evals = evalsOf('unstable');
    const merged = gh.model.pulls().filter((p) => p.merged && p.baseRef === 'master');
    expect(merged.length).toBeGreaterThanOrEqual(3 * evals.length);
    for (const p of merged) {
      const r = await get<Record<string, any>>(`${REPO}/pulls/${p.number}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        number: p.number, state: 'closed', merged: true, merge_commit_sha: p.mergeCommitSha, title: p.title,
        html_url: `https://github.com/NixOS/nixpkgs/pull/${p.number}`,
        base: { ref: 'master', label: 'NixOS:master', repo: { full_name: 'NixOS/nixpkgs' } }, head: { sha: p.headSha, ref: p.headRef },
      });
      expect(typeof r.body.base.sha).toBe('string');
      const mergedAt = Date.parse(r.body.merged_at) / 1000;
      if (p.firstEvalId === null) {
        // Merged since the newest eval: after it, and not in it.
        expect(mergedAt).toBeGreaterThan(evals.at(-1)!.timestamp);
        expect((await get<CompareBody>(`${REPO}/compare/${evals.at(-1)!.inputs.nixpkgs.revision}...${p.mergeCommitSha}`)).body.status).toBe('ahead');
        continue;
      }
      const k = evals.findIndex((e) => e.id === p.firstEvalId);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(mergedAt).toBeLessThanOrEqual(evals[k]!.timestamp);
      const inIt = await get<CompareBody>(`${REPO}/compare/${evals[k]!.inputs.nixpkgs.revision}...${p.mergeCommitSha}`);
      expect(inIt.body.status).toBe(p.mergeIsEvalRevision ? 'identical' : 'behind');
      if (k > 0) {
        expect(mergedAt).toBeGreaterThan(evals[k - 1]!.timestamp);
        expect((await get<CompareBody>(`${REPO}/compare/${evals[k - 1]!.inputs.nixpkgs.revision}...${p.mergeCommitSha}`)).body.status).toBe('ahead');
      }
    }
    expect(merged.some((p) => p.mergeIsEvalRevision)).toBe(true);
    expect(merged.some((p) => !p.mergeIsEvalRevision && p.firstEvalId !== null)).toBe(true);
    expect(merged.some((p) => p.firstEvalId === null)).toBe(true);
    expect(gh.model.pulls().some((p) => p.merged && p.baseRef === 'staging-next' && p.firstEvalId !== null)).toBe(true);
  });

  it('serves open, closed-unmerged and elsewhere-merged pull requests as GitHub does', async () => {
    const byKind = (pred: (p: ReturnType<typeof gh.model.pulls>[number]) => boolean) => gh.model.pulls().find(pred)!;
    const open = await get<Record<string, any>>(`${REPO}/pulls/${byKind((p) => p.state === 'open').number}`);
    // merge_commit_sha of an unmerged pull request is GitHub's test merge: a commit no branch has.
    expect(open.body).toMatchObject({ state: 'open', merged: false, merged_at: null, closed_at: null, mergeable: true });
    expect(open.body.merge_commit_sha).toMatch(/^[0-9a-f]{40}$/);
    const closed = await get<Record<string, any>>(`${REPO}/pulls/${byKind((p) => p.state === 'closed' && !p.merged).number}`);
    expect(closed.body).toMatchObject({ state: 'closed', merged: false, merged_at: null });
    expect(closed.body.closed_at).toMatch(/Z$/);
    const elsewhere = await get<Record<string, any>>(`${REPO}/pulls/${byKind((p) => p.baseRef === 'haskell-updates').number}`);
    expect(elsewhere.body).toMatchObject({ merged: true, base: { ref: 'haskell-updates', repo: { full_name: 'NixOS/nixpkgs' } } });
    const master = evalsOf('unstable').at(-1)!.inputs.nixpkgs.revision;
    expect((await get<CompareBody>(`${REPO}/compare/${master}...${open.body.merge_commit_sha}`)).body.status).toBe('diverged');
  });
});

describe('simulated GitHub over a scripted history, as the clock moves', () => {
  it('merges pull requests after the newest eval as their time passes, and keeps them when the next eval takes them in', async () => {
    const hydra = new ScriptedHydra({ start: T, firstEvalId: 7_000_000, firstBuildId: 70_000_000 });
    const js = hydra.jobset('nixpkgs', 'unstable');
    const e1 = hydra.eval(js, { jobs: { 'hello.x86_64-linux': 'success' } });
    const gh = await startGithubSim(hydra, { prsPerGap: 4 });
    try {
      const tail = () => gh.model.pulls().filter((p) => p.baseRef === 'master' && p.merged && p.firstEvalId === null);
      expect(tail()).toHaveLength(0);
      hydra.advance(1300);
      expect(tail()).toHaveLength(1);
      hydra.advance(3 * 1200);
      // Never the fourth: its merge is the revision the next eval will check out.
      const before = tail();
      expect(before).toHaveLength(3);
      const e2 = hydra.eval(js, { jobs: { 'hello.x86_64-linux': 'reuse' } });
      const after = gh.model.pulls().filter((p) => before.some((b) => b.number === p.number));
      expect(after.map((p) => [p.number, p.mergeCommitSha, p.mergedAt, p.firstEvalId])).toEqual(before.map((p) => [p.number, p.mergeCommitSha, p.mergedAt, e2.id]));
      const r = await (await fetch(`${gh.url}${REPO}/compare/${hydra.data.getEval(e1.id)!.inputs.nixpkgs.revision}...${hydra.data.getEval(e2.id)!.inputs.nixpkgs.revision}`)).json() as CompareBody;
      expect(r).toMatchObject({ status: 'ahead', ahead_by: 8 });
    } finally {
      await gh.close();
    }
  });

  it('enforces the primary rate limit and refuses unknown tokens when told to', async () => {
    const hydra = new ScriptedHydra({ start: T, firstEvalId: 7_100_000, firstBuildId: 71_000_000 });
    hydra.eval(hydra.jobset('nixpkgs', 'unstable'), { jobs: { 'hello.x86_64-linux': 'success' } });
    const gh = await startGithubSim(hydra, { rateLimit: { anonymous: 2, token: 3 }, tokens: ['ghp_good'] });
    try {
      const ask = (auth?: string) => fetch(`${gh.url}${REPO}/compare/master...master`, auth ? { headers: { authorization: auth } } : {});
      expect((await ask()).status).toBe(200);
      expect((await ask()).status).toBe(200);
      const over = await ask();
      expect(over.status).toBe(403);
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(((await over.json()) as { message: string }).message).toMatch(/API rate limit exceeded/);
      const withToken = await ask('Bearer ghp_good');
      expect(withToken.status).toBe(200);
      expect(withToken.headers.get('x-ratelimit-limit')).toBe('3');
      const bad = await ask('Bearer ghp_bad');
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ message: 'Bad credentials' });
      expect(gh.requests.at(-1)).toMatchObject({ auth: 'Bearer ghp_bad' });
    } finally {
      await gh.close();
    }
  });
});
