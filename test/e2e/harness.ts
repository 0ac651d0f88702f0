/**
 * End-to-end harness: a scripted Hydra history placed in the current ISO week, synced by
 * the real collector into an embedded database, served by the one-process zhf server with the
 * built dashboard, and driven by Debian's headless Chromium through playwright-core.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../apps/zhf/src/config.ts';
import { silentLogger } from '../../apps/collector/src/log.ts';
import { createRuntime, type Runtime } from '../../apps/zhf/src/runtime.ts';
import { buildIsStale } from '../../apps/zhf/src/build-freshness.ts';
import { startHydraSim, type DataSource, type RunningHydraSim } from '@zhf/sim';
import { scenario } from './scenario.ts';

export { A, X, scenario } from './scenario.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dashboard = join(root, 'apps/dashboard');
export const SCREENSHOTS = join(root, 'test-artifacts/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The two widths every page is checked at: a laptop and a phone. */
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const VIEWPORTS = [[LAPTOP, 'laptop'], [PHONE, 'phone']] as const;

/** The page fits its viewport: nothing makes it scroll sideways. */
export async function expectFits(b: { page: Page }, vp: { width: number }): Promise<void> {
  expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(vp.width + 1);
}
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Builds the dashboard when its sources are newer than the build (or ZHF_E2E_BUILD=1). */
export function ensureBuild(): void {
  if (process.env.ZHF_E2E_BUILD !== '1' && !buildIsStale(join(dashboard, 'build/handler.js'), [join(dashboard, 'src'), join(dashboard, 'svelte.config.js')])) return;
  const r = spawnSync('npx', ['vite', 'build'], { cwd: dashboard, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dashboard build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export interface Running<F = ReturnType<typeof scenario>> {
  url: string;
  runtime: Runtime;
  sim: RunningHydraSim;
  facts: F;
  close(): Promise<void>;
}

/** The app on `make()`'s history (the shared scenario unless a suite needs its own). */
export async function startApp<F extends { sim: DataSource } = ReturnType<typeof scenario>>(
  make: () => F = scenario as unknown as () => F,
  /** Settings beside the harness's own (they win): other jobsets, ZHF_GITHUB_API_URL. */
  env: Record<string, string> = {},
): Promise<Running<F>> {
  const facts = make();
  // Imported here so a missing server module fails this suite with its own message.
  const { startServer } = await import('../../apps/zhf/src/server.ts');
  const sim = await startHydraSim(facts.sim, { rateLimit: false });
  const dataDir = mkdtempSync(join(tmpdir(), 'zhf-e2e-'));
  const config = loadConfig({
    HYDRA_URL: sim.url, ZHF_JOBSETS: 'nixpkgs/unstable', ZHF_DATA_DIR: dataDir, ZHF_DEV_LOGIN: '1',
    ZHF_HYDRA_RPS: '1000', ZHF_HYDRA_BURST: '1000', ZHF_MAINTAINERS: 'maint',
    // The simulated channel's file: its maintainers are simMaintainersOf(attribute path).
    ZHF_PACKAGES_JSON: `${sim.url}/channel/nixpkgs-unstable/packages.json.br`,
    ...env,
  });
  const runtime = await createRuntime(config, silentLogger);
  const [report] = await runtime.collector.syncAll(config.jobsets);
  if (report?.error) throw new Error(`sync failed: ${String(report.error)}`);
  // No ORIGIN here: the server must accept same-origin form posts as `npm start` runs it.
  const server = await startServer(runtime, { port: 0, host: '127.0.0.1' });
  return {
    url: server.url, runtime, sim, facts,
    async close() {
      await server.close();
      await runtime.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A suite's app and browsers: `Running` once the suite's beforeAll ran, plus `open`. */
export type SuiteApp<F> = Running<F> & {
  /** A browser at `viewport` (a phone's is mobile), or with explicit options; closed after the suite. */
  open(viewport?: { width: number; height: number } | Parameters<typeof openBrowser>[0], javaScript?: boolean): Promise<Browser>;
};

/**
 * The suite's lifecycle in one call, inside `describe`: builds the dashboard and starts the app
 * before the suite's tests (startApp's arguments), closes its browsers and the app after them.
 */
export function useApp<F extends { sim: DataSource } = ReturnType<typeof scenario>>(...args: Parameters<typeof startApp<F>>): SuiteApp<F> {
  let running: Running<F> | undefined;
  const browsers: Browser[] = [];
  beforeAll(async () => {
    ensureBuild();
    running = await startApp<F>(...args);
  }, 300_000);
  afterAll(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    await running?.close();
  });
  const open: SuiteApp<F>['open'] = async (vp = {}, javaScript = true) => {
    const opts = 'width' in vp ? { viewport: vp, isMobile: vp === PHONE, javaScript } : vp;
    const b = await openBrowser(opts);
    browsers.push(b);
    return b;
  };
  return new Proxy({} as SuiteApp<F>, {
    get(_t, key) {
      if (key === 'open') return open;
      if (!running) throw new Error(`the app is not started yet (read ${String(key)} inside a test)`);
      return running[key as keyof Running<F>];
    },
  });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** One person's browser: its own Chromium with a fresh user-data-dir (own cookies). */
export async function openBrowser(opts: { javaScript?: boolean; viewport?: { width: number; height: number }; isMobile?: boolean } = {}): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'zhf-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    javaScriptEnabled: opts.javaScript ?? true,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    isMobile: opts.isMobile,
    hasTouch: opts.isMobile,
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Navigates and, when JavaScript runs, waits until SvelteKit has hydrated the page. */
export async function visit(page: Page, url: string, javaScript = true): Promise<void> {
  await page.goto(url);
  if (javaScript) await page.waitForSelector('html[data-hydrated]', { state: 'attached' });
}

/** Dev sign-in through the plain form; lands on `next`, hydrated when JavaScript runs. */
export async function signIn(page: Page, url: string, handle: string, next = '/fix', javaScript = true): Promise<void> {
  await page.goto(`${url}/signin?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=handle]', handle);
  await Promise.all([page.waitForURL((u) => u.pathname === next.split('?')[0]), page.click('[data-testid=dev-login] button')]);
  if (javaScript) await page.waitForSelector('html[data-hydrated]', { state: 'attached' });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Whether a canvas has any non-transparent pixel: the chart drew something. */
export async function canvasDrawn(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (el) => {
    const c = el as HTMLCanvasElement;
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return false;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
    return painted > 50;
  });
}
