import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDriver } from '../support/db.ts';
import { A, breakageId, call, devLogin, githubSession, ingestScenario, makeApp, NOW, REQUESTS, X, type App, type Scenario } from './support.ts';

// Every read endpoint against data the real collector ingested from the simulated Hydra.
describeEachDriver('read API', (get) => {
  let s: Scenario;
  let app: App;
  beforeAll(async () => {
    s = await ingestScenario(get());
    app = makeApp(get(), { metrics: { hydraRequests: () => s.h.client.stats.requests } });
  });
  afterAll(async () => {
    await s?.h.close();
  });

  it('GET /api/jobsets: the latest eval with its counts and the open breakages', async () => {
    const r = await call(app, 'GET', '/api/jobsets');
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(1);
    const [js] = r.json.items;
    expect(js.jobset).toBe('nixpkgs/unstable');
    expect(js.openBreakages).toBe(4);
    expect(js.latestEval).toMatchObject({ id: s.e3.id, revision: s.e3.revision, previousEvalId: s.e2.id, complete: true });
    expect(js.latestEval.counts).toEqual({ still_succeeding: 2, still_failing: 4, fixed: 1, removed: 1 });
  });

  it('GET /api/jobsets/:p/:j/evals: newest first, paged with a cursor', async () => {
    const p1 = await call(app, 'GET', '/api/jobsets/nixpkgs/unstable/evals?limit=2');
    expect(p1.status).toBe(200);
    expect(p1.json.items.map((e: { id: number }) => e.id)).toEqual([s.e3.id, s.e2.id]);
    expect(p1.json.total).toBe(3);
    expect(p1.json.items[1]).toMatchObject({ jobset: 'nixpkgs/unstable', timestamp: new Date(s.e2.timestamp * 1000).toISOString() });
    expect(p1.json.items[1].counts).toMatchObject({ new_failure: 4, new_job_failing: 1, still_failing: 1 });
    const p2 = await call(app, 'GET', `/api/jobsets/nixpkgs/unstable/evals?limit=2&cursor=${p1.json.nextCursor}`);
    expect(p2.json.items.map((e: { id: number }) => e.id)).toEqual([s.e1.id]);
    expect(p2.json.nextCursor).toBeNull();
    const before = await call(app, 'GET', `/api/jobsets/nixpkgs/unstable/evals?before=${s.e2.id}`);
    expect(before.json.items.map((e: { id: number }) => e.id)).toEqual([s.e1.id]);
    expect((await call(app, 'GET', '/api/jobsets/nixpkgs/nope/evals')).status).toBe(404);
  });

  it('GET /api/evals/:id: counts by system and the previous eval', async () => {
    const r = await call(app, 'GET', `/api/evals/${s.e2.id}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: s.e2.id, previousEvalId: s.e1.id, revision: s.e2.revision, complete: true, pending: 0 });
    expect(r.json.countsBySystem[A]).toEqual({ new_failure: 1, still_succeeding: 1 });
    expect(r.json.countsBySystem[X]).toMatchObject({ new_failure: 3, still_failing: 1, new_job_failing: 1, still_succeeding: 1 });
    expect((await call(app, 'GET', `/api/evals/${s.e1.id}`)).json.previousEvalId).toBeNull();
  });

  it('GET /api/evals/:id/jobs: filters combine and the cursor walks every row exactly once', async () => {
    const all = await call(app, 'GET', `/api/evals/${s.e2.id}/jobs`);
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(8);
    const req = all.json.items.find((r: { job: string }) => r.job === REQUESTS);
    expect(req).toEqual({
      job: REQUESTS, system: X, category: 'new_failure', buildId: s.e2.buildOf(REQUESTS), status: 1, outcome: 'failure', kind: 'direct',
      baseline: { evalId: s.e1.id, buildId: s.e1.buildOf(REQUESTS), outcome: 'success', revision: s.e1.revision },
      range: { from: s.e1.revision, to: s.e2.revision, url: `https://github.com/NixOS/nixpkgs/compare/${s.e1.revision}...${s.e2.revision}` },
      // No packages.json in this scenario: nobody is named.
      maintainers: [], teams: [],
    });
    const f = await call(app, 'GET', `/api/evals/${s.e2.id}/jobs?category=new_failure,new_job_failing&system=${X}&kind=direct&q=e`);
    expect(f.json.items.map((r: { job: string }) => r.job)).toEqual([`gone.${X}`, `newjob.${X}`, REQUESTS]);
    const dep = await call(app, 'GET', `/api/evals/${s.e2.id}/jobs?kind=dependency`);
    expect(dep.json.items.map((r: { job: string }) => r.job)).toEqual([`depfail.${X}`]);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { json: { items: { job: string }[]; nextCursor: string | null; total: number } } =
        await call(app, 'GET', `/api/evals/${s.e2.id}/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.json.total).toBe(8);
      seen.push(...r.json.items.map((x) => x.job));
      cursor = r.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.json.items.map((r: { job: string }) => r.job));
  });

  it('GET /api/evals/:id/compare/:otherId: E against any other eval as the baseline', async () => {
    const r = await call(app, 'GET', `/api/evals/${s.e3.id}/compare/${s.e1.id}`);
    expect(r.status).toBe(200);
    const byJob = Object.fromEntries(r.json.items.map((x: { job: string; category: string }) => [x.job, x.category]));
    expect(byJob).toEqual({
      [`broken.${X}`]: 'fixed', [`depfail.${X}`]: 'new_failure', [`gone.${X}`]: 'removed', [`hello.${A}`]: 'new_failure',
      [`hello.${X}`]: 'still_succeeding', [`newjob.${X}`]: 'new_job_failing', [REQUESTS]: 'new_failure', [`steady.${A}`]: 'still_succeeding',
    });
    expect(r.json.items.find((x: { job: string }) => x.job === `broken.${X}`).range.url).toContain(`compare/${s.e1.revision}...${s.e3.revision}`);
  });

  it('GET /api/jobs/:p/:j/:job: history of a dotted job name, last success, first failure and their range', async () => {
    const r = await call(app, 'GET', `/api/jobs/nixpkgs/unstable/${REQUESTS}`);
    expect(r.status).toBe(200);
    expect(r.json.items.map((e: { evalId: number; outcome: string }) => [e.evalId, e.outcome])).toEqual([
      [s.e3.id, 'failure'], [s.e2.id, 'failure'], [s.e1.id, 'success'],
    ]);
    expect(r.json.items[0]).toMatchObject({ buildId: s.e2.buildOf(REQUESTS), status: 1, kind: 'direct' });
    expect(r.json.lastSuccess).toMatchObject({ evalId: s.e1.id, buildId: s.e1.buildOf(REQUESTS) });
    expect(r.json.firstFailureAfter).toMatchObject({ evalId: s.e2.id });
    expect(r.json.range).toEqual({ from: s.e1.revision, to: s.e2.revision, url: expect.stringContaining(`compare/${s.e1.revision}...${s.e2.revision}`) });
    const page = await call(app, 'GET', `/api/jobs/nixpkgs/unstable/${REQUESTS}?limit=2`);
    expect(page.json.items).toHaveLength(2);
    const rest = await call(app, 'GET', `/api/jobs/nixpkgs/unstable/${REQUESTS}?limit=2&cursor=${page.json.nextCursor}`);
    expect(rest.json.items.map((e: { evalId: number }) => e.evalId)).toEqual([s.e1.id]);
    expect((await call(app, 'GET', `/api/jobs/nixpkgs/unstable/nothere.${X}`)).status).toBe(404);
  });

  it('GET /api/breakages: this week, the backlog, and combined filters with paging', async () => {
    const r = await call(app, 'GET', '/api/breakages');
    expect(r.status).toBe(200);
    expect(r.json.week).toBe('2026-W45');
    // broken.x86_64-linux already failed in the oldest eval: preexisting, not this week's.
    expect(r.json.total).toBe(5);
    const req = r.json.items.find((b: { job: string }) => b.job === REQUESTS);
    expect(req).toEqual({
      id: await breakageId(get(), REQUESTS), jobset: 'nixpkgs/unstable', job: REQUESTS, system: X, state: 'open', kind: 'direct', status: 1,
      flaky: false, preexisting: false, week: '2026-W45', openedEvalId: s.e2.id, openedAt: new Date(s.e2.timestamp * 1000).toISOString(), closedEvalId: null,
      closedAt: null, buildId: s.e2.buildOf(REQUESTS), buildUrl: `https://hydra.example.org/build/${s.e2.buildOf(REQUESTS)}`,
      logUrl: `https://hydra.example.org/build/${s.e2.buildOf(REQUESTS)}/log`,
      range: { from: s.e1.revision, to: s.e2.revision, url: expect.stringContaining('/compare/') }, claim: null, fixedBy: null,
      // No packages.json was read in this scenario: nobody is named, nothing is guessed.
      maintainers: [], teams: [], rootCause: null, blocks: 0,
    });
    const open = await call(app, 'GET', `/api/breakages?state=open&system=${X}&kind=direct&jobset=nixpkgs/unstable&q=e&sort=job`);
    expect(open.json.items.map((b: { job: string }) => b.job)).toEqual([`newjob.${X}`, REQUESTS]);
    const states = await call(app, 'GET', '/api/breakages?state=fixed,gone&week=all');
    expect(states.json.items.map((b: { job: string; state: string; closedEvalId: number; preexisting: boolean }) => [b.job, b.state, b.closedEvalId, b.preexisting])).toEqual([
      [`broken.${X}`, 'fixed', s.e3.id, true], [`gone.${X}`, 'gone', s.e3.id, false],
    ]);
    // Paged by system: every breakage once, in (system, job) order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: { json: { items: { job: string }[]; nextCursor: string | null } } = await call(app, 'GET', `/api/breakages?sort=system&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.json.items.map((b) => b.job));
      cursor = p.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([`hello.${A}`, `depfail.${X}`, `gone.${X}`, `newjob.${X}`, REQUESTS]);
    // Next week, this week's open breakages are the backlog; an earlier week has none.
    const later = makeApp(get(), { now: () => new Date(NOW.getTime() + 7 * 86_400_000) });
    const backlog = await call(later, 'GET', '/api/breakages?week=backlog&sort=opened');
    expect(backlog.json.total).toBe(4);
    expect(backlog.json.items.every((b: { state: string; week: string }) => b.state === 'open' && b.week === '2026-W45')).toBe(true);
    expect((await call(later, 'GET', '/api/breakages')).json.total).toBe(0);
    expect((await call(app, 'GET', '/api/breakages?week=backlog')).json.total).toBe(0);
    expect((await call(app, 'GET', '/api/breakages?week=2026-W44')).json.total).toBe(0);
  });

  it('GET /api/trends: failing per eval by system and kind; per week opened, fixed, open and time to fix', async () => {
    const r = await call(app, 'GET', '/api/trends?jobset=nixpkgs/unstable&from=2026-W44&to=2026-W45');
    expect(r.status).toBe(200);
    expect(r.json.evals.map((e: { evalId: number; failing: number }) => [e.evalId, e.failing])).toEqual([[s.e1.id, 1], [s.e2.id, 6], [s.e3.id, 4]]);
    expect(r.json.evals[1].failingBySystem).toEqual({ [X]: 5, [A]: 1 });
    expect(r.json.evals[1].failingByKind).toEqual({ direct: 5, dependency: 1 });
    // depfail's page names no cause: no root is known, so none is counted.
    expect(r.json.evals.map((e: { roots: number; blockedByRoots: number }) => [e.roots, e.blockedByRoots])).toEqual([[0, 0], [0, 0], [0, 0]]);
    expect(r.json.weeks).toEqual([
      { week: '2026-W44', opened: 0, fixed: 0, fixedInWeek: 0, open: 0, medianHoursToFix: null },
      // broken.x86_64-linux, preexisting, is not opened in W45 and has no known time to fix, but its fix is counted.
      { week: '2026-W45', opened: 5, fixed: 1, fixedInWeek: 1, open: 4, medianHoursToFix: null },
    ]);
    expect((await call(app, 'GET', '/api/trends?jobset=nixpkgs/none')).status).toBe(404);
    expect((await call(app, 'GET', '/api/trends')).status).toBe(400);
  });

  it('GET /healthz and /metrics', async () => {
    const live = makeApp(get(), { now: () => new Date(), metrics: { hydraRequests: () => s.h.client.stats.requests } });
    const h = await call(live, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    expect(h.json.jobsets).toEqual([{ jobset: 'nixpkgs/unstable', lastSyncOkAt: expect.any(String), ageSeconds: expect.any(Number), lastError: null }]);
    expect(h.json.jobsets[0].ageSeconds).toBeLessThan(120);
    const stale = makeApp(get(), { now: () => new Date(Date.now() + 2 * 3600_000) });
    expect((await call(stale, 'GET', '/healthz')).json.status).toBe('degraded');

    const m = await call(live, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(m.text).toContain('# TYPE zhf_open_breakages gauge');
    expect(m.text).toContain(`zhf_open_breakages{jobset="nixpkgs/unstable",system="${X}",kind="direct"} 2`);
    expect(m.text).toContain(`zhf_open_breakages{jobset="nixpkgs/unstable",system="${X}",kind="dependency"} 1`);
    expect(m.text).toContain(`zhf_open_breakages{jobset="nixpkgs/unstable",system="${A}",kind="direct"} 1`);
    expect(m.text).toMatch(/^zhf_sync_duration_seconds\{jobset="nixpkgs\/unstable"\} [\d.]+$/m);
    expect(m.text).toMatch(/^zhf_last_sync_age_seconds\{jobset="nixpkgs\/unstable"\} [\d.]+$/m);
    const evalsOk = s.h.client.stats.requests.get('evals 200');
    expect(evalsOk).toBeGreaterThan(0);
    expect(m.text).toContain(`zhf_hydra_requests_total{endpoint="evals",status="200"} ${evalsOk}`);
  });

  it('GET /feeds/:p/:j.atom: escaped Atom of the newest breakages, linking dashboard and Hydra', async () => {
    const alice = await devLogin(app, 'alice');
    const id = await breakageId(get(), REQUESTS);
    expect((await call(app, 'POST', `/api/breakages/${id}/claim`, { as: alice, body: { note: '<b>&' } })).status).toBe(201);
    const r = await app.request('/feeds/nixpkgs/unstable.atom');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/atom+xml');
    const body = await r.text();
    expect(body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')).toBe(true);
    // Not broken.x86_64-linux: already failing when tracking began, it is not news.
    expect(body.match(/<entry>/g)).toHaveLength(5);
    expect(body).toContain(`<link rel="related" type="text/html" title="Hydra build" href="https://hydra.example.org/build/${s.e2.buildOf(REQUESTS)}"/>`);
    expect(body).toContain(`href="http://localhost/jobs/nixpkgs/unstable/${REQUESTS}"`);
    expect(body).toContain('Claimed by @alice.');
    expect(body).not.toMatch(/<b>|&(?!amp;|lt;|gt;|quot;|apos;)/);
    expect((await app.request('/feeds/nixpkgs/nope.atom')).status).toBe(404);
    expect((await call(app, 'DELETE', `/api/breakages/${id}/claim`, { as: alice })).status).toBe(200);
  });

  it('GET /api/me: anonymous, then signed in with the CSRF token', async () => {
    expect((await call(app, 'GET', '/api/me')).json).toEqual({ user: null, csrf: null });
    const mona = await githubSession(get(), 'mona');
    const me = await call(app, 'GET', '/api/me', { as: mona });
    expect(me.json).toEqual({ user: { login: 'mona', name: null, avatarUrl: null, maintainer: true }, csrf: mona.csrf });
  });
});
