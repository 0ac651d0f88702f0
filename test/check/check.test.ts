// Protects issue 9's "pre-existing or new": nixpkgs-review's report.json in each documented form,
// classified against a simulated Hydra history synced by the real collector; the failing-jobs
// feed with its caching; and bad input answered 4xx, never 500.

import { beforeAll, expect, it } from 'vitest';
import { checkPackages, checkReport, formatCheckText, type CheckResult } from '../../apps/collector/src/check/index.ts';
import { claimBreakage, listBreakages, upsertDevUser } from '../../db/src/queries/index.ts';
import { newJobset } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { currentReviewReport } from '../fixtures/review-report.ts';
import { checkApp, checkConfig, syncNixpkgsOnce } from './support.ts';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const X = 'x86_64-linux';
const D = 'aarch64-darwin';

// nixpkgs-review's current multi-system report.json.
const multiSystemReport = currentReviewReport({
  commit: 'f1e2d3c4b5a697887766554433221100ffeeddcc',
  pr: 412345,
  result: {
    [D]: { blacklisted: [], broken: [], built: ['hello'], failed: ['python313Packages.jaxlib'], 'non-existent': [], tests: [] },
    [X]: {
      blacklisted: ['chromium'],
      broken: [],
      built: ['hello', 'curl'],
      failed: ['python3Packages.optax', 'python313Packages.requests', 'slowpkg', 'brandnew', 'timeout'],
      'non-existent': ['gone'],
      tests: [],
    },
  },
  systems: [X, D],
});

// The single-system form written before 2024-10, with the 2023 spelling "non-existant".
const singleSystem2023 = {
  blacklisted: [],
  broken: [],
  built: ['hello'],
  failed: ['python3Packages.optax', 'python313Packages.requests'],
  'non-existant': ['gone'],
  pr: 240000,
  system: X,
  tests: [],
};

const verdicts = (r: CheckResult) => Object.fromEntries(r.items.map((i) => [`${i.reviewStatus ?? '-'} ${i.attr}.${i.system}`, `${i.hydra}/${i.verdict}`]));

