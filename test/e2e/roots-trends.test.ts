/**
 * Roots in Chromium: the trends page charts the few roots beside the many failing jobs, and the
 * roundup lists them first. A history of its own: three broken libraries behind most red jobs.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isoWeekOf, weekRange } from '../../apps/collector/src/pure/week.ts';
import { ScriptedHydra, type EvalHandle, type JobValue } from '@zhf/sim';
import { canvasDrawn, CHROMIUM, screenshot, useApp, visit, LAPTOP, PHONE } from './harness.ts';

const X = 'x86_64-linux';
const DAY = 86_400;

const OPENSSL_DEPS = ['curl', 'wget', 'git', 'python3', 'nodejs', 'ruby', 'php', 'postgresql', 'nginx', 'openssh', 'rustc', 'go'];
const GLIB_DEPS = ['gtk3', 'pango', 'cairo', 'gdk-pixbuf', 'librsvg', 'gimp', 'inkscape'];
const ICU_DEPS = ['harfbuzz', 'libxml2', 'boost'];

/**
 * Eight evals: four in the previous week (openssl breaks, its dependents follow), four in this
 * one (glib and icu break, their dependents follow, one more job behind openssl). Every root
 * stays broken, so the collector's one pass reads every dependent's cause.
 */
function history(nowMs = Date.now()) {
  const now = Math.floor(nowMs / 1000);
  const weekStart = Math.floor(weekRange(isoWeekOf(nowMs)).start.getTime() / 1000);
  const span = Math.max(8, now - weekStart);
  const times = [weekStart - 6 * DAY, weekStart - 5 * DAY, weekStart - 3 * DAY, weekStart - 1 * DAY,
    weekStart + Math.floor(span * 0.2), weekStart + Math.floor(span * 0.4), weekStart + Math.floor(span * 0.6), weekStart + Math.floor(span * 0.8)];
  const sim = new ScriptedHydra({ start: times[0]!, firstEvalId: 60_000, firstBuildId: 12_000_000 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const all = ['openssl', 'glib', 'icu', 'hello', 'bash', 'jq', ...OPENSSL_DEPS, ...GLIB_DEPS, ...ICU_DEPS, 'aws-cli', 'zstd', 'xz'];
  const state: Record<string, JobValue> = Object.fromEntries(all.map((n) => [`${n}.${X}`, 'success' as JobValue]));
  const evals: EvalHandle[] = [];
  const step = (i: number, changes: Record<string, JobValue>) => {
    sim.setClock(times[i]!);
    const jobs: Record<string, JobValue> = Object.fromEntries(Object.keys(state).map((k) => [k, 'reuse' as JobValue]));
    for (const [name, v] of Object.entries(changes)) jobs[`${name}.${X}`] = v;
    if (i === 0) Object.assign(jobs, state);
    evals.push(sim.eval(js, { jobs }));
  };
  step(0, {});
  step(1, { openssl: 'failure', hello: 'failure' });
  const e2 = evals[1]!;
  step(2, Object.fromEntries(OPENSSL_DEPS.map((n) => [n, { status: 2, depFailedOn: e2.buildOf(`openssl.${X}`) }])));
  step(3, { jq: 'failure' });
  step(4, { glib: 'failure', jq: 'success' });
  const e5 = evals[4]!;
  step(5, { ...Object.fromEntries(GLIB_DEPS.map((n) => [n, { status: 2, depFailedOn: e5.buildOf(`glib.${X}`) }])), icu: 'failure' });
  const e6 = evals[5]!;
  step(6, { ...Object.fromEntries(ICU_DEPS.map((n) => [n, { status: 2, depFailedOn: e6.buildOf(`icu.${X}`) }])), bash: 'failure' });
  step(7, { 'aws-cli': { status: 2, depFailedOn: e2.buildOf(`openssl.${X}`) } });
  sim.setClock(now);
  const last = evals[7]!;
  return {
    sim, last, week: isoWeekOf(nowMs),
    /** The last eval: openssl, glib, icu, hello and bash fail directly; 23 jobs behind the three roots. */
    lastCounts: { failing: 28, roots: 3, blocked: 23 },
  };
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('roots on the trends and roundup pages', () => {
  const app = useApp<ReturnType<typeof history>>(history);
  const { open } = app;

  it('charts the roots beside the failing jobs, with what the latest eval says in words', async () => {
    const { last, lastCounts } = app.facts;
    for (const [name, viewport] of [['trends-roots', LAPTOP], ['trends-roots-phone', PHONE]] as const) {
      const b = await open({ viewport, isMobile: viewport === PHONE });
      await visit(b.page, `${app.url}/trends`);
      await b.page.waitForFunction(() => {
        const c = document.querySelector('[data-testid=chart-roots] canvas') as HTMLCanvasElement | null;
        return !!c && c.width > 0;
      });
      expect(await canvasDrawn(b.page, '[data-testid=chart-roots] canvas')).toBe(true);
      await expect(b.page.locator('[data-testid=roots-latest]').textContent()).resolves.toBe(
        `Eval ${last.id}: ${lastCounts.failing} failing jobs; ${lastCounts.blocked} of them fail because of ${lastCounts.roots} roots.`,
      );
      expect(await b.page.locator('[data-testid=roots-empty]').count()).toBe(0);
      // Nothing wider than the screen.
      expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await screenshot(b.page, name);
    }
  }, 120_000);

  it('the roundup lists the roots first', async () => {
    const b = await open({ viewport: LAPTOP });
    await visit(b.page, `${app.url}/roundup`);
    const rendered = b.page.locator('[data-testid=roundup-rendered]');
    // This week's dependents: glib's 7, icu's 3, and aws-cli behind last week's openssl.
    await expect(rendered.locator('h4').first().textContent()).resolves.toBe('Fix these first: 3 roots block 23 jobs');
    const items = await rendered.locator('ul').first().locator('li').allTextContents();
    expect(items.map((t) => /(\S+\.x86_64-linux).*blocks (\d+) jobs/.exec(t)?.slice(1))).toEqual([
      [`openssl.${X}`, '13'], [`glib.${X}`, '7'], [`icu.${X}`, '3'],
    ]);
    await expect(b.page.locator('[data-testid=roundup-roots]').textContent()).resolves.toBe("3 roots first, behind 11 of the week's dependency failures");
    await screenshot(b.page, 'roundup-roots');
  }, 120_000);
});
