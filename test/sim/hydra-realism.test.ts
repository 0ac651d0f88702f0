// Protects: the simulated Hydra's costs and proxy behaviour that issue 17 measures clients by:
// the cost model per endpoint, /api/latestbuilds and /api/queue as API.pm answers them, the bulk
// list's 504 and cut stream, the filter's HTML, and the strict and nginx-like rate limiters.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DEFAULT_COSTS, ScriptedHydra, startHydraSim, type HydraSimOptions, type RunningHydraSim } from '@zhf/sim';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const H = { accept: 'application/json', 'user-agent': 'zhf-test (+https://example.org/zhf)' };
let sim: ScriptedHydra;
let srv: RunningHydraSim;

async function restart(opts: HydraSimOptions) {
  await srv.close();
  srv = await startHydraSim(sim, opts);
}

beforeEach(async () => {
  sim = new ScriptedHydra({ start: T0 });
  srv = await startHydraSim(sim, { rateLimit: false, seed: 4 });
});
afterEach(async () => {
  await srv.close();
});

const getJson = async (path: string, headers: Record<string, string> = H) => {
  const r = await fetch(srv.url + path, { headers });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body, res: r };
};

function jobs(n: number, value: 'success' | 'failure' | 'pending' = 'success', prefix = 'p') {
  const out: Record<string, typeof value> = {};
  for (let i = 0; i < n; i++) out[`${prefix}${i}.x86_64-linux`] = value;
  return out;
}

test('cost model: each endpoint charges the queries its Hydra controller runs; /_sim/stats reads them', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e1 = sim.eval(js, { jobs: jobs(30) });
  const e2 = sim.eval(js, { jobs: jobs(40, 'failure') });
  const C = DEFAULT_COSTS;
  await getJson(`/eval/${e2.id}/builds`);
  expect(srv.counters.get('/eval/:id/builds').queries).toBe(C.evalChain + C.evalBuilds + 5 * 40);
  await getJson(`/build/${e1.buildOf('p0.x86_64-linux')}`);
  expect(srv.counters.get('/build/:id').queries).toBe(C.buildChain + C.buildJson);
  expect(C.buildChain + C.buildJson).toBeGreaterThanOrEqual(5);
  const latest = (await getJson('/api/latestbuilds?nr=25&project=nixpkgs&jobset=unstable')).body;
  expect(latest).toHaveLength(25);
  expect(srv.counters.get('/api/latestbuilds').queries).toBe(1 + 25);
  sim.eval(js, { jobs: jobs(7, 'pending', 'q') });
  await getJson('/api/queue?nr=1000');
  expect(srv.counters.get('/api/queue').queries).toBe(1 + 7);
  await getJson('/jobset/nixpkgs/unstable/evals');
  const evalsCost = srv.counters.get('/jobset/:project/:jobset/evals');
  expect(evalsCost.queries).toBe(C.jobsetChain + C.evalsPage + 3 * C.evalsPerEval);
  expect(evalsCost.rows).toBe(30 + 40 + 7); // the three evals' build arrays
  // /eval/{id} runs view_GET's compare for JSON too: both evals' builds are read.
  await getJson(`/eval/${e2.id}`);
  expect(srv.counters.get('/eval/:id').rows).toBe(2 * 40 + 30);
  const stats = (await getJson('/_sim/stats')).body;
  expect(stats.cost.queries).toBe(srv.counters.cost().queries);
  expect(stats.cost.requests).toBe(6);
  expect(stats.routes['/api/queue'].queries).toBe(8);
  // The stats endpoint is not Hydra: not counted, and ?reset clears.
  await getJson('/_sim/stats?reset');
  expect(srv.counters.cost()).toEqual({ requests: 0, queries: 0, rows: 0, bytes: 0 });
});