describeEachDriver('check: pre-existing or new', (get) => {
  let e1: { id: number }, e2: { id: number; revision: string };
  let app: ReturnType<typeof checkApp>;

  beforeAll(async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'nixpkgs');
    e1 = sim.eval(js, { jobs: {
      [`python3Packages.optax.${X}`]: 'failure', [`python313Packages.requests.${X}`]: 'success', [`hello.${X}`]: 'success',
      [`hello.${D}`]: 'success', [`curl.${X}`]: 'success', [`slowpkg.${X}`]: 'success', [`python313Packages.jaxlib.${D}`]: 'success',
      [`timeout.${X}`]: 'failure',
    } });
    sim.advance(3600);
    e2 = sim.eval(js, { jobs: {
      [`python3Packages.optax.${X}`]: 'reuse', [`python313Packages.requests.${X}`]: 'reuse', [`hello.${X}`]: 'reuse',
      [`hello.${D}`]: 'reuse', [`curl.${X}`]: 'failure', [`slowpkg.${X}`]: 'pending', [`python313Packages.jaxlib.${D}`]: 'dep',
      [`timeout.${X}`]: { status: 7 },
    } });
    await syncNixpkgsOnce(database, sim);
    const alice = await upsertDevUser(database.db, 'alice');
    const open = await listBreakages(database.db, { now: new Date(), hydraUrl: '' }, { q: 'optax', sort: 'job' }, null, 10);
    const claimed = await claimBreakage(database.db, {
      breakageId: open.items[0]!.id, userId: alice.id, handle: 'alice', prUrl: 'https://github.com/NixOS/nixpkgs/pull/400001', note: null, now: new Date(),
    });
    expect(claimed.ok).toBe(true);
    app = checkApp(database, checkConfig());
  });

  it('classifies every package of a multi-system report.json', async () => {
    const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: multiSystemReport });
    expect(r).toMatchObject({ jobset: 'nixpkgs/unstable', evalId: e2.id, revision: e2.revision, pr: 412345 });
    expect(verdicts(r)).toEqual({
      [`failed python3Packages.optax.${X}`]: 'failing/already-broken',
      [`failed python313Packages.requests.${X}`]: 'green/likely-new',
      [`failed slowpkg.${X}`]: 'pending/pending',
      [`failed brandnew.${X}`]: 'unknown/unknown',
      // Aborted (infra) in the newest eval: its last verdict, a failure, decides.
      [`failed timeout.${X}`]: 'infra/already-broken',
      [`built hello.${X}`]: 'green/built',
      [`built curl.${X}`]: 'failing/built',
      [`failed python313Packages.jaxlib.${D}`]: 'failing/already-broken',
      [`built hello.${D}`]: 'green/built',
    });
    const optax = r.items.find((i) => i.attr === 'python3Packages.optax')!;
    expect(optax.since?.evalId).toBe(e1.id);
    expect(optax.breakage).toMatchObject({ state: 'open', openedEvalId: e1.id, claim: { by: 'alice', prUrl: 'https://github.com/NixOS/nixpkgs/pull/400001' } });
    expect(optax.buildId).toEqual(expect.any(Number));
    const jaxlib = r.items.find((i) => i.attr === 'python313Packages.jaxlib')!;
    expect(jaxlib).toMatchObject({ since: { evalId: e2.id }, breakage: { claim: null } });
    expect(r.items.find((i) => i.attr === 'slowpkg')!.lastVerdict).toEqual({ evalId: e1.id, outcome: 'success' });
    expect(r.items.find((i) => i.attr === 'brandnew')!.buildId).toBeNull();
    expect(r.summary).toEqual({
      total: 9,
      verdicts: { 'already-broken': 3, 'likely-new': 1, pending: 1, unknown: 1, built: 3 },
      hydra: { failing: 3, green: 3, pending: 1, infra: 1, unknown: 1 },
      builtButFailingOnHydra: 1,
      skipped: 2,
    });
    const text = formatCheckText(r);
    expect(text).toContain(`zhf check against nixpkgs/unstable eval ${e2.id}`);
    expect(text).toMatch(/Likely new \(green on Hydra\):\n {2}python313Packages\.requests {2}x86_64-linux/);
    expect(text).toMatch(/python3Packages\.optax {2}x86_64-linux .*failing since eval \d+ .*claimed by @alice/);
    expect(text).toContain('Built here but failing on Hydra (fixed by this change?):\n  curl  x86_64-linux');
  });

  it('classifies the old single-system form, with or without its system key', async () => {
    const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: singleSystem2023 });
    expect(verdicts(r)).toEqual({
      [`failed python3Packages.optax.${X}`]: 'failing/already-broken',
      [`failed python313Packages.requests.${X}`]: 'green/likely-new',
      [`built hello.${X}`]: 'green/built',
    });
    expect(r.summary.skipped).toBe(1);
    const { system: _, ...noSystem } = singleSystem2023;
    const onDarwin = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: noSystem, defaultSystem: D });
    expect(verdicts(onDarwin)).toEqual({
      [`failed python3Packages.optax.${D}`]: 'unknown/unknown',
      [`failed python313Packages.requests.${D}`]: 'unknown/unknown',
      [`built hello.${D}`]: 'green/built',
    });
    await expect(checkReport(get().db, { jobset: 'nixpkgs/unstable', report: noSystem })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('system') });
  });

  it('matches an entry of the development form through its aliases', async () => {
    const report = { systems: [X], result: { [X]: { built: [], failed: [{ name: 'python313Packages.optax', aliases: ['python3Packages.optax'] }] } } };
    const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report });
    expect(r.items).toMatchObject([{ attr: 'python313Packages.optax', job: `python3Packages.optax.${X}`, hydra: 'failing', verdict: 'already-broken' }]);
  });

  it('checks a plain package list through POST /api/check, in one answer', async () => {
    const res = await app.request('/api/check', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ packages: [{ attr: 'curl', system: X }, { attr: 'hello', system: D }, { attr: 'nope', system: X }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as CheckResult;
    expect(body.items.map((i) => [i.attr, i.hydra, i.verdict])).toEqual([
      ['curl', 'failing', 'already-broken'], ['hello', 'green', 'likely-new'], ['nope', 'unknown', 'unknown'],
    ]);
    const viaReport = await app.request('/api/check', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobset: 'nixpkgs/unstable', report: multiSystemReport }),
    });
    expect(viaReport.status).toBe(200);
    expect(((await viaReport.json()) as CheckResult).summary.total).toBe(9);
    // The same answer as the function, so the CLI and the API agree.
    const direct = await checkPackages(get().db, { jobset: 'nixpkgs/unstable', packages: [{ attr: 'curl', system: X }] });
    expect(direct.items[0]!.breakage?.openedEvalId).toBe(e2.id);
  });

  it('takes the report.json itself as the body, as curl --data-binary @report.json sends it', async () => {
    const send = (path: string, body: unknown, type: string) => app.request(path, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });
    const wrapped = (await (await send('/api/check', { report: multiSystemReport }, 'application/json')).json()) as CheckResult;
    // curl labels --data-binary x-www-form-urlencoded unless told otherwise.
    for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
      const res = await send('/api/check?jobset=nixpkgs/unstable', multiSystemReport, type);
      expect({ type, status: res.status }).toEqual({ type, status: 200 });
      const bare = (await res.json()) as CheckResult;
      expect(bare.items).toEqual(wrapped.items);
      expect(bare.pr).toBe(412345);
    }
    // A single-system file without its system key: the system comes from the query.
    const { system: _, ...noSystem } = singleSystem2023;
    const onDarwin = (await (await send(`/api/check?system=${D}`, noSystem, 'application/x-www-form-urlencoded')).json()) as CheckResult;
    expect(verdicts(onDarwin)[`built hello.${D}`]).toBe('green/built');
    const untracked = await send('/api/check?jobset=nixpkgs/nope', multiSystemReport, 'application/json');
    expect(untracked.status).toBe(404);
  });

  it('serves the newest eval\'s failing jobs as cacheable JSON with an ETag', async () => {
    const res = await app.request('/api/failing/nixpkgs/unstable.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(new RegExp(`^"zhf-failing-${e2.id}-`));
    const body = (await res.json()) as { evalId: number; total: number; jobs: { job: string; kind: string; since: { evalId: number } | null }[] };
    expect(body.evalId).toBe(e2.id);
    expect(body.jobs.map((j) => [j.job, j.kind, j.since?.evalId])).toEqual([
      [`curl.${X}`, 'direct', e2.id],
      [`python313Packages.jaxlib.${D}`, 'dependency', e2.id],
      [`python3Packages.optax.${X}`, 'direct', e1.id],
    ]);
    const again = await app.request('/api/failing/nixpkgs/unstable.json', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const other = await app.request('/api/failing/nixpkgs/unstable.json', { headers: { 'if-none-match': '"zhf-failing-1-0"' } });
    expect(other.status).toBe(200);
  });

  it('answers bad input with a clear 4xx, never a 500', async () => {
    const post = async (body: string, type = 'application/json') => app.request('/api/check', { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [string, Response | Promise<Response>, number, RegExp][] = [
      ['malformed JSON', post('{"report": '), 400, /not valid JSON/],
      ['neither packages nor report', post('{}'), 400, /either packages/],
      ['both packages and report', post(JSON.stringify({ packages: [], report: {} })), 400, /either packages/],
      ['a report that is not one', post(JSON.stringify({ report: { hello: 'world' } })), 400, /not a nixpkgs-review report/],
      ['a report with a bad list', post(JSON.stringify({ report: { systems: [X], result: { [X]: { failed: 'hello' } } } })), 400, /result\.x86_64-linux\.failed/],
      ['a report as a string that is not JSON', post(JSON.stringify({ report: '{nope' })), 400, /report\.json is not valid JSON/],
      ['a bad system', post(JSON.stringify({ packages: [{ attr: 'hello', system: 'linux' }] })), 400, /system must be/],
      // Positions as people count them: the third package is "package 3", not "packages[2]".
      ['a bad third package', post(JSON.stringify({ packages: [{ attr: 'a', system: X }, { attr: 'b', system: X }, { attr: 'c', system: 'linux' }] })), 400,
        /^package 3 of 3: system must be a system such as x86_64-linux, got "linux"$/],
      ['an attr with spaces', post(JSON.stringify({ packages: [{ attr: 'rm -rf', system: X }] })), 400, /attr must be/],
      ['an untracked jobset', post(JSON.stringify({ jobset: 'nixpkgs/nope', packages: [] })), 404, /not tracked/],
      ['a malformed jobset', post(JSON.stringify({ jobset: 'nixpkgs', packages: [] })), 400, /project\/jobset/],
      ['another media type', post('x', 'text/plain'), 415, /application\/json/],
      ['an untracked feed', app.request('/api/failing/nixpkgs/nope.json'), 404, /not tracked/],
      ['a feed that is not .json', app.request('/api/failing/nixpkgs/unstable.xml'), 404, /no route/],
      ['a SHA that is not hex', app.request('/api/commits/not-a-sha'), 400, /hexadecimal/],
      ['a SHA too short', app.request('/api/commits/abc12'), 400, /hexadecimal/],
      ['a PR number that is not one', app.request('/api/prs/12abc'), 400, /positive integer/],
      ['a PR with a bad jobset', app.request('/api/prs/1?jobset=x'), 400, /project\/jobset/],
    ];
    for (const [what, pending, status, message] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(body.error.message, what).toMatch(message);
    }
  });
});
