/**
 * What a person needs next to a failure, where they look: Hydra's log of the failing build on
 * the fix list and the job page (of the Hydra zhf follows), and a Claim button on the job page.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import type { Logger } from '../../apps/collector/src/log.ts';
import { Collector } from '../../apps/collector/src/sync.ts';
import { CHROMIUM, screenshot, signIn, useApp, visit, X, VIEWPORTS, expectFits } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('failures where users look', () => {
  const app = useApp();
  const { open } = app;
  const buildOf = async (job: string) => {
    const list = (await (await fetch(`${app.url}/api/breakages?week=all&q=${encodeURIComponent(job)}`)).json()) as { items: { job: string; buildId: number; logUrl: string }[] };
    return list.items.find((b) => b.job === job)!;
  };

  it('the fix list and the job page link the failing build\'s log on the Hydra zhf follows', async () => {
    const hello = await buildOf(`hello.${X}`);
    const log = `${app.sim.url}/build/${hello.buildId}/log`;
    expect(hello.logUrl).toBe(log);
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/fix`);
      const row = b.page.locator(`[data-testid=breakage][data-job="hello.${X}"]`);
      await expect(row.locator('[data-testid=log]').getAttribute('href')).resolves.toBe(log);
      await expectFits(b, vp);
      await screenshot(b.page, `failures-fix-${name}`);
      await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/hello.${X}`);
      const hrefs = await b.page.locator('[data-testid=log]').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
      // The first failure, the breakage row and the failing history rows.
      expect(hrefs.length).toBeGreaterThanOrEqual(3);
      expect(new Set(hrefs)).toEqual(new Set([log]));
      await expectFits(b, vp);
      await screenshot(b.page, `failures-job-${name}`);
    }
  }, 180_000);

  it('check results link the log of a package failing on Hydra', async () => {
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/check`);
      await b.page.fill('[data-testid=check-form] textarea[name=text]', `hello ${X}\nzlib ${X}`);
      await b.page.click('[data-testid=check-form] button');
      await b.page.waitForSelector('[data-testid=check-result]');
      const hrefs = await b.page.locator('[data-testid=check-result] [data-testid=log]').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
      expect(hrefs).toHaveLength(2);
      for (const h of hrefs) expect(h).toMatch(new RegExp(`^${app.sim.url}/build/[0-9]+/log$`));
      await expectFits(b, vp);
      await screenshot(b.page, `failures-check-${name}`);
    }
  }, 180_000);

  it('the job page has a Claim button signed in and "sign in to claim" for anonymous readers', async () => {
    const job = `zlib.${X}`;
    for (const [vp, name] of VIEWPORTS) {
      const anon = await open(vp);
      await visit(anon.page, `${app.url}/jobs/nixpkgs/unstable/${job}`);
      const link = anon.page.locator('[data-testid=breakage] [data-testid=claim-cell] a', { hasText: 'sign in to claim' });
      await expect(link.getAttribute('href')).resolves.toBe(`/signin?next=${encodeURIComponent(`/jobs/nixpkgs/unstable/${job}`)}`);
      await screenshot(anon.page, `failures-job-anonymous-${name}`);
    }
    for (const [vp, name] of VIEWPORTS) {
      const who = `ivan-${name}`;
      const b = await open(vp);
      await signIn(b.page, app.url, who, `/jobs/nixpkgs/unstable/${job}`);
      const cell = b.page.locator('[data-testid=breakage] [data-testid=claim-cell]');
      if (name === 'laptop') {
        await b.page.click('[data-testid=breakage] [data-testid=claim]');
        await expect(cell.locator('[data-testid=holder]').textContent()).resolves.toContain(`@${who}`);
        await b.page.waitForSelector('[data-testid=breakage] form[data-pr-by]:not([hidden])');
      } else {
        // Claimed by the laptop reader: this one sees the holder, not their own forms.
        await expect(cell.locator('[data-testid=holder]').textContent()).resolves.toContain('@ivan-laptop');
        await expect(b.page.locator('[data-testid=breakage] form[data-pr-by]').isHidden()).resolves.toBe(true);
      }
      await expectFits(b, vp);
      await screenshot(b.page, `failures-job-signed-in-${name}`);
    }
    const claimed = (await (await fetch(`${app.url}/api/breakages?week=all&q=${encodeURIComponent(job)}`)).json()) as { items: { job: string; claim: { by: string } | null }[] };
    expect(claimed.items.find((b) => b.job === job)?.claim?.by).toBe('ivan-laptop');
  }, 180_000);

  it('when Hydra cannot be read, every page shows a banner with the reason and the next retry, and each failed pass logs one line', async () => {
    const lines: string[] = [];
    const keep = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
    const log: Logger = { debug() {}, info() {}, warn: keep('warn'), error: keep('error') };
    // Nothing listens on port 1: every request is refused, and retried as a real outage would be.
    const client = new HydraClient({ baseUrl: 'http://127.0.0.1:1', userAgent: 'zhf-test', rps: 1000, burst: 1000, retryBaseMs: 1, maxBackoffMs: 2, maxAttempts: 4, logger: log });
    const collector = new Collector(app.runtime.database, client, { backfillEvals: 3, rps: 1000, packagesJsonUrl: () => null }, log);
    for (let pass = 1; pass <= 2; pass++) {
      const [report] = await collector.syncAll(['nixpkgs/unstable']);
      expect(report?.error).toMatch(/ECONNREFUSED|fetch failed/);
      expect(lines.filter((l) => l.startsWith('warn') || l.startsWith('error'))).toHaveLength(pass);
    }
    expect(lines[0]).toBe('error sync failed');
    client.close();
    const next = new Date(Date.now() + 15 * 60_000);
    next.setUTCSeconds(0, 0);
    app.runtime.nextSyncAt = () => next;
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      for (const path of ['/?outage=1', `/jobs/nixpkgs/unstable/hello.${X}?outage=1`]) {
        await visit(b.page, `${app.url}${path}`);
        const banner = b.page.locator('[data-testid=sync-banner]');
        await expect(banner.isVisible()).resolves.toBe(true);
        const text = (await banner.textContent())!;
        expect(text).toContain('nixpkgs/unstable');
        expect(text).toMatch(/ECONNREFUSED|fetch failed/);
        await expect(banner.locator('[data-testid=next-retry]').getAttribute('datetime')).resolves.toBe(next.toISOString());
        await expectFits(b, vp);
      }
      await screenshot(b.page, `failures-sync-banner-${name}`);
    }
  }, 180_000);
});
