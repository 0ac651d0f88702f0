/**
 * Every page at a phone's 390 px and on a 1280 px laptop: the page never scrolls sideways,
 * the header's links and the fix list's controls are on screen without a sideways scroll, and
 * long job names, hashes and URLs wrap instead of widening the page. The shared e2e history
 * gets one more eval with long (nixpkgs-like) job names, which is what breaks narrow layouts.
 */
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { A, CHROMIUM, scenario, screenshot as save, signIn, useApp, visit, X, LAPTOP, PHONE } from './harness.ts';

/** A long attribute with no break opportunity before the system's hyphen, and a long hyphenated one. */
const LONG_A = `perlPackages.CatalystPluginAuthenticationStoreDBIxClassSchemaLoader.${X}`;
const LONG_B = `python313Packages.azure-mgmt-recoveryservicesbackup.${A}`;
/** A job name like a store hash: nothing to break at. */
const HASHY = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'.repeat(3);

/** The shared history, then a fourth eval (now) in which the two long-named jobs appear failing. */
function history() {
  const facts = scenario();
  const { sim, e3 } = facts;
  const js = sim.jobset('nixpkgs', 'unstable');
  const jobs = Object.fromEntries(e3.jobs().filter((j) => j !== 'unstable').map((j) => [j, 'reuse' as const]));
  const e4 = sim.eval(js, { jobs: { ...jobs, [LONG_A]: 'failure', [LONG_B]: 'failure' } });
  sim.aggregate(e4, 'unstable', [`hello.${X}`, `zlib.${X}`, LONG_A, LONG_B], 'failure');
  return { ...facts, e4 };
}

/** A full-page screenshot from the top (the sticky header would otherwise sit where the page was scrolled to). */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await save(page, name);
}

/** Widest the document gets: more than the viewport means the page scrolls sideways. */
const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

/**
 * The elements matching `selector` that a reader cannot see without scrolling sideways: outside
 * the viewport's width, or hidden under something (an inner scroller's clip), once scrolled to
 * vertically. Each is named by its text.
 */
async function offScreen(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.flatMap((el) => {
    // As the reader first sees it: no inner box scrolled sideways (a click would have scrolled it).
    for (let a = el.parentElement; a; a = a.parentElement) a.scrollLeft = 0;
    const before = el.getBoundingClientRect();
    window.scrollTo(0, window.scrollY + before.top - window.innerHeight / 2);
    const r = el.getBoundingClientRect();
    const name = `${(el.textContent ?? '').trim().slice(0, 40) || el.tagName} (${Math.round(r.left)}..${Math.round(r.right)})`;
    if (r.width === 0 || r.left < -0.5 || r.right > window.innerWidth + 0.5) return [name];
    // Hit-test the first line box: a wrapped link's bounding box also covers the gaps beside its lines.
    const line = el.getClientRects()[0] ?? r;
    const hit = document.elementFromPoint(line.left + Math.min(line.width / 2, 6), line.top + line.height / 2);
    return hit && (el === hit || el.contains(hit)) ? [] : [`${name} under ${hit?.tagName}.${hit?.className}`];
  }));
}

/** Tables whose box scrolls sideways, hiding columns past its edge. */
const cutTables = (page: Page) => page.$$eval('.table-wrap', (wraps) => wraps.flatMap((w) =>
  w.scrollWidth > w.clientWidth + 1
    ? [`${w.querySelector('table')?.getAttribute('data-testid') ?? w.querySelector('th')?.textContent ?? 'table'}: ${w.scrollWidth} px in ${w.clientWidth}`]
    : []));

