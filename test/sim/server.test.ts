// Protects: the simulator's behaviour that clients are tested against: clock, restarts,
// re-pointing, paging, content negotiation, errors, rate limit, counters and every fault kind.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ScriptedHydra, startHydraSim, type RunningHydraSim } from '@zhf/sim';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const H = { accept: 'application/json' };
let sim: ScriptedHydra;
let srv: RunningHydraSim;

beforeEach(async () => {
  sim = new ScriptedHydra({ start: T0 });
  srv = await startHydraSim(sim, { rateLimit: false, seed: 42 });
});
afterEach(async () => {
  await srv.close();
});

const getJson = async (path: string) => {
  const r = await fetch(srv.url + path, { headers: H });
  return { status: r.status, body: (await r.json()) as any, res: r };
};

test('pending builds finish when the clock passes finishAt; future evals appear', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e1 = sim.eval(js, { jobs: { 'hello.x86_64-linux': { status: 1, finishAt: T0 + 100 }, 'bar.aarch64-linux': 'pending' } });
  const e2 = sim.eval(js, { jobs: { 'hello.x86_64-linux': 'reuse' }, at: T0 + 500 });
  const hello = e1.buildOf('hello.x86_64-linux');
  let b = (await getJson(`/build/${hello}`)).body;
  expect([b.finished, b.buildstatus, b.stoptime]).toEqual([0, null, null]);
  expect(b.jobsetevals).toEqual([e1.id]);
  expect((await getJson(`/eval/${e2.id}`)).status).toBe(404);
  sim.setClock(T0 + 100);
  b = (await getJson(`/build/${hello}`)).body;
  expect([b.finished, b.buildstatus, b.stoptime]).toEqual([1, 1, T0 + 100]);
  sim.advance(400);
  expect((await getJson(`/eval/${e2.id}`)).body.builds).toEqual([hello]);
  expect((await getJson(`/build/${hello}`)).body.jobsetevals).toEqual([e1.id, e2.id]);
  sim.finish(e1.buildOf('bar.aarch64-linux'), 0);
  expect((await getJson(`/build/${e1.buildOf('bar.aarch64-linux')}`)).body.buildstatus).toBe(0);
});

test('a restarted build is finished 0 but keeps its old status and times until the rebuild ends', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: { 'foo.x86_64-linux': 'failure' } });
  const id = e.buildOf('foo.x86_64-linux');
  sim.advance(60);
  sim.restart(id, { status: 0, finishAt: T0 + 1000 });
  let b = (await getJson(`/build/${id}`)).body;
  expect([b.finished, b.buildstatus, b.starttime, b.stoptime]).toEqual([0, 1, T0, T0]);
  sim.setClock(T0 + 1000);
  b = (await getJson(`/build/${id}`)).body;
  expect([b.finished, b.buildstatus, b.stoptime]).toEqual([1, 0, T0 + 1000]);
});

test('a re-pointed build keeps id and outputs, gets a new drvpath and is reset', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e1 = sim.eval(js, { jobs: { 'foo.x86_64-linux': 'success' } });
  sim.advance(3600);
  const e2 = sim.eval(js, { jobs: { 'foo.x86_64-linux': 'reuse' } });
  const id = e2.buildOf('foo.x86_64-linux');
  expect(id).toBe(e1.buildOf('foo.x86_64-linux'));
  const before = (await getJson(`/build/${id}`)).body;
  const drv = sim.repoint(id);
  const after = (await getJson(`/build/${id}`)).body;
  expect(after.id).toBe(id);
  expect(after.buildoutputs).toEqual(before.buildoutputs);
  expect(after.drvpath).toBe(drv);
  expect(after.drvpath).not.toBe(before.drvpath);
  expect([after.finished, after.buildstatus]).toEqual([0, null]);
});

test('evals pages: 20 per page, newest first, only hasnewbuilds=1, links', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const ids: number[] = [];
  for (let i = 0; i < 45; i++) {
    ids.push(sim.eval(js, { jobs: { [`p${i}.x86_64-linux`]: 'success' } }).id);
    sim.advance(3600);
  }
  const quiet = sim.eval(js, { jobs: { 'p44.x86_64-linux': 'reuse' } }); // no new builds
  expect((await getJson(`/eval/${quiet.id}`)).body.hasnewbuilds).toBe(0);
  const p1 = (await getJson('/jobset/nixpkgs/unstable/evals')).body;
  expect(p1.evals.map((e: any) => e.id)).toEqual(ids.slice(25).reverse());
  expect([p1.first, p1.last, p1.next, p1.previous]).toEqual(['?page=1', '?page=3', '?page=2', undefined]);
  const p3 = (await getJson('/jobset/nixpkgs/unstable/evals?page=3')).body;
  expect(p3.evals.map((e: any) => e.id)).toEqual(ids.slice(0, 5).reverse());
  expect([p3.next, p3.previous]).toEqual([undefined, '?page=2']);
  expect(p3.evals[0].builds).toHaveLength(1);
  sim.jobset('nixpkgs', 'empty');
  const empty = (await getJson('/jobset/nixpkgs/empty/evals')).body;
  expect(empty).toEqual({ evals: [], first: '?page=1', last: '?page=0' });
});

