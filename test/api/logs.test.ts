import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import { FETCH_LOG_LINES, logTail } from '../../apps/collector/src/logs/tail.ts';
import { queryRows } from '../../db/src/index.ts';
import { newSim, startHarness, type Harness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, ingestScenario, makeApp, NOW, REQUESTS, X, A, type App, type Scenario } from './support.ts';

// SPEC section 10: GET /api/breakages/:id/log against the simulated Hydra over HTTP.

/** A scripted log of `n` numbered lines, ending the way a failed build does. */
function longLog(drv: string, n: number): string {
  const lines = Array.from({ length: n - 1 }, (_, i) => `line ${i + 1}: cc -O2 -c src/file${i}.c`);
  lines.push(`error: builder for '${drv}' failed with exit code 2`);
  return `${lines.join('\n')}\n`;
}

/** A port nothing listens on: Hydra unreachable. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describeEachDriver('build log tails', (get) => {
  let s: Scenario;
  let app: App;
  /** Every /log request the simulated Hydra saw, with its query. */
  const asked: string[] = [];
  const requests = (route: string) => s.h.sim.counters.snapshot()[route]?.requests ?? 0;
  const drvOf = async (buildId: number) => {
    const [r] = await queryRows<{ drvpath: string }>(get().db, sql`select drvpath from builds where id = ${buildId}`);
    return r!.drvpath;
  };
  const rawLog = async (drv: string) => (await fetch(`${s.h.sim.url}/log/${drv.slice('/nix/store/'.length)}`)).text();
  /** The breakage of `job`, its failed build in e2 and that build's derivation. */
  const failed = async (job: string) => {
    const buildId = s.e2.buildOf(job);
    return { id: await breakageId(get(), job), buildId, drv: await drvOf(buildId) };
  };
  const stored = async (drv: string) => {
    const [r] = await queryRows<{ lines: string[]; tail: number; build_id: string | number }>(get().db, sql`select lines, tail, build_id from log_tails where drv_path = ${drv}`);
    return r ?? null;
  };

  beforeAll(async () => {
    s = await ingestScenario(get());
    s.h.sim.faults.add({ kind: 'hook', path: /^\/log\//, times: Infinity, run: ({ path }) => asked.push(path) });
    app = makeApp(get(), { hydra: s.h.client });
  });
  afterAll(async () => {
    await s?.h.close();
  });

  it('answers the failing build\'s last 50 lines, as the simulated Hydra has them', async () => {
    const { id, buildId, drv } = await failed(REQUESTS);
    const whole = (await rawLog(drv)).trimEnd().split('\n');
    asked.length = 0;
    const r = await call(app, 'GET', `/api/breakages/${id}/log`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ buildId, drvPath: drv, lines: whole.slice(-50), fetchedAt: NOW.toISOString() });
    expect(r.json.lines.at(-1)).toBe(`error: builder for '${drv}' failed with exit code 2`);
    // Asked once, for more than shown (a later "more" needs no second request).
    expect(asked).toEqual([`/log/${drv.slice('/nix/store/'.length)}?tail=${FETCH_LOG_LINES}`]);
    const row = await stored(drv);
    expect(row).toMatchObject({ lines: whole.slice(-FETCH_LOG_LINES), tail: FETCH_LOG_LINES });
    expect(Number(row!.build_id)).toBe(buildId);
  });

  it('serves a second request from the cache: Hydra is not asked again', async () => {
    const id = await breakageId(get(), REQUESTS);
    const first = await call(app, 'GET', `/api/breakages/${id}/log?lines=10`);
    const logs = requests('/log/:drv');
    const builds = requests('/build/:id');
    const again = await call(app, 'GET', `/api/breakages/${id}/log?lines=10`);
    const more = await call(app, 'GET', `/api/breakages/${id}/log?lines=500`);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.json.lines).toHaveLength(10);
    // The whole log is shorter than what was fetched: 500 is answered from the cache too.
    expect(more.json.lines.length).toBeLessThan(FETCH_LOG_LINES);
    expect(more.json.lines.slice(-10)).toEqual(first.json.lines);
    expect(requests('/log/:drv')).toBe(logs);
    expect(requests('/build/:id')).toBe(builds);
  });

  it('asks Hydra again when more lines are wanted than the cache holds of a longer log', async () => {
    const { id, buildId, drv } = await failed(`hello.${A}`);
    s.sim.setLog(buildId, longLog(drv, 1200));
    const expected = longLog(drv, 1200).trimEnd().split('\n');
    const base = drv.slice('/nix/store/'.length);
    asked.length = 0;
    const a = await call(app, 'GET', `/api/breakages/${id}/log`);
    expect(a.json.lines).toEqual(expected.slice(-50));
    const b = await call(app, 'GET', `/api/breakages/${id}/log?lines=${FETCH_LOG_LINES}`);
    expect(b.json.lines).toEqual(expected.slice(-FETCH_LOG_LINES));
    expect(asked).toEqual([`/log/${base}?tail=${FETCH_LOG_LINES}`]);
    const c = await call(app, 'GET', `/api/breakages/${id}/log?lines=350`);
    expect(c.status).toBe(200);
    expect(c.json.lines).toEqual(expected.slice(-350));
    expect(asked).toEqual([`/log/${base}?tail=${FETCH_LOG_LINES}`, `/log/${base}?tail=350`]);
    // The larger tail replaced the smaller one: fewer lines come from it now.
    const d = await call(app, 'GET', `/api/breakages/${id}/log?lines=300`);
    expect(d.json.lines).toEqual(expected.slice(-300));
    expect(asked).toHaveLength(2);
    expect(await stored(drv)).toMatchObject({ tail: 350 });
    expect((await stored(drv))!.lines).toHaveLength(350);
  });

  it('lines: 1 to 500, whole numbers; ids positive; unknown breakages 404', async () => {
    const id = await breakageId(get(), REQUESTS);
    const one = await call(app, 'GET', `/api/breakages/${id}/log?lines=1`);
    expect(one.status).toBe(200);
    expect(one.json.lines).toHaveLength(1);
    expect(one.json.lines[0]).toMatch(/^error: builder for .* failed with exit code 2$/);
    expect((await call(app, 'GET', `/api/breakages/${id}/log?lines=500`)).status).toBe(200);
    for (const bad of ['0', '501', '-1', '1.5', 'abc', '', '1e2', '99999']) {
      const r = await call(app, 'GET', `/api/breakages/${id}/log?lines=${bad}`);
      expect(r.status, `lines=${bad}`).toBe(400);
      expect(r.json.error.code).toBe('invalid');
    }
    for (const bad of ['abc', '0', '-3', '1.5', '99999999999']) {
      const r = await call(app, 'GET', `/api/breakages/${bad}/log`);
      expect(r.status, `id ${bad}`).toBe(400);
      expect(r.json.error.code).toBe('invalid');
    }
    const unknown = await call(app, 'GET', '/api/breakages/987654/log');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({ code: 'not_found', message: 'breakage 987654 does not exist' });
  });

  it('Hydra unreachable: 502 saying so, nothing stored', async () => {
    const { id, drv } = await failed(`newjob.${X}`);
    const down = new HydraClient({ baseUrl: `http://127.0.0.1:${await deadPort()}`, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 1000, burst: 1000, retryBaseMs: 5, maxBackoffMs: 10 });
    const r = await call(makeApp(get(), { hydra: down }), 'GET', `/api/breakages/${id}/log`);
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe('upstream');
    expect(r.json.error.message).toMatch(/^Hydra did not give the log of .*newjob-1\.0\.drv: .*ECONNREFUSED/);
    expect(await stored(drv)).toBeNull();
    // And a server without a Hydra client says that, not 500.
    const none = await call(makeApp(get()), 'GET', `/api/breakages/${id}/log`);
    expect(none.status).toBe(502);
    expect(none.json.error.message).toMatch(/no Hydra client/);
  });

  it('Hydra answering 5xx, or the filter answering HTML: 502 naming the cause', async () => {
    const { id, drv } = await failed(`newjob.${X}`);
    const path = new RegExp(`^/log/${drv.slice('/nix/store/'.length)}`);
    // The client tries twice: both answered 503.
    s.h.sim.faults.add({ kind: 'status', status: 503, path, times: 2 });
    const r = await call(app, 'GET', `/api/breakages/${id}/log`);
    expect(r.status).toBe(502);
    expect(r.json.error.message).toMatch(/HTTP 503/);
    // A client of its own: being filtered makes a client back off every request for an hour.
    const filtered = new HydraClient({ baseUrl: s.h.sim.url, userAgent: 'zhf-test (+http://127.0.0.1)', rps: 1000, burst: 1000, retryBaseMs: 5 });
    s.h.sim.faults.add({ kind: 'botcheck', path, times: 1 });
    const f = await call(makeApp(get(), { hydra: filtered }), 'GET', `/api/breakages/${id}/log`);
    expect(f.status).toBe(502);
    expect(f.json.error.message).toMatch(/filter refused .* answered HTML/);
    expect(filtered.filtered).not.toBeNull();
    expect(await stored(drv)).toBeNull();
    // Hydra well again: the same breakage's log comes.
    const ok = await call(app, 'GET', `/api/breakages/${id}/log`);
    expect(ok.status).toBe(200);
    expect(ok.json.drvPath).toBe(drv);
  });

  it('a dependency failure has no log of its own: 502 saying why', async () => {
    const job = `depfail.${X}`;
    const id = await breakageId(get(), job);
    const r = await call(app, 'GET', `/api/breakages/${id}/log`);
    expect(r.status).toBe(502);
    expect(r.json.error.message).toMatch(/^Hydra has no log of .*depfail-1\.0\.drv: build \d+ failed because a dependency did/);
  });

  it('Hydra with its logs in the binary cache (hydra.nixos.org): the whole log arrives, its end is kept', async () => {
    const { id, buildId, drv } = await failed(`gone.${X}`);
    s.sim.setLog(buildId, longLog(drv, 3000));
    s.h.sim.config.logsInCache = true;
    try {
      const cached = requests('/cache/log/:drv');
      const r = await call(app, 'GET', `/api/breakages/${id}/log?lines=120`);
      expect(r.status).toBe(200);
      expect(r.json.lines).toEqual(longLog(drv, 3000).trimEnd().split('\n').slice(-120));
      expect(requests('/cache/log/:drv')).toBe(cached + 1);
    } finally {
      s.h.sim.config.logsInCache = false;
    }
  });

  it('a tail fetched before the build last stopped (a restart) is fetched again', async () => {
    const buildId = s.e1.buildOf(`broken.${X}`);
    const [b] = await queryRows<{ stoptime: string | number }>(get().db, sql`select stoptime from builds where id = ${buildId}`);
    const before = new Date((Number(b!.stoptime) - 60) * 1000);
    const logs = requests('/log/:drv');
    await logTail(get().db, s.h.client, buildId, 50, () => before);
    await logTail(get().db, s.h.client, buildId, 50, () => NOW);
    const after = await logTail(get().db, s.h.client, buildId, 50, () => NOW);
    expect(requests('/log/:drv')).toBe(logs + 2);
    expect(after.fetchedAt).toBe(NOW.toISOString());
  });
});

