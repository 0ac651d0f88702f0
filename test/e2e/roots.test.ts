/**
 * Root causes in the dashboard (SPEC section 8), in Chromium: the fix list opens on its roots,
 * most blocking first, with their dependents folded under them; what no root folds is listed
 * below, saying when its cause is not known yet; a claim on a root shows on each dependent in the
 * list of every breakage instead of a second Claim button; the eval page counts the roots and a
 * job page says what its failure blocks, or what blocks it. With and without JavaScript, at
 * 1280 and 390 px.
 */
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, scenario, screenshot as save, signIn, useApp, visit, X, type Browser, LAPTOP, PHONE } from './harness.ts';

const job = (n: string) => `${n}.${X}`;
/** What each root blocks; nodejs fails behind curl, which fails behind openssl (a chain). */
const OPENSSL_BLOCKS = ['curl', 'git', 'nodejs', 'openssh', 'python3'].map(job);
const LIBXML2_BLOCKS = ['gtk3', 'libxslt'].map(job);

/**
 * The shared history, then: new jobs appear green (e4); openssl and libxml2 fail, their
 * dependents wait (e5); the dependents fail as Hydra's dependency failures naming the build that
 * failed (e6), and nodejs behind curl (e7). zlib and hello stay direct failures that block
 * nothing; libfoo's build page names no cause.
 */
function history() {
  const facts = scenario();
  const { sim, e3 } = facts;
  const js = sim.jobset('nixpkgs', 'unstable');
  const fresh = ['curl', 'openssh', 'nodejs', 'libxml2', 'libxslt', 'gtk3'].map(job);
  const reuse = (jobs: string[]) => Object.fromEntries(jobs.map((j) => [j, 'reuse' as const]));
  const e4 = sim.eval(js, { jobs: { ...reuse(e3.jobs()), ...Object.fromEntries(fresh.map((j) => [j, 'success' as const])) } });
  const waiting = [...OPENSSL_BLOCKS, ...LIBXML2_BLOCKS];
  const e5 = sim.eval(js, { jobs: {
    ...reuse(e4.jobs()), [job('openssl')]: 'failure', [job('libxml2')]: 'failure',
    ...Object.fromEntries(waiting.map((j) => [j, 'pending' as const])),
  } });
  const dep = (on: number) => ({ status: 2, depFailedOn: on });
  const e6 = sim.eval(js, { jobs: {
    ...reuse(e5.jobs()),
    ...Object.fromEntries(OPENSSL_BLOCKS.filter((j) => j !== job('nodejs')).map((j) => [j, dep(e5.buildOf(job('openssl')))])),
    ...Object.fromEntries(LIBXML2_BLOCKS.map((j) => [j, dep(e5.buildOf(job('libxml2')))])),
  } });
  const e7 = sim.eval(js, { jobs: { ...reuse(e6.jobs()), [job('nodejs')]: dep(e6.buildOf(job('curl'))) } });
  return { ...facts, e7 };
}

/** A full-page screenshot from the top (the sticky header would otherwise sit where the page was scrolled to). */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await save(page, name);
}