test('latest-eval redirects to the newest eval with nothing unfinished', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e1 = sim.eval(js, { jobs: { 'a.x86_64-linux': 'success' } });
  const e2 = sim.eval(js, { jobs: { 'a.x86_64-linux': 'pending' } });
  const r = await fetch(`${srv.url}/jobset/nixpkgs/unstable/latest-eval`, { headers: H, redirect: 'manual' });
  expect(r.status).toBe(302);
  expect(new URL(r.headers.get('location')!, srv.url).pathname).toBe(`/eval/${e1.id}`);
  sim.finish(e2.buildOf('a.x86_64-linux'), 1);
  const r2 = await fetch(`${srv.url}/jobset/nixpkgs/unstable/latest-eval`, { headers: H, redirect: 'manual' });
  expect(new URL(r2.headers.get('location')!).pathname).toBe(`/eval/${e2.id}`);
});

test('aggregate constituents, renamed jobsets, HTML without Accept, 404 and 400 errors', async () => {
  const js = sim.jobset('nixos', 'trunk-combined');
  const e = sim.eval(js, { jobs: { 'nixos.tests.foo.x86_64-linux': 'success', 'hello.x86_64-linux': 'failure' }, aggregates: { tested: ['hello.x86_64-linux'] } });
  const cons = (await getJson(`/build/${e.buildOf('tested')}/constituents`)).body;
  expect(cons.map((b: any) => b.job)).toEqual(['hello.x86_64-linux']);
  expect((await getJson(`/build/${e.buildOf('hello.x86_64-linux')}/constituents`)).body).toEqual([]);
  sim.renameJobset(js, 'unstable');
  const moved = await fetch(`${srv.url}/jobset/nixos/trunk-combined/evals?page=2`, { headers: H, redirect: 'manual' });
  expect(moved.status).toBe(301);
  expect(moved.headers.get('location')).toBe(`${srv.url}/jobset/nixos/unstable/evals?page=2`);
  const html = await fetch(`${srv.url}/build/${e.buildOf('hello.x86_64-linux')}`);
  expect(html.headers.get('content-type')).toContain('text/html');
  expect(await html.text()).toContain('<!DOCTYPE html>');
  for (const p of ['/build/999', '/eval/12345', '/jobset/nixos/nope', '/project/nope', '/eval/12345/builds']) {
    const r = await getJson(p);
    expect(r.status, p).toBe(404);
    expect(typeof r.body.error).toBe('string');
  }
  expect((await getJson('/build/abc')).status).toBe(400);
  // Hydra's API.pm answers a missing parameter through error() without a status: 500.
  expect((await getJson('/api/queue')).status).toBe(500);
  expect((await getJson('/api/jobsets')).status).toBe(500);
});

test('dependency failures show "Failed build steps" with the propagating build on the HTML page', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: { 'openssl.x86_64-linux': 'failure' } });
  const root = e.buildOf('openssl.x86_64-linux');
  const e2 = sim.eval(js, { jobs: { 'openssl.x86_64-linux': 'reuse', 'curl.x86_64-linux': { status: 2, depFailedOn: root } } });
  const page = await (await fetch(`${srv.url}/build/${e2.buildOf('curl.x86_64-linux')}`)).text();
  expect(page).toMatch(/<h3>Failed build steps<\/h3>\s*<table class="table table-striped table-condensed clickable-rows">/);
  expect(page).toMatch(new RegExp(`\\(propagated from\\s*<a href="${srv.url}/build/${root}">build ${root}</a>\\s*\\)`));
});