// Skipped only on a developer machine without Debian's chromium; in CI (CI=true) a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('pages fit a phone and a laptop', () => {
  const app = useApp<ReturnType<typeof history>>(history);
  const { open } = app;
  const phone = () => open({ viewport: PHONE, isMobile: true });

  /** Name and path of every main page; shown signed in (claim controls, the header's handle). */
  const pages = () => {
    const { e1, e4 } = app.facts;
    return [
      ['overview', '/'],
      ['fix-list', '/fix?state=all&claimed=all'],
      ['backlog', '/fix?week=backlog'],
      ['trends', '/trends'],
      ['roundup', '/roundup'],
      ['preflight-empty', '/preflight'],
      ['preflight', `/preflight?base=${e1.id}&candidate=${e4.id}`],
      ['claims', '/claims'],
      ['check', '/check'],
      ['eval', `/evals/${e4.id}`],
      ['job', `/jobs/nixpkgs/unstable/${encodeURIComponent(LONG_A)}`],
      ['jobset', '/jobsets/nixpkgs/unstable'],
      ['maintainer', '/maintainers/heidi'],
      ['signin', '/signin'],
      // A 404 whose message carries an unbreakable name: it wraps.
      ['error-long', `/jobs/nixpkgs/unstable/${HASHY}`],
    ] as const;
  };

  it('no page scrolls sideways at 390 px or 1280 px, and the header reaches every page on a phone', async () => {
    const sizes = [[PHONE, 'phone'], [LAPTOP, 'laptop']] as const;
    for (const [vp, size] of sizes) {
      const b = await open({ viewport: vp, isMobile: vp === PHONE });
      await signIn(b.page, app.url, 'dora', '/claims');
      const wide: string[] = [];
      const hidden: string[] = [];
      const cut: string[] = [];
      for (const [name, path] of pages()) {
        await visit(b.page, `${app.url}${path}`);
        const w = await pageWidth(b.page);
        if (w > vp.width) wide.push(`${name} ${path}: ${w} px`);
        // Every link of the main navigation is on screen: none hides past the edge.
        for (const link of await offScreen(b.page, 'header.top nav a')) hidden.push(`${name}: ${link}`);
        for (const t of await cutTables(b.page)) cut.push(`${name}: ${t}`);
        await screenshot(b.page, `${name}-${size}`);
      }
      expect(wide, `pages wider than ${vp.width} px`).toEqual([]);
      expect(hidden, `header links off screen at ${size}`).toEqual([]);
      expect(cut, `tables cut off at ${size}`).toEqual([]);
    }
  }, 240_000);

  it('on a phone each fix-list row is a card: job, kind, state and Claim are on screen; on a laptop it stays a table', async () => {
    const b = await phone();
    await signIn(b.page, app.url, 'erin', '/fix?view=all&state=all&claimed=all');
    const rows = b.page.locator('[data-testid=breakage]');
    expect(await rows.count()).toBe(app.facts.weekJobs.length + 2);
    expect(await rows.locator('[data-testid=claim]').count()).toBeGreaterThan(2);
    for (const sel of ['td.job > a', '[data-label=kind] .pill', '[data-label=state] .pill', '[data-testid=claim]', '[data-testid=log]', '[data-testid=maintainers]']) {
      expect(await offScreen(b.page, `[data-testid=breakage] ${sel}`), sel).toEqual([]);
    }
    // Each cell says what it is: the column's name travels with it.
    const labels = await rows.first().locator('td[data-label]').evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content));
    expect(labels).toContain('"kind"');
    expect(labels).toContain('"claim"');
    expect(await pageWidth(b.page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(b.page, 'fix-list-cards-phone');

    const l = await open({ viewport: LAPTOP });
    await signIn(l.page, app.url, 'erin', '/fix?view=all&state=all&claimed=all');
    await expect(l.page.locator('[data-testid=fix-list] thead').evaluate((e) => getComputedStyle(e).display)).resolves.toBe('table-header-group');
    await expect(l.page.locator('[data-testid=breakage]').first().evaluate((e) => getComputedStyle(e).display)).resolves.toBe('table-row');
    expect(await offScreen(l.page, '[data-testid=breakage] [data-testid=claim]')).toEqual([]);
    await screenshot(l.page, 'fix-list-table-laptop');
  }, 120_000);

  it('a refused claim on a phone shows its whole error in the card; the holder reaches Release and the PR field', async () => {
    const bob = await phone();
    await signIn(bob.page, app.url, 'bob', `/fix?q=${encodeURIComponent(LONG_A)}`);
    const row = bob.page.locator(`[data-testid=breakage][data-job="${LONG_A}"]`);
    // Someone else claims it first, through the API.
    const other = await phone();
    await signIn(other.page, app.url, 'frank', '/claims');
    const me = await (await other.page.request.get(`${app.url}/api/me`)).json() as { csrf: string };
    const id = await row.getAttribute('data-id');
    expect((await other.page.request.post(`${app.url}/api/breakages/${id}/claim`, { headers: { 'x-csrf-token': me.csrf }, data: {} })).status()).toBe(201);
    await row.locator('[data-testid=claim]').click();
    await row.locator('[data-testid=claim-error]').waitFor();
    expect(await offScreen(bob.page, `[data-testid=breakage][data-job="${LONG_A}"] [data-testid=claim-error]`)).toEqual([]);
    const box = await row.locator('[data-testid=claim-error]').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(await pageWidth(bob.page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(bob.page, 'claim-error-phone');

    // The holder's claims page: Release and the PR field are on screen too.
    await visit(other.page, `${app.url}/claims`);
    for (const sel of ['button', 'input[name=prUrl]']) {
      expect(await offScreen(other.page, `.holder-group [data-testid=claim-cell] ${sel}`), sel).toEqual([]);
    }
    expect(await other.page.locator('.holder-group [data-testid=claim-cell] button').count()).toBe(2);
    expect(await pageWidth(other.page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(other.page, 'claims-held-phone');
  }, 120_000);

  it('a check of long package names, and its answer, fit a phone', async () => {
    for (const [vp, size] of [[PHONE, 'phone'], [LAPTOP, 'laptop']] as const) {
      const b = await open({ viewport: vp, isMobile: vp === PHONE });
      await visit(b.page, `${app.url}/check`);
      const attr = (job: string) => job.slice(0, job.lastIndexOf('.'));
      await b.page.fill('[data-testid=check-form] textarea[name=text]', [`${attr(LONG_A)} ${X}`, `${attr(LONG_B)} ${A}`, `hello ${X}`, `zlib ${X}`, `git ${X}`].join('\n'));
      await b.page.locator('[data-testid=check-form] button').click();
      await b.page.waitForSelector('[data-testid=check-result]');
      expect(await b.page.locator('[data-testid=check-result] tbody tr').count()).toBe(5);
      expect(await pageWidth(b.page)).toBeLessThanOrEqual(vp.width);
      expect(await cutTables(b.page)).toEqual([]);
      expect(await offScreen(b.page, '[data-testid=check-result] td a')).toEqual([]);
      await screenshot(b.page, `check-result-${size}`);
    }
  }, 120_000);

  it('build statuses are words, and the job history strip has a legend, at both widths', async () => {
    for (const [vp, size] of [[PHONE, 'phone'], [LAPTOP, 'laptop']] as const) {
      const b = await open({ viewport: vp, isMobile: vp === PHONE });
      await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/libfoo.${X}`);
      // libfoo: green in e1, then its dependency failed (Hydra's status 2) in e2 and later.
      const statuses = await b.page.locator('[data-testid=job-history] tbody [data-label=status]').allTextContents();
      expect(statuses.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['dependency failed 2', 'dependency failed 2', 'dependency failed 2', 'succeeded 0']);
      const legend = (await b.page.locator('[data-testid=timeline-legend]').textContent())!.replace(/\s+/g, ' ');
      for (const word of ['oldest left', 'success', 'failure', 'pending', 'infra', 'timed out']) expect(legend).toContain(word);
      expect(await offScreen(b.page, '[data-testid=timeline-legend] > span')).toEqual([]);
      expect(await pageWidth(b.page)).toBeLessThanOrEqual(vp.width);
      await screenshot(b.page, `job-history-${size}`);
      await visit(b.page, `${app.url}/evals/${app.facts.e4.id}?q=hello`);
      await expect(b.page.locator('[data-testid=eval-rows] tbody [data-label=status]').first().textContent()).resolves.toMatch(/^\s*failed\s+1\s*$/);
    }
  }, 120_000);

  it('trends leave the weeks before the record blank, not zero, and say when it begins', async () => {
    for (const [vp, size] of [[PHONE, 'phone'], [LAPTOP, 'laptop']] as const) {
      const b = await open({ viewport: vp, isMobile: vp === PHONE });
      await visit(b.page, `${app.url}/trends?range=26w`);
      await expect(b.page.locator('[data-testid=trends-since]').textContent()).resolves.toContain("zhf's record of nixpkgs/unstable begins");
      // The oldest eval (e1) is in the week before this one: every earlier week is a gap.
      const rows = await b.page.locator('[data-testid=chart-open] [data-testid=chart-numbers] tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
      expect(rows.length).toBeGreaterThan(20);
      expect(rows.slice(0, -2).every(([, v]) => v === '—'), JSON.stringify(rows)).toBe(true);
      expect(rows.slice(-2).map(([, v]) => v)).toEqual(['1', expect.stringMatching(/^\d+$/)]);
      const opened = await b.page.locator('[data-testid=chart-opened-fixed] [data-testid=chart-numbers] tbody tr').last().locator('td').allTextContents();
      expect(opened[0]).toBe(String(app.facts.weekJobs.length + 2));
      expect(await b.page.locator('[data-testid=chart-empty]').count()).toBe(0);
      expect(await pageWidth(b.page)).toBeLessThanOrEqual(vp.width);
      await b.page.locator('[data-testid=chart-open] details.chart-numbers summary').click();
      expect(await cutTables(b.page)).toEqual([]);
      await screenshot(b.page, `trends-gaps-${size}`);
    }
  }, 120_000);

  it('overview gate pills stay inside their card on a phone', async () => {
    const b = await phone();
    await visit(b.page, app.url);
    const outside = await b.page.$$eval('[data-testid=jobset-card]', (cards) => cards.flatMap((card) => {
      const c = card.getBoundingClientRect();
      return [...card.querySelectorAll('.pill, a, .tile')].flatMap((el) => {
        const r = el.getBoundingClientRect();
        return r.right > c.right + 0.5 || r.left < c.left - 0.5 ? [`${(el.textContent ?? '').trim()} (${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(c.left)}..${Math.round(c.right)})`] : [];
      });
    }));
    expect(outside).toEqual([]);
    await expect(b.page.locator('[data-testid=gate-unstable] .blocking li').count()).resolves.toBe(4);
  }, 60_000);
});