test('/api/latestbuilds: finished builds by id descending, each given filter applied, nr required and uncapped', async () => {
  const a = sim.jobset('nixpkgs', 'unstable');
  const b = sim.jobset('nixos', 'unstable');
  const e1 = sim.eval(a, { jobs: { 'x.x86_64-linux': 'success', 'y.aarch64-linux': 'failure', 'z.x86_64-linux': 'pending' } });
  const e2 = sim.eval(b, { jobs: { 'x.x86_64-linux': { status: 0, finishAt: T0 + 50 } } });
  const e3 = sim.eval(a, { jobs: { 'x.x86_64-linux': 'failure', 'y.aarch64-linux': 'reuse', 'z.x86_64-linux': 'reuse' } });
  const ids = (r: any[]) => r.map((x) => x.id);
  expect(ids((await getJson('/api/latestbuilds?nr=10')).body)).toEqual([e3.buildOf('x.x86_64-linux'), e1.buildOf('y.aarch64-linux'), e1.buildOf('x.x86_64-linux')]);
  sim.setClock(T0 + 50);
  expect(ids((await getJson('/api/latestbuilds?nr=10')).body)).toEqual([e3.buildOf('x.x86_64-linux'), e2.buildOf('x.x86_64-linux'), e1.buildOf('y.aarch64-linux'), e1.buildOf('x.x86_64-linux')]);
  expect(ids((await getJson('/api/latestbuilds?nr=10&project=nixpkgs&jobset=unstable&system=x86_64-linux')).body)).toEqual([e3.buildOf('x.x86_64-linux'), e1.buildOf('x.x86_64-linux')]);
  // An empty parameter is no filter (API.pm: `if defined $x && $x ne ""`).
  expect(ids((await getJson('/api/latestbuilds?nr=2&project=&jobset=&job=x.x86_64-linux')).body)).toEqual([e3.buildOf('x.x86_64-linux'), e2.buildOf('x.x86_64-linux')]);
  expect(ids((await getJson('/api/latestbuilds?nr=1&jobset=unstable&project=nixos')).body)).toEqual([e2.buildOf('x.x86_64-linux')]);
  const short = (await getJson('/api/latestbuilds?nr=1')).body[0];
  expect(Object.keys(short).sort()).toEqual(['buildstatus', 'finished', 'id', 'job', 'jobset', 'nixname', 'project', 'system', 'timestamp']);
  expect([short.buildstatus, short.finished]).toEqual([1, 1]);
  const many = sim.eval(a, { jobs: jobs(3000) });
  // `jobset` alone matches that name in every project (nixos:unstable's build too).
  expect((await getJson('/api/latestbuilds?nr=5000&jobset=unstable')).body).toHaveLength(3000 + 4);
  expect(many.jobs()).toHaveLength(3000);
  for (const bad of ['', '?nr=', '?nr=0', '?nr=abc', '?nr=-1']) {
    const r = await getJson(`/api/latestbuilds${bad}`);
    expect(r.status, bad).toBe(500);
    expect(typeof r.body.error).toBe('string');
  }
});

test('/api/queue: the whole instance, priority DESC then id, short shape with priority; ours can sit past the first page', async () => {
  const mine = sim.jobset('nixpkgs', 'unstable');
  const other = sim.jobset('nixos', 'release-26.05');
  const old = sim.eval(other, { jobs: jobs(50, 'pending', 'o') });
  const ours = sim.eval(mine, { jobs: { 'hello.x86_64-linux': 'pending' } });
  const urgent = sim.eval(other, { jobs: { 'u.x86_64-linux': { status: null, priority: 200 } } });
  const q = (await getJson('/api/queue?nr=1000')).body as any[];
  expect(q.map((b) => b.id)).toEqual([urgent.buildOf('u.x86_64-linux'), ...old.jobs().map((j) => old.buildOf(j)), ours.buildOf('hello.x86_64-linux')]);
  expect(q[0].priority).toBe(200);
  expect('buildstatus' in q[0]).toBe(false);
  const first = (await getJson('/api/queue?nr=20')).body as any[];
  expect(first.some((b) => b.project === 'nixpkgs')).toBe(false);
});

