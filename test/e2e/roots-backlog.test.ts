/**
 * A week without roots points at the backlog's (SPEC section 8), in Chromium: the roots broke in
 * the previous week and are still broken, so this week's fix list has none of its own and says
 * how many roots the backlog has under the same filters, linking to them. At 1280 and 390 px.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isoWeekOf, weekRange } from '../../apps/collector/src/pure/week.ts';
import { ScriptedHydra, type EvalHandle, type JobValue } from '@zhf/sim';
import { CHROMIUM, expectFits, screenshot, useApp, visit, VIEWPORTS, LAPTOP } from './harness.ts';

const X = 'x86_64-linux';
const DAY = 86_400;
const job = (n: string) => `${n}.${X}`;
const OPENSSL_DEPS = ['curl', 'git', 'python3'];
const LIBXML2_DEPS = ['libxslt'];

/**
 * Four evals in the previous week (green; openssl and libxml2 fail; their dependents fail behind
 * them) and one in this week that rebuilds nothing: every breakage is in the backlog.
 */
function history(nowMs = Date.now()) {
  const now = Math.floor(nowMs / 1000);
  const weekStart = Math.floor(weekRange(isoWeekOf(nowMs)).start.getTime() / 1000);
  const span = Math.max(4, now - weekStart);
  const times = [weekStart - 6 * DAY, weekStart - 5 * DAY, weekStart - 4 * DAY, weekStart - 3 * DAY, weekStart + Math.floor(span / 2)];
  const sim = new ScriptedHydra({ start: times[0]!, firstEvalId: 70_000, firstBuildId: 13_000_000 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const all = ['openssl', 'libxml2', 'hello', ...OPENSSL_DEPS, ...LIBXML2_DEPS];
  const evals: EvalHandle[] = [];
  const step = (i: number, changes: Record<string, JobValue>) => {
    sim.setClock(times[i]!);
    const jobs: Record<string, JobValue> = Object.fromEntries(all.map((n) => [job(n), (i === 0 ? 'success' : 'reuse') as JobValue]));
    for (const [name, v] of Object.entries(changes)) jobs[job(name)] = v;
    evals.push(sim.eval(js, { jobs }));
  };
  step(0, {});
  step(1, { openssl: 'failure', libxml2: 'failure', ...Object.fromEntries([...OPENSSL_DEPS, ...LIBXML2_DEPS].map((n) => [n, 'pending' as JobValue])) });
  const broke = evals[1]!;
  step(2, {
    ...Object.fromEntries(OPENSSL_DEPS.map((n) => [n, { status: 2, depFailedOn: broke.buildOf(job('openssl')) }])),
    ...Object.fromEntries(LIBXML2_DEPS.map((n) => [n, { status: 2, depFailedOn: broke.buildOf(job('libxml2')) }])),
  });
  step(3, {});
  step(4, {});
  sim.setClock(now);
  return { sim };
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('a week without roots points at the backlog', () => {
  const app = useApp<ReturnType<typeof history>>(history);
  const { open } = app;

  it('says "no root this week; N roots in the backlog" and links to them, keeping the filters', async () => {
    for (const [vp, name] of VIEWPORTS) {
      const b = await open(vp);
      await visit(b.page, `${app.url}/fix`);
      expect(await b.page.locator('[data-testid=root]').count()).toBe(0);
      expect(await b.page.locator('[data-testid=no-roots]').count()).toBe(0);
      const hint = b.page.locator('[data-testid=backlog-roots]');
      await expect(hint.textContent()).resolves.toMatch(/^No root this week;\s+2 roots in the backlog\.$/);
      await expectFits(b, vp);
      await screenshot(b.page, `fix-roots-in-backlog-${name}`);
      await Promise.all([b.page.waitForURL(/week=backlog/), hint.locator('a').click()]);
      await b.page.waitForSelector('html[data-hydrated]', { state: 'attached' });
      expect(await b.page.locator('[data-testid=root]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job'))))
        .toEqual([job('openssl'), job('libxml2')]);
    }
  }, 180_000);

  it('one root: singular, and the link keeps the filters; none in the backlog either: the plain sentence', async () => {
    const b = await open(LAPTOP);
    await visit(b.page, `${app.url}/fix?q=libxml2&system=${X}`);
    const hint = b.page.locator('[data-testid=backlog-roots]');
    await expect(hint.textContent()).resolves.toMatch(/^No root this week under these filters;\s+1 root in the backlog\.$/);
    const href = new URL(await hint.locator('a').getAttribute('href') ?? '', app.url);
    expect(Object.fromEntries(href.searchParams)).toEqual({ q: 'libxml2', system: X, week: 'backlog' });
    await Promise.all([b.page.waitForURL(/week=backlog/), hint.locator('a').click()]);
    expect(await b.page.locator('[data-testid=root]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')))).toEqual([job('libxml2')]);

    // A past week is named as such.
    const lastWeek = isoWeekOf(weekRange(isoWeekOf(Date.now())).start.getTime() - 3 * DAY * 1000);
    const weekBefore = isoWeekOf(weekRange(lastWeek).start.getTime() - 3 * DAY * 1000);
    await visit(b.page, `${app.url}/fix?week=${weekBefore}`);
    await expect(hint.textContent()).resolves.toMatch(new RegExp(`^No root in ${weekBefore};\\s+2 roots in the backlog\\.$`));

    // Nothing in the backlog under these filters: no pointer, the plain sentence.
    await visit(b.page, `${app.url}/fix?q=zzz-no-such-job`);
    expect(await hint.count()).toBe(0);
    await expect(b.page.locator('[data-testid=no-roots]').textContent()).resolves.toContain('No direct failure here blocks another job under these filters');
    // The backlog itself lists its roots and no pointer.
    await visit(b.page, `${app.url}/fix?week=backlog`);
    expect(await b.page.locator('[data-testid=root]').count()).toBe(2);
    expect(await hint.count()).toBe(0);
  }, 120_000);
});
