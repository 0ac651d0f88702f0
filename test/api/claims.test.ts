import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../db/src/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { A, breakageId, call, devLogin, githubSession, makeApp, NOW, REQUESTS, rowCounts, useScenario, X, type Session } from './support.ts';

const DAY = 86_400_000;

describeEachDriver('claims (SPEC section 4)', (get) => {
  const t = useScenario(get, { closeHydra: true });
  let alice: Session;
  let bob: Session;
  let mona: Session;
  beforeAll(async () => {
    alice = await devLogin(t.app, 'alice');
    bob = await devLogin(t.app, 'bob');
    mona = await githubSession(get(), 'mona'); // a maintainer (ZHF_MAINTAINERS=Mona)
  });

  it('100 simultaneous claims: exactly one wins, 99 get 409 naming the holder, one claim row', async () => {
    const id = await breakageId(get(), `depfail.${X}`);
    const users = await Promise.all(Array.from({ length: 100 }, (_, i) => devLogin(t.app, `racer-${i}`)));
    const results = await Promise.all(users.map((u) => call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: u })));
    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(99);
    const holder = won[0]!.json.claim.by as string;
    expect(holder).toMatch(/^racer-\d+$/);
    for (const r of lost) expect(r.json).toEqual({ error: { code: 'conflict', message: `claimed by @${holder}` }, holder });
    const rows = await queryRows<{ handle: string; released_at: unknown }>(get().db, sql`select handle, released_at from claims where breakage_id = ${id}`);
    expect(rows).toEqual([{ handle: holder, released_at: null }]);
    const racer = users.find((u) => u.handle === holder)!;
    expect((await call(t.app, 'DELETE', `/api/breakages/${id}/claim`, { as: racer })).status).toBe(200);
  });

  it('claim, update the PR link and note, release; text is stored as given', async () => {
    const id = await breakageId(get(), REQUESTS);
    const note = '<script>alert(1)</script> — naïve 修正 🚀\nline two';
    const c = await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice, body: { note } });
    expect(c.status).toBe(201);
    expect(c.json.claim).toEqual({
      by: 'alice', at: NOW.toISOString(), updatedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 14 * DAY).toISOString(), prUrl: null, note,
    });
    const listed = await call(t.app, 'GET', '/api/breakages?claimed=true');
    expect(listed.json.items.map((b: { job: string }) => b.job)).toEqual([REQUESTS]);
    // This week's unclaimed breakages; broken.x86_64-linux failed in the oldest eval: preexisting, backlog (SPEC section 3).
    expect((await call(t.app, 'GET', '/api/breakages?claimed=false')).json.total).toBe(4);

    const pr = 'https://github.com/NixOS/nixpkgs/pull/123456';
    const later = makeApp(get(), { now: () => new Date(NOW.getTime() + DAY) });
    const u = await call(later, 'PATCH', `/api/breakages/${id}/claim`, { as: alice, body: { prUrl: pr } });
    expect(u.status).toBe(200);
    expect(u.json.claim).toMatchObject({ prUrl: pr, note, at: NOW.toISOString(), updatedAt: new Date(NOW.getTime() + DAY).toISOString() });
    expect((await call(t.app, 'PATCH', `/api/breakages/${id}/claim`, { as: bob, body: { note: 'mine' } })).status).toBe(403);
    const again = await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: bob });
    expect(again).toMatchObject({ status: 409, json: { holder: 'alice' } });

    const rel = await call(t.app, 'DELETE', `/api/breakages/${id}/claim`, { as: alice });
    expect(rel.status).toBe(200);
    expect(rel.json.claim).toBeNull();
    const [row] = await queryRows<{ release_reason: string; released_by: string; pr_url: string; note: string }>(get().db, sql`
      select release_reason, released_by, pr_url, note from claims where breakage_id = ${id}`);
    expect(row).toEqual({ release_reason: 'released', released_by: 'alice', pr_url: pr, note });
    expect((await call(t.app, 'DELETE', `/api/breakages/${id}/claim`, { as: alice })).status).toBe(404);
  });

  it('only the holder or a maintainer may release', async () => {
    const id = await breakageId(get(), `hello.${A}`);
    expect((await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice })).status).toBe(201);
    const denied = await call(t.app, 'DELETE', `/api/breakages/${id}/claim`, { as: bob });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ error: { code: 'forbidden' }, holder: 'alice' });
    const byMaintainer = await call(t.app, 'DELETE', `/api/breakages/${id}/claim`, { as: mona });
    expect(byMaintainer.status).toBe(200);
    const [row] = await queryRows<{ released_by: string }>(get().db, sql`select released_by from claims where breakage_id = ${id}`);
    expect(row!.released_by).toBe('mona');
  });

  it('a claim expires 14 days after its last update; then anyone may take it', async () => {
    const id = await breakageId(get(), `newjob.${X}`);
    expect((await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice })).status).toBe(201);
    const day13 = makeApp(get(), { now: () => new Date(NOW.getTime() + 13 * DAY) });
    expect((await call(day13, 'POST', `/api/breakages/${id}/claim`, { as: bob })).status).toBe(409);
    const day15 = makeApp(get(), { now: () => new Date(NOW.getTime() + 15 * DAY) });
    expect((await call(day15, 'GET', `/api/breakages/${id}`)).json.claim).toBeNull();
    expect((await call(day15, 'PATCH', `/api/breakages/${id}/claim`, { as: alice, body: { note: 'still on it' } })).status).toBe(404);
    const taken = await call(day15, 'POST', `/api/breakages/${id}/claim`, { as: bob });
    expect(taken.status).toBe(201);
    expect(taken.json.claim.by).toBe('bob');
    const rows = await queryRows<{ handle: string; release_reason: string | null }>(get().db, sql`
      select handle, release_reason from claims where breakage_id = ${id} order by id`);
    expect(rows).toEqual([{ handle: 'alice', release_reason: 'expired' }, { handle: 'bob', release_reason: null }]);
  });

  it('closed breakages cannot be claimed', async () => {
    const id = await breakageId(get(), `broken.${X}`);
    const r = await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice });
    expect(r.status).toBe(409);
    expect(r.json.error.message).toContain('fixed');
  });

  it('bad input is a 4xx JSON error every time, never a 500, and writes nothing', async () => {
    const open = await breakageId(get(), `hello.${X}`.replace('hello', 'depfail'));
    const heldByAlice = await breakageId(get(), `hello.${A}`);
    expect((await call(t.app, 'POST', `/api/breakages/${heldByAlice}/claim`, { as: alice })).status).toBe(201);
    const e2 = t.s.e2.id;
    const big = JSON.stringify({ note: 'x'.repeat(1_100_000) });
    const noCsrf = { cookie: alice.cookie, 'x-csrf-token': '' };
    type Case = [string, string, string, { as?: Session; body?: unknown; headers?: Record<string, string> }, number];
    const cases: Case[] = [
      ['unknown eval', 'GET', '/api/evals/999999999', {}, 404],
      ['non-numeric eval id', 'GET', '/api/evals/abc', {}, 400],
      ['negative eval id', 'GET', '/api/evals/-1', {}, 400],
      ['exponent id', 'GET', '/api/evals/1e3', {}, 400],
      ['huge id', 'GET', '/api/evals/99999999999999999999', {}, 400],
      ['unknown compare', 'GET', `/api/evals/${e2}/compare/123`, {}, 404],
      ['unknown category', 'GET', `/api/evals/${e2}/jobs?category=bogus`, {}, 400],
      ['unknown kind', 'GET', `/api/evals/${e2}/jobs?kind=weird`, {}, 400],
      ['bad cursor', 'GET', `/api/evals/${e2}/jobs?cursor=!!!`, {}, 400],
      ['cursor of wrong shape', 'GET', `/api/evals/${e2}/jobs?cursor=${Buffer.from('[1,2]').toString('base64url')}`, {}, 400],
      ['cursor with NUL', 'GET', `/api/evals/${e2}/jobs?cursor=${Buffer.from('"a\\u0000"').toString('base64url')}`, {}, 400],
      ['limit zero', 'GET', `/api/evals/${e2}/jobs?limit=0`, {}, 400],
      ['limit too big', 'GET', `/api/evals/${e2}/jobs?limit=5000`, {}, 400],
      ['limit not a number', 'GET', `/api/evals/${e2}/jobs?limit=ten`, {}, 400],
      ['q with NUL', 'GET', `/api/evals/${e2}/jobs?q=%00`, {}, 400],
      ['q too long', 'GET', `/api/breakages?q=${'q'.repeat(201)}`, {}, 400],
      ['unknown jobset', 'GET', '/api/jobsets/nope/nope/evals', {}, 404],
      ['unknown job', 'GET', '/api/jobs/nixpkgs/unstable/nope', {}, 404],
      ['bad week', 'GET', '/api/breakages?week=2026-W99', {}, 400],
      ['bad state', 'GET', '/api/breakages?state=closed', {}, 400],
      ['bad sort', 'GET', '/api/breakages?sort=random', {}, 400],
      ['bad breakage cursor', 'GET', `/api/breakages?cursor=${Buffer.from('["a"]').toString('base64url')}`, {}, 400],
      ['unknown breakage jobset', 'GET', '/api/breakages?jobset=a/b', {}, 404],
      ['bad trends range', 'GET', '/api/trends?jobset=nixpkgs/unstable&from=yesterday', {}, 400],
      ['unknown breakage', 'GET', '/api/breakages/424242', {}, 404],
      ['unknown route', 'GET', '/api/nothing', {}, 404],
      ['claim without sign-in', 'POST', `/api/breakages/${open}/claim`, {}, 401],
      ['claim with a forged session', 'POST', `/api/breakages/${open}/claim`, { headers: { cookie: 'zhf_session=forgedforgedforgedforged' } }, 401],
      ['claim without CSRF token', 'POST', `/api/breakages/${open}/claim`, { headers: noCsrf, body: {} }, 403],
      ['claim with a wrong CSRF token', 'POST', `/api/breakages/${open}/claim`, { headers: { cookie: alice.cookie, 'x-csrf-token': bob.csrf }, body: {} }, 403],
      ['cross-site form claim', 'POST', `/api/breakages/${open}/claim`, { headers: { cookie: alice.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: 'note=hi' }, 403],
      ['claim unknown breakage', 'POST', '/api/breakages/424242/claim', { as: alice }, 404],
      ['claim non-numeric id', 'POST', '/api/breakages/abc/claim', { as: alice }, 400],
      ['claim id past int4', 'POST', '/api/breakages/3000000000/claim', { as: alice }, 400],
      ['malformed JSON', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: '{"note": ' }, 400],
      ['JSON array body', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: '[1]' }, 400],
      ['oversized body', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: big }, 413],
      ['non-GitHub PR URL', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { prUrl: 'https://gitlab.com/a/b/pull/1' } }, 400],
      ['GitHub issue, not a PR', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { prUrl: 'https://github.com/NixOS/nixpkgs/issues/1' } }, 400],
      ['javascript: PR URL', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { prUrl: 'javascript:alert(1)//https://github.com/a/b/pull/1' } }, 400],
      ['note too long', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { note: 'n'.repeat(2001) } }, 400],
      ['note with control characters', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { note: 'bell\u0007' } }, 400],
      ['note with NUL', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { note: 'a\u0000b' } }, 400],
      ['note with a lone surrogate', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: '{"note":"\\ud800"}' }, 400],
      ['note of the wrong type', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { note: 42 } }, 400],
      ['unknown field', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: { owner: 'x' } }, 400],
      ['unsupported media type', 'POST', `/api/breakages/${open}/claim`, { as: alice, body: 'note=x', headers: { 'content-type': 'text/plain' } }, 415],
      ['claim a closed breakage', 'POST', `/api/breakages/${await breakageId(get(), `broken.${X}`)}/claim`, { as: alice }, 409],
      ['claim one already held', 'POST', `/api/breakages/${heldByAlice}/claim`, { as: bob }, 409],
      ['release another user\'s claim', 'DELETE', `/api/breakages/${heldByAlice}/claim`, { as: bob }, 403],
      ['update another user\'s claim', 'PATCH', `/api/breakages/${heldByAlice}/claim`, { as: bob, body: { note: 'mine now' } }, 403],
      ['update with a bad PR URL', 'PATCH', `/api/breakages/${heldByAlice}/claim`, { as: alice, body: { prUrl: 'http://github.com/a/b/pull/1' } }, 400],
      ['empty update', 'PATCH', `/api/breakages/${heldByAlice}/claim`, { as: alice, body: {} }, 400],
      ['release without a claim', 'DELETE', `/api/breakages/${open}/claim`, { as: alice }, 404],
      ['dev login with a bad handle', 'POST', '/auth/dev', { body: { handle: '<img src=x>' } }, 400],
      ['dev login with a unicode handle', 'POST', '/auth/dev', { body: { handle: 'ålice' } }, 400],
      ['cross-site dev login form', 'POST', '/auth/dev', { body: 'handle=eve', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } }, 403],
      ['OAuth callback with no state', 'GET', '/auth/github/callback?code=x', {}, 404],
    ];
    const before = await rowCounts(get());
    for (const [name, method, path, opts, status] of cases) {
      const r = await call(t.app, method, path, opts);
      expect({ name, status: r.status }).toEqual({ name, status });
      expect(r.json?.error, name).toEqual({ code: expect.any(String), message: expect.any(String) });
      expect(r.headers.get('content-type'), name).toContain('application/json');
    }
    expect(await rowCounts(get())).toEqual(before);
  });
});