test('rate limit: burst then 429 with Retry-After, refills over time, counted', async () => {
  await srv.close();
  srv = await startHydraSim(sim, { rateLimit: { rps: 5, burst: 3 } });
  sim.jobset('nixpkgs', 'unstable');
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${srv.url}/project/nixpkgs`, { headers: H });
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers.get('retry-after');
    await r.arrayBuffer();
  }
  expect(statuses).toEqual([200, 200, 200, 429, 429]);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(srv.counters.rateLimited).toBe(2);
  expect(srv.counters.get('/project/:project').statuses[429]).toBe(2);
  await new Promise((r) => setTimeout(r, 450)); // 5/s refills two tokens
  expect((await fetch(`${srv.url}/project/nixpkgs`, { headers: H })).status).toBe(200);
  expect((await fetch(`${srv.url}/project/nixpkgs`, { headers: H })).status).toBe(200);
  expect((await fetch(`${srv.url}/project/nixpkgs`, { headers: H })).status).toBe(429);
});

test('counters per route: requests, bytes, statuses; resettable', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: { 'a.x86_64-linux': 'success' } });
  const text = await (await fetch(`${srv.url}/eval/${e.id}`, { headers: H })).text();
  await (await fetch(`${srv.url}/eval/999`, { headers: H })).text();
  const c = srv.counters.get('/eval/:id');
  expect(c.requests).toBe(2);
  expect(c.statuses).toEqual({ 200: 1, 404: 1 });
  expect(c.bytes).toBeGreaterThanOrEqual(Buffer.byteLength(text));
  srv.counters.reset();
  expect(srv.counters.totalRequests()).toBe(0);
});

test('faults: 5xx, botcheck, 429 burst, slow first byte, fire N times', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: { 'a.x86_64-linux': 'success' } });
  const path = `/eval/${e.id}`;
  for (const status of [500, 502, 503, 504] as const) {
    srv.faults.add({ kind: 'status', status, path });
    expect((await fetch(srv.url + path, { headers: H })).status).toBe(status);
  }
  srv.faults.add({ kind: 'botcheck', path });
  const bot = await fetch(srv.url + path, { headers: H });
  expect(bot.status).toBe(200);
  expect(bot.headers.get('content-type')).toContain('text/html');
  expect(await bot.text()).toContain('not a bot');
  srv.faults.add({ kind: '429', path: /\/eval\//, times: 2, retryAfter: 3 });
  const a = await fetch(srv.url + path, { headers: H });
  const b = await fetch(srv.url + path, { headers: H });
  expect([a.status, b.status, a.headers.get('retry-after')]).toEqual([429, 429, '3']);
  expect((await fetch(srv.url + path, { headers: H })).status).toBe(200);
  srv.faults.add({ kind: 'slow', delayMs: 300, path });
  const t = performance.now();
  const slow = await fetch(srv.url + path, { headers: H });
  expect(performance.now() - t).toBeGreaterThanOrEqual(290);
  expect((await slow.json()).id).toBe(e.id);
  expect(srv.faults.firedByKind()).toMatchObject({ status: 4, botcheck: 1, '429': 2, slow: 1 });
  expect(srv.counters.total429()).toBe(2);
});

test('faults: probability uses the seeded PRNG', async () => {
  sim.jobset('nixpkgs', 'unstable');
  const h = srv.faults.add({ kind: 'status', status: 503, path: '/project/nixpkgs', times: Infinity, probability: 0.5 });
  let fails = 0;
  for (let i = 0; i < 40; i++) if ((await fetch(`${srv.url}/project/nixpkgs`, { headers: H })).status === 503) fails++;
  expect(fails).toBe(h.fired);
  expect(fails).toBeGreaterThan(5);
  expect(fails).toBeLessThan(35);
});

test('faults: truncated and malformed JSON arrive as complete HTTP responses', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const jobs: Record<string, 'success'> = {};
  for (let i = 0; i < 50; i++) jobs[`p${i}.x86_64-linux`] = 'success';
  const e = sim.eval(js, { jobs });
  const full = await (await fetch(`${srv.url}/build/${e.buildOf('p0.x86_64-linux')}`, { headers: H })).text();
  srv.faults.add({ kind: 'truncate', path: `/build/${e.buildOf('p0.x86_64-linux')}` });
  const cut = await fetch(`${srv.url}/build/${e.buildOf('p0.x86_64-linux')}`, { headers: H });
  expect(cut.status).toBe(200);
  const text = await cut.text();
  expect(text.length).toBeLessThan(full.length);
  expect(() => JSON.parse(text)).toThrow();
  srv.faults.add({ kind: 'truncate', path: `/eval/${e.id}/builds`, bytes: 500 });
  const streamed = await (await fetch(`${srv.url}/eval/${e.id}/builds`, { headers: H })).text();
  expect(streamed.length).toBe(500);
  srv.faults.add({ kind: 'malformed', path: `/eval/${e.id}` });
  const bad = await fetch(`${srv.url}/eval/${e.id}`, { headers: H });
  expect(bad.status).toBe(200);
  await expect(bad.json()).rejects.toThrow();
});

test('faults: body cut mid-stream drops the connection, for small and streamed responses', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const jobs: Record<string, 'success'> = {};
  for (let i = 0; i < 3000; i++) jobs[`p${i}.x86_64-linux`] = 'success';
  const e = sim.eval(js, { jobs });
  srv.faults.add({ kind: 'cut', path: `/build/${e.buildOf('p1.x86_64-linux')}`, afterBytes: 40 });
  const small = await fetch(`${srv.url}/build/${e.buildOf('p1.x86_64-linux')}`, { headers: H });
  expect(small.status).toBe(200);
  await expect(small.text()).rejects.toThrow();
  srv.faults.add({ kind: 'cut', path: `/eval/${e.id}/builds`, afterBytes: 100_000 });
  const big = await fetch(`${srv.url}/eval/${e.id}/builds`, { headers: H });
  expect(big.status).toBe(200);
  let got = 0;
  await expect(
    (async () => {
      for await (const chunk of big.body as unknown as AsyncIterable<Uint8Array>) got += chunk.length;
    })(),
  ).rejects.toThrow();
  expect(got).toBe(100_000);
  // The server keeps serving afterwards.
  expect((await fetch(`${srv.url}/eval/${e.id}`, { headers: H })).status).toBe(200);
});

test('faults: a hook reveals a new eval while a client pages /evals', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  for (let i = 0; i < 40; i++) sim.eval(js, { jobs: { [`p${i}.x86_64-linux`]: 'success' } });
  const late = sim.eval(js, { jobs: { 'late.x86_64-linux': 'success' }, at: T0 + 3600 });
  srv.faults.add({ kind: 'hook', path: '/jobset/nixpkgs/unstable/evals?page=1', run: () => sim.setClock(T0 + 3600) });
  const p1 = (await getJson('/jobset/nixpkgs/unstable/evals?page=1')).body;
  expect(p1.evals.map((e: any) => e.id)).not.toContain(late.id);
  const p2 = (await getJson('/jobset/nixpkgs/unstable/evals?page=2')).body;
  // Everything shifted by one: page 2 starts with what was the last eval of page 1.
  expect(p2.evals[0].id).toBe(p1.evals[19].id);
  expect(p2.last).toBe('?page=3');
});

test('build logs as Root.pm `log` serves them: none for builds that never ran; with logs in the binary cache, a redirect that drops tail', async () => {
  const js = sim.jobset('nixpkgs', 'unstable');
  const e = sim.eval(js, { jobs: { 'lib.x86_64-linux': 'failure', 'app.x86_64-linux': 'dep', 'odd.x86_64-linux': { status: 9 } } });
  const base = (job: string) => sim.getBuild(e.buildOf(job))!.drvpath.slice('/nix/store/'.length);
  const lib = await fetch(`${srv.url}/log/${base('lib.x86_64-linux')}?tail=2`);
  expect(lib.status).toBe(200);
  expect((await lib.text()).trimEnd().split('\n')).toHaveLength(2);
  // Dependency failed and unsupported system: the derivation was never built, so no log.
  for (const job of ['app.x86_64-linux', 'odd.x86_64-linux']) expect((await fetch(`${srv.url}/log/${base(job)}`)).status).toBe(404);
  sim.setLog(e.buildOf('app.x86_64-linux'), 'a log the model gives\n');
  expect(await (await fetch(`${srv.url}/log/${base('app.x86_64-linux')}`)).text()).toBe('a log the model gives\n');

  srv.config.logsInCache = true;
  const moved = await fetch(`${srv.url}/log/${base('lib.x86_64-linux')}?tail=2`, { redirect: 'manual' });
  expect(moved.status).toBe(302);
  expect(moved.headers.get('location')).toBe(`${srv.url}/cache/log/${base('lib.x86_64-linux')}`);
  const whole = await fetch(moved.headers.get('location')!);
  expect(whole.headers.get('content-encoding')).toBe('br');
  expect((await whole.text()).trimEnd().split('\n').length).toBeGreaterThan(2);
  expect((await fetch(`${srv.url}/cache/log/${base('odd.x86_64-linux')}`)).status).toBe(404);
  // A bad tail is still refused before the redirect (`die` in Root.pm: 500).
  expect((await fetch(`${srv.url}/log/${base('lib.x86_64-linux')}?tail=x`, { redirect: 'manual' })).status).toBe(500);
  expect(srv.counters.get('/cache/log/:drv').requests).toBe(2);
});
