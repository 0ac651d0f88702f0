import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../apps/zhf/src/config.ts';
import { mountExtraRoutes, UPLOAD_PATHS } from '../../apps/dashboard/src/lib/server/api/extra.ts';
import { createApp, type ApiDeps } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { queryRows, type Database } from '../../db/src/index.ts';
import { insertSession, upsertGithubUser } from '../../db/src/queries/index.ts';
import { ScriptedHydra, type EvalHandle } from '@zhf/sim';
import { startHarness, type Harness } from '../support/collector.ts';

export const X = 'x86_64-linux';
export const A = 'aarch64-linux';
/** Monday 2026-11-02 00:00 UTC: week 2026-W45. */
export const T0 = Date.UTC(2026, 10, 2) / 1000;
/** "Now" for the API: Wednesday of the same week. */
export const NOW = new Date(Date.UTC(2026, 10, 4, 12));
export const REQUESTS = `python312Packages.requests.${X}`;

export interface Scenario {
  sim: ScriptedHydra;
  h: Harness;
  e1: EvalHandle;
  e2: EvalHandle;
  e3: EvalHandle;
}

/**
 * Three evals of nixpkgs/unstable, ingested by the real collector from the simulated Hydra:
 * broken (failing in e1, fixed in e3), hello.aarch64 / requests / newjob (open from e2),
 * depfail (open, dependency), gone (failed in e2, removed in e3).
 */
export async function ingestScenario(database: Database, opts: { packagesJson?: boolean } = {}): Promise<Scenario> {
  const sim = new ScriptedHydra({ start: T0 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const e1 = sim.eval(js, { jobs: {
    [`hello.${X}`]: 'success', [`hello.${A}`]: 'success', [REQUESTS]: 'success', [`broken.${X}`]: 'failure',
    [`depfail.${X}`]: 'success', [`gone.${X}`]: 'success', [`steady.${A}`]: 'success',
  } });
  sim.advance(3600);
  const e2 = sim.eval(js, { jobs: {
    [`hello.${X}`]: 'reuse', [`hello.${A}`]: 'failure', [REQUESTS]: 'failure', [`broken.${X}`]: 'reuse',
    [`depfail.${X}`]: 'dep', [`gone.${X}`]: 'failure', [`newjob.${X}`]: 'failure', [`steady.${A}`]: 'reuse',
  } });
  sim.advance(3600);
  const e3 = sim.eval(js, { jobs: {
    [`hello.${X}`]: 'reuse', [`hello.${A}`]: 'reuse', [REQUESTS]: 'reuse', [`broken.${X}`]: 'success',
    [`depfail.${X}`]: 'reuse', [`newjob.${X}`]: 'reuse', [`steady.${A}`]: 'reuse',
  } });
  // With packagesJson, the simulated channel's file (whose maintainers simMaintainersOf tells).
  let channel: string | null = null;
  const h = await startHarness(database, sim, { collector: { packagesJsonUrl: () => channel } });
  if (opts.packagesJson) channel = `${h.sim.url}/channel/nixpkgs-unstable/packages.json.br`;
  const [report] = await h.collector.syncAll(['nixpkgs/unstable']);
  if (report?.error) throw new Error(`sync failed: ${report.error}`);
  return { sim, h, e1, e2, e3 };
}

export function testConfig(env: Record<string, string> = {}) {
  return loadConfig({ ZHF_JOBSETS: 'nixpkgs/unstable', ZHF_DEV_LOGIN: '1', ZHF_MAINTAINERS: 'Mona', HYDRA_URL: 'https://hydra.example.org', ...env });
}

export function makeApp(database: Database, over: Partial<ApiDeps> = {}) {
  return createApp({ database, config: testConfig(), now: () => NOW, ...over });
}

export type App = ReturnType<typeof makeApp>;

/** The app as the server builds it: with the collector's feature routes and their upload limit. */
export function serverApp(database: Database, config = testConfig(), over: Partial<ApiDeps> = {}): App {
  return createApp({ database, config, now: () => NOW, ...over }, {
    extraRoutes: (api) => mountExtraRoutes(api, { database, config }), largeBodyPaths: UPLOAD_PATHS,
  });
}

export interface ScenarioApp {
  s: Scenario;
  app: App;
}

/**
 * A describe block's scenario and app, in one call inside it: ingests the scenario before the
 * block's tests and builds the app over it (`makeApp`, or `build`); closes the simulated Hydra
 * after them, or at once with `closeHydra` for blocks that never ask it. Read `t.s` and `t.app`
 * inside tests.
 */
export function useScenario(get: () => Database, opts: { closeHydra?: boolean; build?: (database: Database, s: Scenario) => App } = {}): ScenarioApp {
  const t = {} as ScenarioApp;
  beforeAll(async () => {
    t.s = await ingestScenario(get());
    if (opts.closeHydra) await t.s.h.close();
    t.app = opts.build ? opts.build(get(), t.s) : makeApp(get());
  });
  afterAll(async () => {
    await t.s?.h.close();
  });
  return t;
}

export interface Session {
  handle: string;
  cookie: string;
  csrf: string;
}

export async function devLogin(app: App, handle: string): Promise<Session> {
  const res = await app.request('/auth/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle }) });
  if (res.status !== 200) throw new Error(`dev login as ${handle}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { csrf: string };
  const cookie = /zhf_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return { handle, cookie: `zhf_session=${cookie}`, csrf: body.csrf };
}

let githubIds = 1000;

/**
 * A session of a GitHub-linked user, as the OAuth callback would store it (dev login refuses
 * maintainer handles and GitHub accounts). The OAuth flow itself is tested in auth.test.ts.
 */
export async function githubSession(database: Database, handle: string): Promise<Session> {
  const user = await upsertGithubUser(database.db, { githubId: githubIds++, login: handle, name: null, avatarUrl: null });
  const value = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  await insertSession(database.db, { idHash: createHash('sha256').update(value).digest('hex'), userId: user.id, csrf, expiresAt: new Date(NOW.getTime() + 86_400_000) });
  return { handle, cookie: `zhf_session=${value}`, csrf };
}

/** A JSON request, signed in as `as` (with its CSRF token) when given. */
export async function call(app: App, method: string, path: string, opts: { as?: Session; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  if (opts.as) Object.assign(headers, { cookie: opts.as.cookie, 'x-csrf-token': opts.as.csrf });
  Object.assign(headers, opts.headers);
  const res = await app.request(path, { method, headers, body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Breakage id of a job (by name) in nixpkgs/unstable. */
export async function breakageId(database: Database, job: string): Promise<number> {
  const [r] = await queryRows<{ id: number }>(database.db, sql`
    select bk.id from breakages bk join jobs j on j.id = bk.job_id where j.name = ${job} order by bk.opened_eval_id desc limit 1`);
  if (!r) throw new Error(`no breakage for ${job}`);
  return r.id;
}

export async function rowCounts(database: Database) {
  const [r] = await queryRows<Record<string, string | number>>(database.db, sql`
    select (select count(*) from claims) as claims, (select count(*) from users) as users, (select count(*) from sessions) as sessions,
      (select count(*) from breakages) as breakages,
      (select coalesce(string_agg(id || ':' || coalesce(pr_url, '') || ':' || coalesce(note, '') || ':' || coalesce(released_at::text, ''), ',' order by id), '') from claims) as claim_state`);
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v]));
}