test('bulk list: 504 from the proxy after the configured time; Hydra still did the work', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const small = sim.eval(js, { jobs: jobs(5) });
  const big = sim.eval(js, { jobs: jobs(300) });
  srv.config.bulkList = { timeoutMs: 250, minBuilds: 100, times: 2 };
  let t = performance.now();
  const r = await fetch(`${srv.url}/eval/${big.id}/builds`, { headers: H });
  expect(r.status).toBe(504);
  expect(r.headers.get('content-type')).toContain('text/html');
  expect(await r.text()).toContain('504 Gateway Time-out');
  expect(performance.now() - t).toBeGreaterThanOrEqual(240);
  expect(srv.counters.get('/eval/:id/builds').queries).toBe(DEFAULT_COSTS.evalChain + DEFAULT_COSTS.evalBuilds + 5 * 300);
  expect((await getJson(`/eval/${small.id}/builds`)).body).toHaveLength(5); // under minBuilds
  t = performance.now();
  expect((await fetch(`${srv.url}/eval/${big.id}/builds`, { headers: H })).status).toBe(504);
  expect((await getJson(`/eval/${big.id}/builds`)).body).toHaveLength(300); // `times` used up
});

test('bulk list: cut mid-stream at the configured fraction, connection dropped', async () => {
  await restart({ rateLimit: false, bulkList: { cutAtFraction: 0.5 }, streamChunkBuilds: 16 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: jobs(1000) });
  const r = await fetch(`${srv.url}/eval/${e.id}/builds`, { headers: H });
  expect(r.status).toBe(200);
  let text = '';
  const dec = new TextDecoder();
  await expect(
    (async () => {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) text += dec.decode(chunk, { stream: true });
    })(),
  ).rejects.toThrow();
  expect(() => JSON.parse(text)).toThrow();
  // Exactly half the member builds arrived, whole.
  const got = JSON.parse(text + ']') as any[];
  expect(got).toHaveLength(500);
  srv.config.bulkList = undefined;
  expect((await getJson(`/eval/${e.id}/builds`)).body).toHaveLength(1000);
});

test('filter: a configured user agent gets 200 text/html generated text, never reaching Hydra or its limit', async () => {
  await restart({ rateLimit: { rps: 1, burst: 1, mode: 'strict' }, filter: { userAgents: ['Go-http-client', ''] } });
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: jobs(2) });
  for (const ua of ['Go-http-client/1.1', '']) {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${srv.url}/eval/${e.id}`, { headers: { accept: 'application/json', 'user-agent': ua } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/html');
      const body = await r.text();
      expect(body).toMatch(/^<!DOCTYPE html>/);
      expect(() => JSON.parse(body)).toThrow();
    }
  }
  expect(srv.counters.filtered).toBe(6);
  expect(srv.counters.cost().queries).toBe(0);
  expect(srv.counters.rateLimited).toBe(0);
  const ok = await getJson(`/eval/${e.id}`);
  expect([ok.status, ok.body.id]).toEqual([200, e.id]);
});

test('strict limiter: a token bucket of burst, then 429 as the proxy sends it (no Retry-After)', async () => {
  await restart({ rateLimit: { rps: 4, burst: 3, mode: 'strict' } });
  sim.jobset('nixpkgs', 'unstable');
  const got: [number, string | null][] = [];
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${srv.url}/project/nixpkgs`, { headers: H });
    got.push([r.status, r.headers.get('retry-after')]);
    await r.arrayBuffer();
  }
  expect(got).toEqual([[200, null], [200, null], [200, null], [429, null], [429, null]]);
  expect(srv.counters.rateLimited).toBe(2);
  // Paced just under the rate, never refused.
  srv.limiter.reset();
  for (let i = 0; i < 8; i++) {
    expect((await fetch(`${srv.url}/project/nixpkgs`, { headers: H })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 260));
  }
});

test('nginx limiter: limit_req without nodelay delays up to burst, refuses beyond, no Retry-After', async () => {
  await restart({ rateLimit: { rps: 10, burst: 3, mode: 'nginx' } });
  sim.jobset('nixpkgs', 'unstable');
  const t = performance.now();
  const all = await Promise.all(Array.from({ length: 6 }, () => fetch(`${srv.url}/project/nixpkgs`, { headers: H })));
  const statuses = all.map((r) => r.status).sort();
  // The first passes, three wait in the queue (excess 1..3 at 10/s), the rest are refused.
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  expect(all.every((r) => r.headers.get('retry-after') === null)).toBe(true);
  expect(performance.now() - t).toBeGreaterThanOrEqual(280);
  expect(srv.counters.delayed).toBe(3);
});