const attr = (page: Page, selector: string, name: string) => page.locator(selector).evaluateAll(
  (els, n) => els.map((e) => e.getAttribute(n)), name);

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('root causes in the dashboard', () => {
  const app = useApp<ReturnType<typeof history>>(history);
  const { open } = app;
  const root = (b: Browser, j: string) => b.page.locator(`[data-testid=root][data-job="${j}"]`);
  const row = (b: Browser, j: string) => b.page.locator(`[data-testid=breakage][data-job="${j}"]`);

  it('opens on the roots, most blocking first, dependents folded and expandable; the rest below says what is not known', async () => {
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/fix`);
    await expect(b.page.locator('[data-testid=view-roots]').getAttribute('aria-current')).resolves.toBe('page');
    expect(await attr(b.page, '[data-testid=root]', 'data-job')).toEqual([job('openssl'), job('libxml2')]);
    await expect(root(b, job('openssl')).locator('[data-testid=blocks]').textContent()).resolves.toBe('blocks 5 jobs');
    await expect(root(b, job('libxml2')).locator('[data-testid=blocks]').textContent()).resolves.toBe('blocks 2 jobs');
    await expect(root(b, job('openssl')).locator('[data-testid=root-jobsets]').textContent()).resolves.toBe('in nixpkgs/unstable');
    // Folded: the dependents are listed under their root, hidden until it is opened.
    const blocked = root(b, job('openssl')).locator('[data-testid=blocked-job]');
    expect(await blocked.count()).toBe(5);
    expect(await blocked.first().isVisible()).toBe(false);
    await root(b, job('openssl')).locator('[data-testid=blocked] summary').click();
    await blocked.first().waitFor({ state: 'visible' });
    expect((await blocked.evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).sort()).toEqual(OPENSSL_BLOCKS);
    // Each links to its job page.
    expect(await blocked.first().locator('a').getAttribute('href')).toBe(`/jobs/nixpkgs/unstable/${encodeURIComponent(job('curl'))}`);
    // Below the roots, only what no root folds: nothing is hidden, no dependent shows twice.
    const rest = (await attr(b.page, '[data-testid=breakage]', 'data-job')).sort();
    expect(rest).toEqual([job('hello'), job('libfoo'), 'unstable', job('zlib')].sort());
    await expect(row(b, job('libfoo')).locator('[data-testid=root-unknown]').textContent()).resolves.toBe('cause not known yet');
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(LAPTOP.width + 1);
    await screenshot(b.page, 'fix-roots');

    // The list of every breakage is one click away, and keeps its filters.
    await Promise.all([b.page.waitForURL(/view=all/), b.page.locator('[data-testid=view-all]').click()]);
    expect(await b.page.locator('[data-testid=root]').count()).toBe(0);
    expect(await row(b, job('python3')).count()).toBe(1);
    await expect(row(b, job('nodejs')).locator('[data-testid=root-cause]').textContent()).resolves.toMatch(/root:\s*openssl\.x86_64-linux/);
    await expect(row(b, job('openssl')).locator('[data-testid=blocks]').textContent()).resolves.toBe('blocks 5 jobs');
  }, 120_000);

  it('a claim on a root covers its dependents: the list of every breakage names it instead of offering a second claim', async () => {
    const alice = await open({ viewport: LAPTOP });
    await signIn(alice.page, app.url, 'alice', '/fix');
    await root(alice, job('openssl')).locator('[data-testid=claim]').click();
    // The list shows unclaimed roots: the claimed one leaves it, and the page says so.
    await alice.page.locator('[data-testid=claimed-roots]').waitFor();
    expect(await attr(alice.page, '[data-testid=root]', 'data-job')).toEqual([job('libxml2')]);
    await expect(alice.page.locator('[data-testid=claimed-roots]').textContent()).resolves.toContain('1 claimed root is not listed');
    // Its dependents are covered, so they do not come back as unclaimed rows below.
    expect(await row(alice, job('python3')).count()).toBe(0);
    await Promise.all([alice.page.waitForURL(/claimed=all/), alice.page.locator('[data-testid=claimed-roots] a').click()]);
    await expect(root(alice, job('openssl')).locator('[data-testid=holder]').textContent()).resolves.toContain('@alice');

    // Bob, in the list of every breakage: each dependent names the root and the claim on it.
    const bob = await open({ viewport: LAPTOP });
    await signIn(bob.page, app.url, 'bob', '/fix?view=all');
    for (const j of OPENSSL_BLOCKS) {
      await expect(row(bob, j).locator('[data-testid=covered]').textContent()).resolves.toMatch(/^covered by the claim on\s+openssl\s+@alice$/);
      expect(await row(bob, j).locator('[data-testid=covered] a').getAttribute('title')).toBe(job('openssl'));
      expect(await row(bob, j).locator('[data-testid=claim]').count()).toBe(0);
    }
    expect(await row(bob, job('python3')).locator('[data-testid=root-link]').getAttribute('href')).toBe(`/jobs/nixpkgs/unstable/${encodeURIComponent(job('openssl'))}`);
    // libxml2's dependents are not covered: their Claim button is there.
    expect(await row(bob, job('gtk3')).locator('[data-testid=covered]').count()).toBe(0);
    expect(await row(bob, job('gtk3')).locator('[data-testid=claim]').count()).toBe(1);
    await screenshot(bob.page, 'fix-all-covered');

    // Claiming a covered dependent anyway is possible, one deliberate step away.
    await row(bob, job('git')).locator('.claim-anyway summary').click();
    await row(bob, job('git')).locator('[data-testid=claim-anyway]').click();
    await bob.page.waitForFunction(() => !document.querySelector('[data-testid=breakage][data-job="git.x86_64-linux"]'));
    await visit(bob.page, `${app.url}/fix?view=all&claimed=yes`);
    await expect(row(bob, job('git')).locator('[data-testid=holder]').textContent()).resolves.toContain('@bob');
  }, 180_000);

  it('the eval page counts the roots; job pages say what a failure blocks and what blocks a job', async () => {
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/evals/${app.facts.e7.id}`);
    // Eight dependency failures: seven traced to openssl or libxml2, libfoo's cause unknown.
    await expect(b.page.locator('[data-testid=eval-roots]').textContent()).resolves
      .toMatch(/7 dependency failures trace back to 2 roots; the cause of 1 more is not known yet\./);
    await Promise.all([b.page.waitForURL(/\/fix\?/), b.page.locator('[data-testid=eval-roots-link]').click()]);
    expect(await attr(b.page, '[data-testid=root]', 'data-job')).toEqual([job('openssl'), job('libxml2')]);
    await visit(b.page, `${app.url}/evals/${app.facts.e7.id}`);
    await screenshot(b.page, 'eval-roots');

    await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job('openssl')}`);
    await expect(b.page.locator('[data-testid=job-root] [data-testid=blocks]').textContent()).resolves.toBe('Blocks 5 jobs');
    expect((await attr(b.page, '[data-testid=job-root] [data-testid=blocked-job]', 'data-job')).sort()).toEqual(OPENSSL_BLOCKS);
    // A short list is shown open on the job page.
    expect(await b.page.locator('[data-testid=job-root] [data-testid=blocked-job]').first().isVisible()).toBe(true);
    await screenshot(b.page, 'job-root');
    await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job('nodejs')}`);
    await expect(b.page.locator('[data-testid=job-root] [data-testid=root-link]').textContent()).resolves.toBe(job('openssl'));
    await expect(b.page.locator('[data-testid=breakage] [data-testid=covered]').textContent()).resolves.toMatch(/openssl\s+@alice/);
    await screenshot(b.page, 'job-dependent');
    await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job('libfoo')}`);
    await expect(b.page.locator('[data-testid=job-root] [data-testid=root-unknown]').textContent()).resolves.toContain('not known yet');
  }, 120_000);

  it('works without JavaScript: the view switch, expanding a root, claiming it', async () => {
    const b = await open({ viewport: LAPTOP, javaScript: false });
    await signIn(b.page, app.url, 'carol', '/fix', false);
    expect(await attr(b.page, '[data-testid=root]', 'data-job')).toEqual([job('libxml2')]);
    await root(b, job('libxml2')).locator('[data-testid=blocked] summary').click();
    await root(b, job('libxml2')).locator('[data-testid=blocked-job]').first().waitFor({ state: 'visible' });
    await Promise.all([b.page.waitForNavigation(), root(b, job('libxml2')).locator('[data-testid=claim]').click()]);
    expect(new URL(b.page.url()).pathname).toBe('/fix');
    expect(await b.page.locator('[data-testid=root]').count()).toBe(0);
    await expect(b.page.locator('[data-testid=claimed-roots]').textContent()).resolves.toContain('2 claimed roots are not listed');
    await Promise.all([b.page.waitForNavigation(), b.page.locator('[data-testid=view-all]').click()]);
    // The filter form keeps the view.
    await Promise.all([b.page.waitForNavigation(), b.page.locator('[data-testid=filters] select[name=claimed]').selectOption('all')
      .then(() => b.page.locator('[data-testid=filters] button').click())]);
    expect(new URL(b.page.url()).searchParams.get('view')).toBe('all');
    await expect(row(b, job('libxslt')).locator('[data-testid=covered]').textContent()).resolves.toMatch(/covered by the claim on\s+libxml2\s+@carol/);
    await expect(row(b, job('libxml2')).locator('[data-testid=holder]').textContent()).resolves.toContain('@carol');
  }, 120_000);

  it('fits a 390 px phone', async () => {
    const b = await open({ viewport: PHONE, isMobile: true });
    await visit(b.page, `${app.url}/fix?claimed=all`);
    await root(b, job('openssl')).locator('[data-testid=blocked] summary').click();
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width + 1);
    await screenshot(b.page, 'fix-roots-phone');
    await visit(b.page, `${app.url}/fix?view=all`);
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width + 1);
    await screenshot(b.page, 'fix-all-covered-phone');
    await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job('openssl')}`);
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width + 1);
    await screenshot(b.page, 'job-root-phone');
  }, 120_000);
});
