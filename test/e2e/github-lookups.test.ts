/**
 * The commit page ("did this commit break it?") and the PR page in Chromium, in the demo's
 * setup at a smaller size: the demo's generated history, its simulated GitHub beside it as
 * ZHF_GITHUB_API_URL. At 1280 and 390 px: a merge commit lands in the eval the simulation says,
 * with what it broke; a pull request resolves to its merge commit; an eval's own revision is
 * answered without GitHub; and with GitHub gone the 502, long URL and all, fits the phone.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubSim, type GeneratedHydra, type RunningGithubSim, type SimPull } from '@zhf/sim';
import { demoHistory } from '../../apps/zhf/src/demo.ts';
import { CHROMIUM, ensureBuild, openBrowser, screenshot, startApp, visit, type Browser, type Running, LAPTOP, PHONE } from './harness.ts';

const VIEWPORTS = [['1280', LAPTOP], ['390', PHONE]] as const;

interface Landing { landed: { evalId: number } | null; brokenBy: { total: number } | null }

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('commit and PR pages against the simulated GitHub', () => {
  let app: Running<{ sim: GeneratedHydra }>;
  let gh: RunningGithubSim;
  const browsers: Browser[] = [];
  const open = async (viewport: { width: number; height: number }) => {
    const b = await openBrowser({ viewport, isMobile: viewport === PHONE });
    browsers.push(b);
    return b;
  };
  /** Master pull requests that landed in an ingested eval through a merge that is not an eval revision, with what each broke. */
  let landed: { p: SimPull; evalId: number; total: number }[] = [];
  const api = async <B>(path: string) => (await fetch(`${app.url}${path}`)).json() as Promise<B>;
  const noWiderThan = async (b: Browser, width: number) => expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

  beforeAll(async () => {
    ensureBuild();
    const hydra = demoHistory({ jobs: 400, evals: 8, endInSec: 3600 });
    gh = await startGithubSim(hydra);
    app = await startApp(() => ({ sim: hydra }), { ZHF_JOBSETS: 'nixpkgs/unstable,nixpkgs/staging-next', ZHF_GITHUB_API_URL: gh.url });
    for (const p of gh.model.pulls()) {
      if (!p.merged || p.baseRef !== 'master' || p.firstEvalId === null || p.mergeIsEvalRevision) continue;
      const r = await api<Landing>(`/api/commits/${p.mergeCommitSha}`);
      if (r.landed && r.brokenBy) landed.push({ p, evalId: r.landed.evalId, total: r.brokenBy.total });
    }
    landed = landed.sort((a, b) => b.total - a.total);
    expect(landed.length).toBeGreaterThan(4);
    expect(landed[0]!.total).toBeGreaterThan(0);
  }, 300_000);

  afterAll(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    await app?.close();
    await gh?.close();
  });

  it('the commit page: where a merge commit landed and what it broke', async () => {
    const { p, evalId, total } = landed[0]!;
    for (const [name, vp] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/commits/${p.mergeCommitSha}`);
      await expect(b.page.locator('h1').textContent()).resolves.toBe(`Commit ${p.mergeCommitSha.slice(0, 12)}`);
      const card = b.page.locator('[data-testid=landing]');
      await expect(card.textContent()).resolves.toMatch(new RegExp(`Landed in eval ${evalId} of nixpkgs/unstable`));
      await expect(card.textContent()).resolves.toMatch(/Ancestry from github, \d+ questions?\./);
      await expect(b.page.locator('[data-testid=broken-summary]').textContent()).resolves.toMatch(new RegExp(`${total} new failures? in eval ${evalId}`));
      expect(await b.page.locator('[data-testid=broken-by] tbody tr').count()).toBe(total);
      await noWiderThan(b, vp.width);
      await screenshot(b.page, `github-commit-${name}`);
    }
  }, 120_000);

  it('the PR page: the pull request, its merge commit and where it landed', async () => {
    const { p, evalId, total } = landed[0]!;
    for (const [name, vp] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/prs/${p.number}`);
      await expect(b.page.locator('h1').textContent()).resolves.toBe(`PR #${p.number}: ${p.title}`);
      const merged = b.page.locator('p.muted').first();
      await expect(merged.textContent()).resolves.toMatch(new RegExp(`Merged into master as ${p.mergeCommitSha.slice(0, 12)}`));
      await expect(merged.locator(`a[href="/commits/${p.mergeCommitSha}"]`).count()).resolves.toBe(1);
      await expect(b.page.locator('[data-testid=landing]').textContent()).resolves.toMatch(new RegExp(`Landed in eval ${evalId} of nixpkgs/unstable`));
      expect(await b.page.locator('[data-testid=broken-by] tbody tr').count()).toBe(total);
      await noWiderThan(b, vp.width);
      await screenshot(b.page, `github-pr-${name}`);
    }
  }, 120_000);

  it('an eval revision is answered from the evals; with GitHub gone the error says what to set and wraps', async () => {
    const evals = (await api<{ items: { id: number; revision: string }[] }>('/api/jobsets/nixpkgs/unstable/evals?limit=100')).items;
    const e = evals[Math.floor(evals.length / 2)]!;
    await gh.close();
    for (const [name, vp] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/commits/${e.revision}`);
      await expect(b.page.locator('[data-testid=landing]').textContent()).resolves.toMatch(new RegExp(`Landed in eval ${e.id} of nixpkgs/unstable[^]*answered from the jobset's own evals, without GitHub`));
      await screenshot(b.page, `github-commit-eval-revision-${name}`);
      // A commit no one asked about yet (answers are cached): a pull request's branch commit, which GitHub's compare must place.
      const other = landed[vp === LAPTOP ? 1 : 2]!.p;
      const res = await b.page.goto(`${app.url}/commits/${other.headSha}`);
      expect(res?.status()).toBe(502);
      const message = b.page.locator('.error-page p').first();
      await expect(message.textContent()).resolves.toMatch(/GitHub API unreachable for compare .*\/repos\/NixOS\/nixpkgs\/compare\/[0-9a-f]{40}\.\.\.[0-9a-f]{40}.*ZHF_NIXPKGS_GIT/);
      await noWiderThan(b, vp.width);
      await screenshot(b.page, `github-commit-unreachable-${name}`);
    }
  }, 120_000);
});
