/**
 * What a reader takes from the pages, at laptop and phone width: overview counts that add up,
 * the check page's links, counts and errors in human terms, and claim errors that name the
 * form's field and fit their box. (Status words and the strip's legend: phone.test.ts.)
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, screenshot, signIn, useApp, visit, X, type Browser, LAPTOP, VIEWPORTS, expectFits } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('what a reader takes from the pages', () => {
  const app = useApp();
  const { open } = app;
  const text = async (b: Browser, selector: string) => ((await b.page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  it('the overview\'s open breakages are this week\'s open ones plus the backlog, and says so', async () => {
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, app.url);
      const card = '[data-testid=jobset-card][data-jobset="nixpkgs/unstable"]';
      // This week: hello, libfoo, zlib and the gate open, curl fixed; the backlog: oldbroken.
      await expect(text(b, `${card} [data-testid=week-breakages]`)).resolves.toBe('5 breakages');
      await expect(text(b, `${card} [data-testid=backlog]`)).resolves.toBe('1 open from earlier weeks');
      await expect(text(b, `${card} [data-testid=open-breakages]`)).resolves.toBe('5 = 4 this week + 1 backlog');
      await screenshot(b.page, `reading-overview-${name}`);
    }
  }, 120_000);

  it('the check page: "for PR #1", package and breakage links, counts in words, errors by line', async () => {
    const report = { pr: 1, system: X, result: { [X]: { failed: ['hello', 'zlib'], built: ['git'], blacklisted: [], broken: [], 'non-existent': [], tests: [] } } };
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      const check = async (input: string) => {
        await visit(b.page, `${app.url}/check`);
        await b.page.fill('[data-testid=check-form] textarea[name=text]', input);
        await b.page.locator('[data-testid=check-form] button').click();
        await b.page.waitForSelector('[data-testid=check-result], [data-testid=check-form] ~ .form-error, .form-error');
      };
      await check(JSON.stringify(report));
      await expect(text(b, '[data-testid=check-against]')).resolves.toMatch(/\) for PR #1: 3 packages\.$/);
      const hello = b.page.locator('[data-testid=check-already-broken] tr', { hasText: 'hello' });
      await expect(hello.locator('[data-testid=package] a').getAttribute('href')).resolves.toBe(`/jobs/nixpkgs/unstable/hello.${X}`);
      const ref = hello.locator('[data-testid=breakage] a');
      const href = (await ref.getAttribute('href'))!;
      expect(href).toMatch(new RegExp(`^/jobs/nixpkgs/unstable/hello\\.${X}#breakage-\\d+$`));
      await expectFits(b, vp);
      await screenshot(b.page, `reading-check-${name}`);
      // The breakage link lands on that breakage, on the job's page.
      await Promise.all([b.page.waitForURL((u) => u.pathname === `/jobs/nixpkgs/unstable/hello.${X}`), ref.click()]);
      expect(await b.page.locator(`[data-testid=breakage]#${href.split('#')[1]}`).count()).toBe(1);

      await check(`hello ${X}`);
      await expect(text(b, '[data-testid=check-against]')).resolves.toMatch(/: 1 package\.$/);

      // Line 2 is blank: the bad system is on line 4 of the box, as the reader counts.
      await check(`hello ${X}\n\nzlib ${X}\ncurl linux`);
      await expect(text(b, '.form-error')).resolves.toBe('Line 4: system must be a system such as x86_64-linux, got "linux".');
      await expectFits(b, vp);
      await screenshot(b.page, `reading-check-error-${name}`);
    }
  }, 180_000);

  it('a claim error names the form\'s field and shows whole, on the fix list and the job page', async () => {
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      await signIn(b.page, app.url, `reader-${name}`, '/fix?claimed=all');
      const job = vp === LAPTOP ? `zlib.${X}` : `libfoo.${X}`;
      const row = b.page.locator(`[data-testid=breakage][data-job="${job}"]`);
      await row.locator('[data-testid=claim]').click();
      const prForm = row.locator('.pr-form');
      await prForm.waitFor({ state: 'visible' });
      await prForm.locator('input[name=prUrl]').fill('https://example.com/NixOS/nixpkgs/pull/12');
      await prForm.locator('button').click();
      const error = row.locator('[data-testid=claim-error]');
      await error.waitFor();
      await expect(error.textContent()).resolves.toBe('PR link: must be a GitHub pull request URL, like https://github.com/NixOS/nixpkgs/pull/123456');
      // Whole: inside its table's scroller once scrolled to, and nothing cut inside it.
      await error.scrollIntoViewIfNeeded();
      const box = await error.evaluate((e) => {
        const r = e.getBoundingClientRect();
        const w = e.closest('.table-wrap')!.getBoundingClientRect();
        return { left: r.left, right: r.right, wrapLeft: w.left, wrapRight: w.right, cut: e.scrollWidth > e.clientWidth };
      });
      expect(box.cut).toBe(false);
      expect(box.left).toBeGreaterThanOrEqual(box.wrapLeft - 1);
      expect(box.right).toBeLessThanOrEqual(box.wrapRight + 1);
      await screenshot(b.page, `reading-claim-error-fix-${name}`);

      // The job page's cards: the same words, within the page.
      await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job}`);
      const card = b.page.locator('[data-testid=breakage]').first();
      await card.locator('.pr-form input[name=prUrl]').fill('https://github.com/NixOS/nixpkgs/issues/12');
      await card.locator('.pr-form button').click();
      await expect(card.locator('[data-testid=claim-error]').textContent()).resolves.toMatch(/^PR link: /);
      await expectFits(b, vp);
      await screenshot(b.page, `reading-claim-error-job-${name}`);
    }
  }, 180_000);
});
