/**
 * The dashboard as people use it: the built app on data synced from a scripted Hydra, driven
 * by headless Chromium. Protects sign-in, claiming (with and without JavaScript, and the
 * one-holder rule across users), URL-kept filters, the counts on eval and job pages, and charts.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { A, canvasDrawn, CHROMIUM, screenshot, signIn, useApp, visit, X, type Browser, LAPTOP, PHONE } from './harness.ts';

// Skipped only on a developer machine without Debian's chromium; in CI (CI=true) a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('dashboard end to end', () => {
  const app = useApp();
  const { open } = app;
  const row = (b: Browser, job: string) => b.page.locator(`[data-testid=breakage][data-job="${job}"]`);

  it('overview shows the latest eval counts, the week and the backlog', async () => {
    const b = await open({ viewport: LAPTOP });
    await b.page.goto(app.url);
    const card = b.page.locator('[data-testid=jobset-card][data-jobset="nixpkgs/unstable"]');
    // new failures tile = new_failure (zlib) + new_job_failing (the `unstable` aggregate)
    await expect(card.locator('[data-testid=tile-new_failure] .tile-n').textContent()).resolves.toBe('2');
    await expect(card.locator('[data-testid=tile-fixed] .tile-n').textContent()).resolves.toBe('1');
    await expect(card.locator('[data-testid=tile-still_failing] .tile-n').textContent()).resolves.toBe('3');
    await expect(card.locator('[data-testid=tile-pending] .tile-n').textContent()).resolves.toBe('1');
    await expect(card.locator('[data-testid=week-breakages]').textContent()).resolves.toContain(`${app.facts.weekJobs.length} breakages`);
    await expect(card.textContent()).resolves.toContain('1 open from earlier weeks');
    // The channel gate names the constituents that block it (read from /build/:id/constituents).
    const gate = card.locator('[data-testid=gate-unstable]');
    await expect(gate.textContent()).resolves.toMatch(/unstable\s*failure/);
    await expect(gate.textContent()).resolves.toContain('blocked by 2 of 2');
    await expect(gate.locator('.blocking li').allTextContents()).resolves.toEqual([
      expect.stringContaining(`hello.${X}`), expect.stringContaining(`zlib.${X}`),
    ]);
    await screenshot(b.page, 'overview');
  }, 120_000);

  it('eval and job pages show the right counts', async () => {
    const { e1, e2, e3 } = app.facts;
    const b = await open({ viewport: LAPTOP });
    await b.page.goto(`${app.url}/evals/${e3.id}`);
    const total = (c: string) => b.page.locator(`[data-testid=counts] tfoot td[data-category=${c}]`).textContent();
    expect((await total('new_failure'))?.trim()).toBe('1');
    expect((await total('new_job_failing'))?.trim()).toBe('1');
    expect((await total('fixed'))?.trim()).toBe('1');
    expect((await total('still_failing'))?.trim()).toBe('3');
    expect((await total('pending'))?.trim()).toBe('1');
    await screenshot(b.page, 'eval');

    await b.page.goto(`${app.url}/evals/${e3.id}?category=new_failure`);
    const rows = b.page.locator('[data-testid=eval-rows] tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(`zlib.${X}`);
    // The commit range of a new failure runs from the last good eval's revision.
    expect(await rows.first().locator('a[href*="compare"]').getAttribute('href')).toBe(`https://github.com/NixOS/nixpkgs/compare/${e2.revision}...${e3.revision}`);

    await b.page.goto(`${app.url}/evals/${e3.id}?compare=${e1.id}&category=fixed,new_failure`);
    await expect(b.page.locator('h2#rows').textContent()).resolves.toContain(`eval ${e1.id}`);

    await b.page.goto(`${app.url}/jobs/nixpkgs/unstable/hello.${X}`);
    const facts = b.page.locator('[data-testid=job-facts]');
    await expect(facts.textContent()).resolves.toContain(`eval ${e1.id}`);
    await expect(facts.textContent()).resolves.toContain(`eval ${e2.id}`);
    expect(await facts.locator('a[href*="compare"]').getAttribute('href')).toContain(`${e1.revision}...${e2.revision}`);
    expect(await b.page.locator('[data-testid=timeline] .tick').count()).toBe(3);
    expect(await b.page.locator('[data-testid=timeline] .tick-failure').count()).toBe(2);
    await screenshot(b.page, 'job');

    await b.page.goto(`${app.url}/jobsets/nixpkgs/unstable`);
    expect(await b.page.locator('[data-testid=evals] tbody tr').count()).toBe(3);
    await screenshot(b.page, 'jobset');
  }, 120_000);

  it('a signed-in user claims from the fix list; a second user sees it claimed and cannot take it', async () => {
    const alice = await open({ viewport: LAPTOP });
    const bob = await open({ viewport: LAPTOP });
    // Every state and claim: the list shows open, unclaimed breakages unless told otherwise.
    const all = '/fix?state=all&claimed=all';
    await signIn(bob.page, app.url, 'bob', all);
    // Bob's page is loaded before Alice claims: his Claim button is stale.
    await expect(row(bob, `hello.${X}`).locator('[data-testid=claim]').count()).resolves.toBe(1);

    await signIn(alice.page, app.url, 'alice', all);
    await expect(alice.page.locator('[data-testid=signed-in]').textContent()).resolves.toContain('@alice');
    expect(await alice.page.locator('[data-testid=breakage]').count()).toBe(app.facts.weekJobs.length);
    await row(alice, `hello.${X}`).locator('[data-testid=claim]').click();
    await row(alice, `hello.${X}`).locator('[data-testid=holder]').waitFor();
    await expect(row(alice, `hello.${X}`).locator('[data-testid=holder]').textContent()).resolves.toContain('@alice');

    // Alice adds her fix PR.
    await row(alice, `hello.${X}`).locator('input[name=prUrl]').fill('https://github.com/NixOS/nixpkgs/pull/123456');
    await row(alice, `hello.${X}`).getByRole('button', { name: 'Save PR' }).click();
    await row(alice, `hello.${X}`).locator('a.pr').waitFor();
    expect(await row(alice, `hello.${X}`).locator('a.pr').getAttribute('href')).toBe('https://github.com/NixOS/nixpkgs/pull/123456');
    await screenshot(alice.page, 'fix-list');

    // Bob's stale Claim is refused, naming the holder, and his row then shows Alice.
    await row(bob, `hello.${X}`).locator('[data-testid=claim]').click();
    await row(bob, `hello.${X}`).locator('[data-testid=claim-error]').waitFor();
    await expect(row(bob, `hello.${X}`).locator('[data-testid=claim-error]').textContent()).resolves.toContain('@alice');
    await bob.page.reload();
    await bob.page.waitForSelector('html[data-hydrated]', { state: 'attached' });
    await expect(row(bob, `hello.${X}`).locator('[data-testid=holder]').textContent()).resolves.toContain('@alice');
    expect(await row(bob, `hello.${X}`).locator('[data-testid=claim]').count()).toBe(0);
    expect(await row(bob, `hello.${X}`).getByRole('button', { name: 'Release' }).count()).toBe(0);

    // And through the API directly: 409 naming the holder.
    const me = await (await bob.page.request.get(`${app.url}/api/me`)).json() as { csrf: string };
    const id = await row(bob, `hello.${X}`).getAttribute('data-id');
    const res = await bob.page.request.post(`${app.url}/api/breakages/${id}/claim`, { headers: { 'x-csrf-token': me.csrf }, data: {} });
    expect(res.status()).toBe(409);
    expect(JSON.stringify(await res.json())).toContain('alice');

    await bob.page.goto(`${app.url}/claims`);
    await expect(bob.page.locator('main').textContent()).resolves.toContain('@alice');
    await screenshot(bob.page, 'claims');
  }, 180_000);

  it('filters narrow the fix list, combine, and survive a reload', async () => {
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/fix`);
    await b.page.locator('[data-testid=filters] select[name=kind]').selectOption('dependency');
    await b.page.waitForURL(/kind=dependency/);
    await b.page.waitForFunction(() => document.querySelectorAll('[data-testid=breakage]').length === 1);
    await expect(b.page.locator('[data-testid=breakage]').first().getAttribute('data-job')).resolves.toBe(`libfoo.${X}`);
    await b.page.reload();
    expect(await b.page.locator('[data-testid=breakage]').count()).toBe(1);
    expect(await b.page.locator('[data-testid=filters] select[name=kind]').inputValue()).toBe('dependency');

    await visit(b.page, `${app.url}/fix?state=all`);
    await b.page.locator('[data-testid=filters] select[name=system]').selectOption(A);
    await b.page.waitForURL(/system=aarch64-linux/);
    await b.page.waitForFunction(() => document.querySelectorAll('[data-testid=breakage]').length === 1);
    expect(await b.page.locator('[data-testid=breakage]').first().getAttribute('data-job')).toBe(`curl.${A}`);

    await visit(b.page, `${app.url}/fix?system=${X}&state=open&claimed=no`);
    const jobs = await b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')).sort());
    expect(jobs).toEqual([`libfoo.${X}`, 'unstable', `zlib.${X}`]);
    await b.page.fill('[data-testid=filters] input[name=q]', 'zli');
    await b.page.press('[data-testid=filters] input[name=q]', 'Enter');
    await b.page.waitForURL(/q=zli/);
    await b.page.waitForFunction(() => document.querySelectorAll('[data-testid=breakage]').length === 1);
    await b.page.reload();
    expect(await b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).toEqual([`zlib.${X}`]);
    // Open and unclaimed are the defaults, and empty fields are dropped: the shared link says only what was chosen.
    expect([...new URL(b.page.url()).searchParams.keys()].sort()).toEqual(['q', 'system']);
    await screenshot(b.page, 'fix-list-filtered');

    await b.page.goto(`${app.url}/fix?week=backlog`);
    expect(await b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).toEqual(app.facts.backlogJobs);
    await screenshot(b.page, 'backlog');
  }, 120_000);

  it('the fix list defaults to open, unclaimed breakages; state "all" brings back fixed ones; empty parameters leave the URL', async () => {
    for (const javaScript of [true, false]) {
      const b = await open({ viewport: LAPTOP, javaScript });
      await b.page.goto(`${app.url}/fix`);
      const jobs = () => b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')).sort());
      const shown = await jobs();
      // curl.aarch64-linux was fixed in e3: not in the default list.
      expect(shown).not.toContain(`curl.${A}`);
      expect(shown.length).toBeGreaterThan(0);
      const states = await b.page.locator('[data-testid=breakage] .pill').allTextContents();
      expect(states.filter((s) => /fixed|gone/.test(s))).toEqual([]);
      expect(await b.page.locator('[data-testid=breakage] [data-testid=holder]').count()).toBe(0);
      expect(await b.page.locator('[data-testid=filters] select[name=state]').inputValue()).toBe('');
      await b.page.goto(`${app.url}/fix?jobset=&system=&kind=&state=all&claimed=all&q=`);
      expect(new URL(b.page.url()).search).toBe('?state=all&claimed=all');
      expect(await jobs()).toEqual([...app.facts.weekJobs].sort());
      // The overview's count of the week's breakages links to all of them.
      await b.page.goto(app.url);
      await Promise.all([b.page.waitForURL(/\/fix/), b.page.locator('[data-testid=week-breakages]').first().click()]);
      expect(await b.page.locator('[data-testid=breakage]').count()).toBe(app.facts.weekJobs.length);
    }
  }, 120_000);

  it('charts draw on the trends and roundup pages', async () => {
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/trends`);
    for (const id of ['chart-by-system', 'chart-by-kind', 'chart-opened-fixed', 'chart-open', 'chart-ttf']) {
      await b.page.waitForFunction((sel) => {
        const c = document.querySelector(sel) as HTMLCanvasElement | null;
        return !!c && c.width > 0;
      }, `[data-testid=${id}] canvas`);
      expect(await canvasDrawn(b.page, `[data-testid=${id}] canvas`), id).toBe(true);
    }
    // libfoo's dependency failure names no cause: no root is known, and the roots chart says so instead of drawing zeros.
    await expect(b.page.locator('[data-testid=chart-roots] [data-testid=roots-empty]').textContent()).resolves.toContain('No root causes are known in this range yet');
    expect(await b.page.locator('[data-testid=chart-roots] canvas').count()).toBe(0);
    await screenshot(b.page, 'trends');

    await visit(b.page, `${app.url}/roundup`);
    await expect(b.page.locator('[data-testid=roundup-rendered]').textContent()).resolves.toContain(`hello.${X}`);
    await b.page.waitForSelector('[data-testid=chart-burndown] canvas');
    expect(await canvasDrawn(b.page, '[data-testid=chart-burndown] canvas')).toBe(true);
    const source = await b.page.locator('[data-testid=roundup-source]').first().inputValue();
    expect(source).toContain('- [ ]');
    await screenshot(b.page, 'roundup');
  }, 120_000);

  it('preflight compares two evals, and a pasted changed-paths.json', async () => {
    const { e1, e3 } = app.facts;
    const b = await open({ viewport: LAPTOP });
    await b.page.goto(`${app.url}/preflight`);
    await screenshot(b.page, 'preflight-empty');
    await b.page.fill('[data-testid=preflight-evals] input[name=base]', String(e1.id));
    await b.page.fill('[data-testid=preflight-evals] input[name=candidate]', String(e3.id));
    await b.page.locator('[data-testid=preflight-evals] button').click();
    await b.page.waitForSelector('[data-testid=preflight-report]');
    await expect(b.page.locator('[data-testid=preflight-report] .labels').textContent()).resolves.toContain('10.rebuild-linux');
    await screenshot(b.page, 'preflight');

    // A pull request's changed-paths.json, pasted: one Linux package rebuilt.
    await visit(b.page, `${app.url}/preflight`);
    await b.page.fill('[data-testid=preflight-upload] textarea[name=text]', JSON.stringify({ rebuildsByPlatform: { [X]: ['hello'] } }));
    await b.page.locator('[data-testid=preflight-upload] button').click();
    await b.page.waitForSelector('[data-testid=preflight-report]');
    const labels = await b.page.locator('[data-testid=preflight-report] .labels').textContent();
    expect(labels).toContain('10.rebuild-linux: 1');
    expect(labels).toContain('10.rebuild-darwin: 0');
    expect(await b.page.locator('[data-testid=impact-mayFix] summary .count').textContent()).toBe('1');
  }, 120_000);

  it('claiming and releasing work with JavaScript disabled', async () => {
    const b = await open({ viewport: LAPTOP, javaScript: false });
    await signIn(b.page, app.url, 'carol', '/fix?claimed=all', false);
    await Promise.all([b.page.waitForNavigation(), row(b, `zlib.${X}`).locator('[data-testid=claim]').click()]);
    expect(new URL(b.page.url()).pathname).toBe('/fix');
    await expect(row(b, `zlib.${X}`).locator('[data-testid=holder]').textContent()).resolves.toContain('@carol');
    await screenshot(b.page, 'fix-list-no-js');
    await Promise.all([b.page.waitForNavigation(), row(b, `zlib.${X}`).getByRole('button', { name: 'Release' }).click()]);
    expect(await row(b, `zlib.${X}`).locator('[data-testid=claim]').count()).toBe(1);
    // Signing out is a plain form too.
    await Promise.all([b.page.waitForNavigation(), b.page.getByRole('button', { name: 'Sign out' }).click()]);
    expect(await b.page.locator('[data-testid=signed-in]').count()).toBe(0);
  }, 120_000);

  it('a signed-in maintainer reaches their packages from the header, on a laptop and a phone', async () => {
    for (const [vp, name] of [[LAPTOP, 'laptop'], [PHONE, 'phone']] as const) {
      const b = await open({ viewport: vp, isMobile: vp === PHONE });
      await signIn(b.page, app.url, 'heidi', '/fix?claimed=all'); // earlier tests claim some of these rows
      // The fix list names each job's maintainers (from the channel's packages.json).
      await expect(row(b, `hello.${X}`).locator('[data-testid=maintainers]').textContent()).resolves.toContain('niaj');
      await Promise.all([b.page.waitForURL((u) => u.pathname === '/maintainers/heidi'), b.page.click('[data-testid=signed-in]')]);
      await b.page.waitForSelector('html[data-hydrated]', { state: 'attached' });
      await expect(b.page.locator('[data-testid=maintainer-title]').textContent()).resolves.toBe('Your packages');
      // Open breakages of heidi's packages only: hello (hers), not libfoo or zlib (not hers), not curl (fixed).
      await expect(b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).resolves.toEqual([`hello.${X}`]);
      expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(vp.width + 1);
      await screenshot(b.page, `maintainer-${name}`);
    }
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/fix?week=all&state=all&maintainer=grace`);
    const jobs = () => b.page.locator('[data-testid=breakage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')).sort());
    await expect(jobs()).resolves.toEqual([`curl.${A}`, `libfoo.${X}`]);
    await screenshot(b.page, 'fix-list-maintainer');
    await visit(b.page, `${app.url}/fix?week=all&state=all&team=python`);
    await expect(jobs()).resolves.toEqual([`curl.${A}`]);
    const missing = await b.page.goto(`${app.url}/maintainers/nobody-here`);
    expect(missing?.status()).toBe(404);
    const feed = await fetch(`${app.url}/feeds/maintainers/heidi.atom`);
    expect(feed.status).toBe(200);
    const xmlText = await feed.text();
    expect(xmlText).toContain(`hello.${X}`);
    expect(xmlText).not.toContain(`libfoo.${X}`);
    const bad = await fetch(`${app.url}/feeds/maintainers/nobody-here.atom`);
    expect(bad.status).toBe(404);
    expect((await bad.json()).error.code).toBe('not_found');
  }, 180_000);

  it('phone-sized pages and the error page render', async () => {
    const b = await open({ viewport: PHONE, isMobile: true });
    await b.page.goto(app.url);
    await screenshot(b.page, 'overview-phone');
    await b.page.goto(`${app.url}/fix`);
    // Tables scroll sideways inside their box instead of widening the page.
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width + 1);
    await screenshot(b.page, 'fix-list-phone');
    await b.page.goto(`${app.url}/evals/${app.facts.e3.id}`);
    await screenshot(b.page, 'eval-phone');
    const res = await b.page.goto(`${app.url}/evals/999999999`);
    expect(res?.status()).toBe(404);
    await expect(b.page.locator('.error-page').textContent()).resolves.toContain('999999999');
    await screenshot(b.page, 'error-phone');
    const l = await open({ viewport: LAPTOP });
    await l.page.goto(`${app.url}/signin`);
    await screenshot(l.page, 'signin');
  }, 120_000);
});
