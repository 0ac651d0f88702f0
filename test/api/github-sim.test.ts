// Protects the commit and PR lookups (`/api/commits/:sha`, `/api/prs/:number`) against the
// simulated GitHub the demo runs, over real HTTP both ways (zhf's API served on a port,
// ZHF_GITHUB_API_URL pointing at the simulation): they land where the simulation's ground truth
// says, for merge commits, pull-request branch commits and pull requests into master and
// staging-next, and refuse the rest. Offline (GitHub unreachable) a commit that is an eval's own
// revision is still answered, from the evals alone; any other lookup is a 502 that says what to
// configure.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { GeneratedHydra, startGithubSim, type RunningGithubSim, type SimPull } from '@zhf/sim';
import { createApp } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { mountExtraRoutes, UPLOAD_PATHS } from '../../apps/dashboard/src/lib/server/api/extra.ts';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { serveLocal, type LocalServer } from '../support/http.ts';
import { testConfig } from './support.ts';

const T = Date.UTC(2026, 10, 20) / 1000;
const JOBSETS = ['nixpkgs/unstable', 'nixpkgs/staging-next'];

interface LandingBody {
  sha: string; jobset: string; oracle: string; newestEvalId: number | null;
  landed: { evalId: number; revision: string; oracleCalls: number } | null;
  brokenBy: { eval: { id: number }; total: number; excluded: number; failures: { job: string; category: string }[] } | null;
  pr?: { number: number; merged: boolean; mergeCommitSha: string; baseRef: string; title: string | null; url: string | null };
}
interface ErrorBody { error: { code: string; message: string } }

