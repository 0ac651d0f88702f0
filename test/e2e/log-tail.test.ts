/**
 * "Why it failed" where people look: the log disclosure of a fix-list row and of a job page's
 * breakage opens to the failing build's last lines, read from Hydra only then, in a box that
 * scrolls inside itself at phone width; without JavaScript it still links Hydra's log.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, screenshot, useApp, visit, X, PHONE, VIEWPORTS, expectFits } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the failing build\'s log on the row', () => {
  const app = useApp();
  const { open } = app;
  const logRequests = () => app.sim.counters.snapshot()['/log/:drv']?.requests ?? 0;
  /** The log as the simulated Hydra serves it, last `n` lines. */
  const hydraTail = async (buildId: number, n: number) => {
    const b = (await (await fetch(`${app.sim.url}/build/${buildId}`, { headers: { accept: 'application/json' } })).json()) as { drvpath: string };
    const text = await (await fetch(`${app.sim.url}/log/${b.drvpath.slice('/nix/store/'.length)}`)).text();
    return { drv: b.drvpath, lines: text.trimEnd().split('\n').slice(-n) };
  };
  const breakageOf = async (job: string) => {
    const list = (await (await fetch(`${app.url}/api/breakages?week=all&q=${encodeURIComponent(job)}`)).json()) as { items: { id: number; job: string; buildId: number; logUrl: string }[] };
    return list.items.find((b) => b.job === job)!;
  };
  /** A browser at `vp` on `job`'s page, with the log disclosure of breakage `id` opened. */
  const openJobLog = async (vp: { width: number; height: number }, job: string, id: number) => {
    const b = await open(vp);
    await visit(b.page, `${app.url}/jobs/nixpkgs/unstable/${job}`);
    const card = b.page.locator(`[data-testid=breakage][data-id="${id}"]`);
    await card.locator('[data-testid=log-tail] summary').click();
    return { b, card };
  };

  it('the fix list: opening "log" shows the last lines, fetched then and not before', async () => {
    const hello = await breakageOf(`hello.${X}`);
    const expected = await hydraTail(hello.buildId, 50);
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      const before = logRequests();
      await visit(b.page, `${app.url}/fix`);
      // Rendering the list asks Hydra for no log.
      expect(logRequests()).toBe(before);
      const row = b.page.locator(`[data-testid=breakage][data-job="hello.${X}"]`);
      await row.locator('[data-testid=log-tail] summary').click();
      const pre = row.locator('[data-testid=log-lines]');
      await pre.waitFor();
      expect((await pre.textContent())!.split('\n')).toEqual(expected.lines);
      expect(expected.lines.at(-1)).toBe(`error: builder for '${expected.drv}' failed with exit code 2`);
      await expect(row.locator('[data-testid=log-full]').getAttribute('href')).resolves.toBe(hello.logUrl);
      // The box is in view as it opened (no sideways scrolling), scrolls inside itself starting
      // at the end, and the page does not widen.
      const box = await pre.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, scrolled: el.scrollTop > 0 || el.scrollHeight <= el.clientHeight };
      });
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(vp.width);
      expect(box.scrolled).toBe(true);
      await expectFits(b, vp);
      await screenshot(b.page, `log-tail-fix-${name}`);
      // "show 500" asks for more (the sim's log is shorter: every line of it).
      const more = row.locator('[data-testid=log-more]');
      if (await more.count()) {
        await more.click();
        await b.page.waitForFunction((job) => {
          const el = document.querySelector(`[data-testid=breakage][data-job="${job}"] [data-testid=log-lines]`);
          return !!el && (el.textContent ?? '').split('\n').length > 50;
        }, `hello.${X}`);
      }
    }
  }, 180_000);

  it('the job page: each breakage has the disclosure; Hydra\'s refusal shows as a message', async () => {
    const zlib = await breakageOf(`zlib.${X}`);
    const expected = await hydraTail(zlib.buildId, 50);
    for (const [vp, name] of VIEWPORTS) {
      const { b, card } = await openJobLog(vp, `zlib.${X}`, zlib.id);
      const pre = card.locator('[data-testid=log-lines]');
      await pre.waitFor();
      expect((await pre.textContent())!.split('\n')).toEqual(expected.lines);
      await expectFits(b, vp);
      await screenshot(b.page, `log-tail-job-${name}`);
    }
    // A dependency failure: Hydra has no log of it, and the reader is told why.
    const dep = await breakageOf(`libfoo.${X}`);
    const { b, card } = await openJobLog(PHONE, `libfoo.${X}`, dep.id);
    const error = card.locator('[data-testid=log-error]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/failed because a dependency did/);
    await expect(card.locator('[data-testid=log-full]').getAttribute('href')).resolves.toBe(dep.logUrl);
    await expectFits(b, PHONE);
    await screenshot(b.page, 'log-tail-dependency-phone');
  }, 180_000);

  it('without JavaScript the disclosure opens to the link to Hydra\'s log, and the row keeps its own', async () => {
    const hello = await breakageOf(`hello.${X}`);
    const b = await open(PHONE, false);
    await visit(b.page, `${app.url}/fix`, false);
    const row = b.page.locator(`[data-testid=breakage][data-job="hello.${X}"]`);
    const link = row.locator('[data-testid=log-full]');
    expect(await link.isVisible()).toBe(false);
    await row.locator('[data-testid=log-tail] summary').click();
    expect(await link.isVisible()).toBe(true);
    expect(await link.getAttribute('href')).toBe(hello.logUrl);
    expect(await row.locator('[data-testid=log]').getAttribute('href')).toBe(hello.logUrl);
    await expectFits(b, PHONE);
  }, 120_000);
});