describeEachDriver('build log tails of short records', (get) => {
  // Builds known only from /api/latestbuilds (no derivation stored): the full record comes first.
  let h: Harness;
  let app: App;
  let failing: number;
  let otherFailing: number;
  const requests = (route: string) => h.sim.counters.snapshot()[route]?.requests ?? 0;

  beforeAll(async () => {
    const T = Date.UTC(2026, 10, 2) / 1000;
    const sim = newSim(T);
    const js = sim.jobset('logshort', 'unstable');
    const names = ['a', 'b', 'c', 'd'].map((n) => `${n}.${X}`);
    sim.eval(js, { jobs: Object.fromEntries(names.map((n) => [n, 'success' as const])) });
    sim.advance(3600);
    h = await startHarness(get(), sim, { collector: { maxDetailFetches: 0 } });
    await h.collector.syncAll(['logshort/unstable']);
    sim.advance(600);
    const e2 = sim.eval(js, { jobs: { [names[0]!]: 'failure', [names[1]!]: 'reuse', [names[2]!]: 'failure', [names[3]!]: 'reuse' } });
    await h.collector.syncAll(['logshort/unstable']);
    failing = e2.buildOf(names[0]!);
    otherFailing = e2.buildOf(names[2]!);
    app = makeApp(get(), { hydra: h.client });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reads the derivation from Hydra, then the log; later requests need neither', async () => {
    const [row] = await queryRows<{ detailed: boolean; drvpath: string }>(get().db, sql`select detailed, drvpath from builds where id = ${failing}`);
    expect(row).toEqual({ detailed: false, drvpath: '' });
    const [bk] = await queryRows<{ id: number }>(get().db, sql`select id from breakages where build_id = ${failing}`);
    const drv = ((await (await fetch(`${h.sim.url}/build/${failing}`, { headers: { accept: 'application/json' } })).json()) as { drvpath: string }).drvpath;
    const builds = requests('/build/:id');
    const logs = requests('/log/:drv');
    const r = await call(app, 'GET', `/api/breakages/${bk!.id}/log?lines=5`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ buildId: failing, drvPath: drv });
    expect(r.json.lines).toHaveLength(5);
    expect(r.json.lines.at(-1)).toBe(`error: builder for '${drv}' failed with exit code 2`);
    expect(requests('/build/:id')).toBe(builds + 1);
    expect(requests('/log/:drv')).toBe(logs + 1);
    const again = await call(app, 'GET', `/api/breakages/${bk!.id}/log?lines=20`);
    expect(again.json.lines.slice(-5)).toEqual(r.json.lines);
    expect(requests('/build/:id')).toBe(builds + 1);
    expect(requests('/log/:drv')).toBe(logs + 1);
  });

  it('a build Hydra does not know: 502, not 500', async () => {
    const [bk] = await queryRows<{ id: number }>(get().db, sql`select id from breakages where build_id = ${otherFailing}`);
    h.sim.faults.add({ kind: 'status', status: 503, path: `/build/${otherFailing}`, times: 2 });
    const r = await call(app, 'GET', `/api/breakages/${bk!.id}/log`);
    expect(r.status).toBe(502);
    expect(r.json.error.message).toMatch(new RegExp(`^Hydra did not give build ${otherFailing}: HTTP 503`));
    const unknown = await logTail(get().db, h.client, 2_000_000_000, 50).catch((e: Error) => e);
    expect(unknown).toMatchObject({ code: 'upstream', message: 'Hydra does not know build 2000000000' });
  });
});