describeEachDriver('commit and PR lookups against the simulated GitHub', (get) => {
  const hydra = new GeneratedHydra({
    seed: 11, jobsPerEval: 300, evals: 6, end: T, now: T, churn: 0.1, failureRate: 0.1, maxBuildSec: 600,
    firstEvalId: 5_300_000, firstBuildId: 530_000_000, staging: { name: 'staging-next', evals: 2 },
  });
  let gh: RunningGithubSim;
  let online: LocalServer;
  let offline: LocalServer;
  /** Ingested eval ids per jobset, oldest first. */
  const ingested = new Map<string, number[]>();

  const serve = (apiUrl: string) => {
    const database = get();
    const config = testConfig({ ZHF_JOBSETS: JOBSETS.join(','), ZHF_GITHUB_API_URL: apiUrl });
    const app = createApp({ database, config }, { extraRoutes: (api) => mountExtraRoutes(api, { database, config }), largeBodyPaths: UPLOAD_PATHS });
    return serveLocal(app.fetch);
  };
  const ask = async <B>(server: LocalServer, path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: (await res.json()) as B };
  };
  /** The first ingested eval of `jobset` at or after the Hydra eval that first contains the commit. */
  const expectedLanding = (jobset: string, firstEvalId: number) => ingested.get(jobset)!.find((id) => id >= firstEvalId) ?? null;
  const revisionOf = (evalId: number) => hydra.getEval(evalId)!.inputs.nixpkgs.revision!;

  beforeAll(async () => {
    const h = await startHarness(get(), hydra);
    try {
      for (const r of await h.collector.syncAll(JOBSETS)) expect(r.error, r.jobset).toBeUndefined();
    } finally {
      await h.close();
    }
    gh = await startGithubSim(hydra);
    online = await serve(gh.url);
    // Nothing listens there: every GitHub request fails to connect, as offline.
    const dead = await serveLocal(() => new Response(null));
    await dead.close();
    offline = await serve(dead.url);
    for (const js of JOBSETS) {
      const r = await ask<{ items: { id: number }[] }>(online, `/api/jobsets/${js}/evals?limit=100`);
      ingested.set(js, r.body.items.map((e) => e.id).sort((a, b) => a - b));
      expect(ingested.get(js)!.length, js).toBeGreaterThan(1);
    }
  }, 120_000);
  afterAll(async () => {
    await online?.close();
    await offline?.close();
    await gh?.close();
  });

  it('lands each merge commit into master in the eval the simulation says, and counts what it broke there', async () => {
    const merged = gh.model.pulls().filter((p) => p.merged && p.baseRef === 'master');
    const seen = { github: 0, evals: 0, broke: 0, notYet: 0 };
    for (const p of merged) {
      const before = gh.requests.length;
      const r = await ask<LandingBody>(online, `/api/commits/${p.mergeCommitSha}?jobset=nixpkgs/unstable`);
      expect(r.status, `#${p.number}`).toBe(200);
      const want = p.firstEvalId === null ? null : expectedLanding('nixpkgs/unstable', p.firstEvalId);
      expect({ pr: p.number, landed: r.body.landed?.evalId ?? null }).toEqual({ pr: p.number, landed: want });
      if (want === null) {
        seen.notYet++;
        expect(r.body).toMatchObject({ brokenBy: null, newestEvalId: ingested.get('nixpkgs/unstable')!.at(-1) });
        continue;
      }
      // An eval's own revision is answered from the evals; any other commit asks GitHub's compare.
      if (p.mergeIsEvalRevision && want === p.firstEvalId) {
        expect(r.body.oracle).toBe('evals');
        expect(gh.requests.length).toBe(before);
        seen.evals++;
      } else {
        expect(r.body.oracle).toBe('github');
        expect(gh.requests.slice(before).every((q) => q.path.startsWith('/repos/NixOS/nixpkgs/compare/'))).toBe(true);
        expect(gh.requests.length).toBeGreaterThan(before);
        seen.github++;
      }
      // Merged after every earlier eval: each new failure of its landing eval is in its range.
      const counts = (await ask<{ counts: Record<string, number> }>(online, `/api/evals/${want}`)).body.counts;
      expect(r.body.brokenBy).toMatchObject({ eval: { id: want }, excluded: 0, total: (counts.new_failure ?? 0) + (counts.new_job_failing ?? 0) });
      if (r.body.brokenBy!.total) seen.broke++;
    }
    expect(seen.github).toBeGreaterThan(3);
    expect(seen.evals).toBeGreaterThan(3);
    expect(seen.notYet).toBeGreaterThan(0);
    expect(seen.broke).toBeGreaterThan(0);
  });

  it('lands an abbreviated pull-request branch commit with its merge, and calls an unknown one unknown', async () => {
    const p = gh.model.pulls().find((x) => x.merged && x.baseRef === 'master' && x.firstEvalId !== null && !x.mergeIsEvalRevision)!;
    const r = await ask<LandingBody>(online, `/api/commits/${p.headSha.slice(0, 10)}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ jobset: 'nixpkgs/unstable', oracle: 'github', landed: { evalId: expectedLanding('nixpkgs/unstable', p.firstEvalId!) } });
    const unknown = await ask<ErrorBody>(online, `/api/commits/${'0badc0de'.repeat(5)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/unknown commit 0badc0de.*GitHub does not know it/);
  });

  it('resolves pull requests through the pulls API and lands them on the jobset following their base branch', async () => {
    const pick = (pred: (p: SimPull) => boolean) => gh.model.pulls().find(pred)!;
    const cases: [string, SimPull, string][] = [
      ['into master, merge is not an eval revision', pick((p) => p.merged && p.baseRef === 'master' && p.firstEvalId !== null && !p.mergeIsEvalRevision), 'nixpkgs/unstable'],
      ['into master, merge is an eval revision', pick((p) => p.merged && p.baseRef === 'master' && p.mergeIsEvalRevision), 'nixpkgs/unstable'],
      ['into staging-next', pick((p) => p.merged && p.baseRef === 'staging-next' && p.firstEvalId !== null), 'nixpkgs/staging-next'],
    ];
    for (const [what, p, jobset] of cases) {
      const r = await ask<LandingBody>(online, `/api/prs/${p.number}`);
      expect(r.status, what).toBe(200);
      expect(r.body, what).toMatchObject({
        pr: { number: p.number, merged: true, mergeCommitSha: p.mergeCommitSha, baseRef: p.baseRef, title: p.title, url: `https://github.com/NixOS/nixpkgs/pull/${p.number}` },
        jobset, sha: p.mergeCommitSha, landed: { evalId: expectedLanding(jobset, p.firstEvalId!) },
      });
    }
    const refusals: [string, number, number, RegExp][] = [
      ['open', pick((p) => p.state === 'open').number, 409, /is not merged/],
      ['closed unmerged', pick((p) => p.state === 'closed' && !p.merged).number, 409, /is not merged/],
      ['merged into haskell-updates', pick((p) => p.baseRef === 'haskell-updates').number, 422, /no tracked jobset follows haskell-updates/],
      ['no such pull request', 1, 404, /PR #1 not found/],
    ];
    for (const [what, n, status, message] of refusals) {
      const r = await ask<ErrorBody>(online, `/api/prs/${n}`);
      expect({ what, status: r.status }).toEqual({ what, status });
      expect(r.body.error.message, what).toMatch(message);
    }
  });

  it('offline: answers an eval revision from the evals alone, and says what to configure for the rest', async () => {
    const evals = ingested.get('nixpkgs/unstable')!;
    for (const id of [evals[0]!, evals[2]!, evals.at(-1)!]) {
      for (const sha of [revisionOf(id), revisionOf(id).slice(0, 12)]) {
        const r = await ask<LandingBody>(offline, `/api/commits/${sha}`);
        expect({ sha, status: r.status }).toEqual({ sha, status: 200 });
        expect(r.body).toMatchObject({ oracle: 'evals', landed: { evalId: id, revision: revisionOf(id) } });
        // The same answer as with GitHub reachable.
        const withGithub = await ask<LandingBody>(online, `/api/commits/${sha}`);
        expect(r.body.brokenBy).toEqual(withGithub.body.brokenBy);
      }
    }
    const p = gh.model.pulls().find((x) => x.merged && x.baseRef === 'master' && x.firstEvalId !== null && !x.mergeIsEvalRevision)!;
    const commit = await ask<ErrorBody>(offline, `/api/commits/${p.mergeCommitSha}`);
    expect(commit.status).toBe(502);
    expect(commit.body.error.message).toMatch(/GitHub API unreachable/);
    expect(commit.body.error.message).toMatch(/ZHF_NIXPKGS_GIT/);
    expect(commit.body.error.message).toMatch(/ZHF_GITHUB_TOKEN/);
    const pr = await ask<ErrorBody>(offline, `/api/prs/${p.number}`);
    expect(pr.status).toBe(502);
    expect(pr.body.error.message).toMatch(/GitHub API unreachable for pull request #\d+.*ZHF_GITHUB_API_URL.*ZHF_GITHUB_TOKEN/);
  });
});
