import { expect, it } from 'vitest';
import { devLoginWarnings } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, githubSession, makeApp, rowCounts, testConfig, useScenario } from './support.ts';

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

// Defects an audit found, each pinned: bad input is a 4xx, dev login stays a toy.
describeEachDriver('hardening', (get) => {
  const t = useScenario(get, { closeHydra: true });

  it('a breakage cursor holding NUL or a lone surrogate is a 400, for every sort', async () => {
    // The audit's own cursor: ["a\u0000b",1].
    expect(cursor(['a\u0000b', 1])).toBe('WyJhXHUwMDAwYiIsMV0');
    const bad: [string, unknown][] = [
      ['job', ['a\u0000b', 1]],
      ['job', ['\ud800', 1]],
      ['system', ['x86_64-linux', 'a\u0000b', 1]],
      ['system', ['a\u0000', 'hello', 1]],
    ];
    for (const [sort, value] of bad) {
      const r = await call(t.app, 'GET', `/api/breakages?week=all&sort=${sort}&cursor=${cursor(value)}`);
      expect([sort, value, r.status, r.json?.error?.code]).toEqual([sort, value, 400, 'invalid']);
      expect(r.json.error.message).toBe('cursor is malformed');
    }
    // Clean cursors of the same shapes still page.
    expect((await call(t.app, 'GET', `/api/breakages?week=all&sort=job&cursor=${cursor(['a', 1])}`)).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/breakages?week=all&sort=system&cursor=${cursor(['a', 'b', 1])}`)).status).toBe(200);
  });

  it('dev login checks Origin whatever the content type', async () => {
    const before = await rowCounts(get());
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { origin: 'http://evil.example', 'content-type': '' },
      { origin: 'http://evil.example', 'content-type': 'text/plain' },
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      { origin: 'null', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/x-www-form-urlencoded' }, // a form always carries its Origin
    ]) {
      const body = headers['content-type']?.startsWith('application/x-www') ? 'handle=eve' : '{"handle":"eve"}';
      const res = await t.app.request('/auth/dev', { method: 'POST', headers, body });
      expect([headers, res.status]).toEqual([headers, 403]);
      expect(res.headers.get('set-cookie') ?? '').not.toContain('zhf_session=');
    }
    expect(await rowCounts(get())).toEqual(before);
    // This site's own origin, and clients that send none (curl), still sign in.
    const own = await t.app.request('/auth/dev', { method: 'POST', headers: { origin: 'http://localhost', 'content-type': '' }, body: '{"handle":"eve"}' });
    expect(own.status).toBe(303);
    const curl = await call(t.app, 'POST', '/auth/dev', { body: { handle: 'eve' } });
    expect(curl.status).toBe(200);
  });

  it('dev login never adopts a GitHub-linked account or a maintainer handle', async () => {
    await githubSession(get(), 'octocat');
    const before = await rowCounts(get());
    for (const handle of ['octocat', 'OctoCat', 'mona', 'MONA']) {
      const r = await call(t.app, 'POST', '/auth/dev', { body: { handle } });
      expect([handle, r.status, r.json.error.code]).toEqual([handle, 403, 'forbidden']);
      expect(r.headers.get('set-cookie') ?? '').not.toContain('zhf_session=');
    }
    expect((await call(t.app, 'POST', '/auth/dev', { body: { handle: 'mona' } })).json.error.message).toBe('@mona is a maintainer: sign in with GitHub');
    expect(await rowCounts(get())).toEqual(before);
  });

  it('dev login is refused behind an https public URL unless forced, and warned about', async () => {
    const refused = makeApp(get(), { config: testConfig({ ZHF_PUBLIC_URL: 'https://zhf.example.org' }) });
    const r = await call(refused, 'POST', '/auth/dev', { body: { handle: 'carol' } });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toContain('ZHF_DEV_LOGIN=force');
    expect(devLoginWarnings(testConfig({ ZHF_PUBLIC_URL: 'https://zhf.example.org' }))).toEqual([expect.stringContaining('dev login is refused')]);

    const forced = makeApp(get(), { config: testConfig({ ZHF_PUBLIC_URL: 'https://zhf.example.org', ZHF_DEV_LOGIN: 'force' }) });
    expect((await call(forced, 'POST', '/auth/dev', { body: { handle: 'carol' } })).status).toBe(200);
    expect(devLoginWarnings(testConfig({ ZHF_PUBLIC_URL: 'https://zhf.example.org', ZHF_DEV_LOGIN: 'force' }))).toEqual([expect.stringContaining('DEV LOGIN IS FORCED ON')]);
    expect(devLoginWarnings(testConfig({ ZHF_GITHUB_CLIENT_ID: 'cid', ZHF_GITHUB_CLIENT_SECRET: 's' }))).toEqual([expect.stringContaining('beside GitHub sign-in')]);
    expect(devLoginWarnings(testConfig())).toEqual([]);
    expect(devLoginWarnings(testConfig({ ZHF_DEV_LOGIN: '0', ZHF_PUBLIC_URL: 'https://zhf.example.org' }))).toEqual([]);
  });

  it('the OAuth callback re-checks the `next` of its unsigned cookie', async () => {
    const gh = makeApp(get(), { config: testConfig({ ZHF_GITHUB_CLIENT_ID: 'cid', ZHF_GITHUB_CLIENT_SECRET: 'secret' }) });
    const state = 's'.repeat(43);
    for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const oauth = Buffer.from(JSON.stringify({ state, verifier: 'v'.repeat(43), next })).toString('base64url');
      const res = await gh.request(`/auth/github/callback?state=${state}&error=access_denied`, { headers: { cookie: `zhf_oauth=${oauth}` } });
      expect([next, res.status, res.headers.get('location')]).toEqual([next, 302, '/?signin_error=access_denied']);
    }
  });

  it('a 413 tells the client the connection closes', async () => {
    const big = JSON.stringify({ note: 'x'.repeat(2 * 1024 * 1024) });
    const res = await t.app.request('/auth/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});
