/**
 * Preflight as a release manager uses it, at laptop and phone width, with and without
 * JavaScript: any ingested eval can be compared (not only the 30 newest the picker suggests),
 * every item of an impact list is reachable page by page, for two evals and for an uploaded
 * changed-paths.json, and the stdenv and NixOS-test labels the file sets are shown.
 */
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ScriptedHydra, type EvalHandle } from '@zhf/sim';
import { CHROMIUM, screenshot, useApp, visit, X, type Browser, LAPTOP, PHONE, expectFits } from './harness.ts';

const PACKAGES = Array.from({ length: 260 }, (_, i) => `p${String(i).padStart(3, '0')}`);
const REBUILT = PACKAGES.slice(0, 250);
const BROKEN = REBUILT.slice(0, 10);
const EVALS = 36;

/**
 * 36 evals of one jobset: the oldest has every package green, the 34 after it reuse every build
 * (and add a job of their own), and the newest rebuilds 250 of them (10 failing). The oldest is
 * not among the 30 newest.
 */
function history() {
  const now = Math.floor(Date.now() / 1000);
  const sim = new ScriptedHydra({ start: now - EVALS * 3600, firstEvalId: 70_000, firstBuildId: 5_000_000 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const evals: EvalHandle[] = [sim.eval(js, { jobs: Object.fromEntries(PACKAGES.map((p) => [`${p}.${X}`, 'success' as const])) })];
  for (let i = 1; i < EVALS - 1; i++) {
    sim.advance(3600);
    // One short-lived job per eval: an eval with no new build is no news, and not listed.
    evals.push(sim.eval(js, { jobs: { ...Object.fromEntries(PACKAGES.map((p) => [`${p}.${X}`, 'reuse' as const])), [`tick${i}.${X}`]: 'success' } }));
  }
  sim.advance(3600);
  evals.push(sim.eval(js, { jobs: Object.fromEntries(PACKAGES.map((p) => [`${p}.${X}`,
    BROKEN.includes(p) ? 'failure' as const : REBUILT.includes(p) ? 'success' as const : 'reuse' as const])) }));
  sim.setClock(now);
  return { sim, evals };
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('preflight: any eval, every item, the file\'s labels', () => {
  const app = useApp<ReturnType<typeof history>>(history, { ZHF_BACKFILL_EVALS: String(EVALS) });
  const { open } = app;
  /** Follows a list's "next" links from where the page is, collecting its job names. */
  const walk = async (b: Browser, list: string, javaScript: boolean) => {
    const jobs: string[] = [];
    const ranges: string[] = [];
    for (let n = 0; n < 10; n++) {
      const section = b.page.locator(`[data-testid=impact-${list}]`);
      jobs.push(...(await section.locator('tbody tr td:first-child').allTextContents()).map((s) => s.trim()));
      const pager = section.locator(`[data-testid=pager-${list}]`);
      if ((await pager.count()) === 0) break;
      ranges.push(((await pager.locator('span').textContent()) ?? '').trim());
      const next = pager.locator('a[rel=next]');
      if ((await next.count()) === 0) break;
      const before = b.page.url();
      await Promise.all([b.page.waitForURL((u) => u.href !== before), next.click()]);
      if (javaScript) await b.page.waitForSelector('html[data-hydrated]', { state: 'attached' });
    }
    return { jobs, ranges };
  };

  it('compares an eval older than the 30 suggested, and pages through all 250 jobs it rebuilds', async () => {
    const oldest = app.facts.evals[0]!;
    const newest = app.facts.evals.at(-1)!;
    for (const [vp, name, javaScript] of [[LAPTOP, 'laptop', true], [PHONE, 'phone', false]] as const) {
      const b = await open(vp, javaScript);
      await visit(b.page, `${app.url}/preflight`, javaScript);
      const suggested = await b.page.locator('#preflight-eval-ids option').evaluateAll((os) => os.map((o) => Number((o as HTMLOptionElement).value)));
      expect(suggested).toHaveLength(30);
      expect(suggested).not.toContain(oldest.id);
      await b.page.fill('[data-testid=preflight-evals] input[name=base]', String(oldest.id));
      await b.page.fill('[data-testid=preflight-evals] input[name=candidate]', String(newest.id));
      await Promise.all([b.page.waitForURL((u) => u.searchParams.get('base') === String(oldest.id)), b.page.locator('[data-testid=preflight-evals] button').click()]);
      await b.page.waitForSelector('[data-testid=preflight-report]');
      await expect(b.page.locator('[data-testid=impact-atRisk] summary .count').textContent()).resolves.toBe('250');
      await expect(b.page.locator('[data-testid=impact-newlyBroken] summary .count').textContent()).resolves.toBe('10');
      await expectFits(b, vp);
      await screenshot(b.page, `preflight-evals-${name}`);
      const { jobs, ranges } = await walk(b, 'atRisk', javaScript);
      expect(ranges).toEqual(['1–100 of 250', '101–200 of 250', '201–250 of 250']);
      expect(jobs).toEqual(REBUILT.map((p) => `${p}.${X}`));
      // The other lists wait behind a link while one is paged.
      expect(b.page.url()).toContain('list=atRisk');
      await expect(b.page.locator('[data-testid=show-newlyBroken]').textContent()).resolves.toBe('show these 10 jobs');
      await expectFits(b, vp);
      await screenshot(b.page, `preflight-evals-last-page-${name}`);
    }
  }, 180_000);

  it('says so when an eval id is not ingested', async () => {
    const b = await open(LAPTOP);
    await visit(b.page, `${app.url}/preflight?base=1&candidate=${app.facts.evals.at(-1)!.id}`);
    await expect(b.page.locator('[data-testid=preflight-problem]').textContent()).resolves.toBe('base eval 1 is not ingested');
    await expect(b.page.locator('[data-testid=preflight-evals] input[name=base]').inputValue()).resolves.toBe('1');
  }, 60_000);

  it('an uploaded changed-paths.json gets a page of its own: its labels, and every rebuilt job page by page', async () => {
    const file = {
      rebuildsByPlatform: { [X]: [...REBUILT, 'stdenv'] },
      labels: { '10.rebuild-linux: 101-500': true, '10.rebuild-linux-stdenv': true, '10.rebuild-darwin-stdenv': false, '10.rebuild-nixos-tests': true },
    };
    for (const [vp, name, javaScript] of [[LAPTOP, 'laptop', true], [PHONE, 'phone', false], [LAPTOP, 'laptop-no-js', false]] as const) {
      const b = await open(vp, javaScript);
      await visit(b.page, `${app.url}/preflight`, javaScript);
      await b.page.fill('[data-testid=preflight-upload] textarea[name=text]', JSON.stringify(file));
      await Promise.all([b.page.waitForURL((u) => u.searchParams.has('upload')), b.page.locator('[data-testid=preflight-upload] button').click()]);
      await b.page.waitForSelector('[data-testid=preflight-report]');
      const labels = await b.page.locator('[data-testid=preflight-report] .labels .label-tag').allTextContents();
      expect(labels).toEqual(['10.rebuild-linux: 101-500', '10.rebuild-darwin: 0', '10.rebuild-linux-stdenv', '10.rebuild-nixos-tests']);
      // Against the newest eval: 240 green now (at risk), 10 failing now (may get fixed), stdenv is no job here.
      await expect(b.page.locator('[data-testid=impact-atRisk] summary .count').textContent()).resolves.toBe('240');
      await expectFits(b, vp);
      await screenshot(b.page, `preflight-upload-${name}`);
      const { jobs, ranges } = await walk(b, 'atRisk', javaScript);
      expect(ranges).toEqual(['1–100 of 240', '101–200 of 240', '201–240 of 240']);
      expect(jobs).toEqual(REBUILT.filter((p) => !BROKEN.includes(p)).map((p) => `${p}.${X}`));
      expect(new URL(b.page.url()).searchParams.get('upload')).toBeTruthy();
      await screenshot(b.page, `preflight-upload-last-page-${name}`);
    }
  }, 180_000);

  it('says how many jobs are not known yet when builds are known only from short records', async () => {
    const oldest = app.facts.evals[0]!;
    const newest = app.facts.evals.at(-1)!;
    // Seven of the newest eval's rebuilt builds as /api/latestbuilds leaves them until their full
    // records come: no outputs, no derivation. (Last in this suite: the other tests need them whole.)
    const short = REBUILT.slice(-7).map((p) => newest.buildOf(`${p}.${X}`));
    await app.runtime.database.db.execute(sql`
      update builds set outputs = '{}', drvpath = '', detailed = false where id in (${sql.join(short.map((id) => sql`${id}`), sql`, `)})`);
    for (const [vp, name, javaScript] of [[LAPTOP, 'laptop', true], [PHONE, 'phone', false]] as const) {
      const b = await open(vp, javaScript);
      // A URL of its own: the anonymous page cache holds this comparison from before the change.
      await visit(b.page, `${app.url}/preflight?base=${oldest.id}&candidate=${newest.id}&short=${name}`, javaScript);
      await b.page.waitForSelector('[data-testid=preflight-report]');
      await expect(b.page.locator('[data-testid=preflight-unknown]').textContent()).resolves.toBe('7 not known yet');
      await expect(b.page.locator('[data-testid=impact-atRisk] summary .count').textContent()).resolves.toBe('243');
      await expect(b.page.locator('[data-testid=preflight-report] .note-box').allTextContents()).resolves.toContainEqual(expect.stringMatching(/^7 jobs are not known yet/));
      await expectFits(b, vp);
      await screenshot(b.page, `preflight-not-known-${name}`);
    }
  }, 120_000);
});
