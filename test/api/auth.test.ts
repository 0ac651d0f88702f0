import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, getSessionUser } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { queryRows } from '../../db/src/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, devLogin, ingestScenario, makeApp, NOW, REQUESTS, rowCounts, testConfig, type Scenario } from './support.ts';
import { serveLocal, type LocalServer } from '../support/http.ts';

/** GitHub's OAuth endpoints as ECOSYSTEM-FORMATS.md describes them, with switchable failures. */
class FakeGitHub {
  mode: 'ok' | 'bad_code' | 'denied' = 'ok';
  user = { login: 'octocat', id: 583231, name: 'The Octocat', avatar_url: 'https://avatars.example/u/583231' };
  private codes = new Map<string, { challenge: string; redirect: string }>();
  private tokens = new Set<string>();
  private server?: LocalServer;
  url = '';

  async start() {
    const app = new Hono()
      .get('/login/oauth/authorize', (c) => {
        const q = c.req.query();
        if (q.client_id !== 'cid' || q.code_challenge_method !== 'S256' || !q.code_challenge || !q.state) return c.text('bad request', 400);
        const back = new URL(q.redirect_uri!);
        back.searchParams.set('state', q.state);
        if (this.mode === 'denied') back.searchParams.set('error', 'access_denied');
        else {
          const code = `code-${this.codes.size}`;
          this.codes.set(code, { challenge: q.code_challenge, redirect: q.redirect_uri! });
          back.searchParams.set('code', code);
        }
        return c.redirect(back.toString(), 302);
      })
      .post('/login/oauth/access_token', async (c) => {
        const f = new URLSearchParams(await c.req.text());
        const saved = this.codes.get(f.get('code') ?? '');
        const verifierOk = saved && createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url') === saved.challenge;
        // Like GitHub: errors are HTTP 200 with an `error` field.
        if (this.mode === 'bad_code' || !saved || !verifierOk) return c.json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }, 200);
        if (f.get('client_id') !== 'cid' || f.get('client_secret') !== 'secret') return c.json({ error: 'incorrect_client_credentials' }, 200);
        if (f.get('redirect_uri') !== saved.redirect) return c.json({ error: 'redirect_uri_mismatch' }, 200);
        this.codes.delete(f.get('code')!);
        const token = `gho_${Math.random().toString(36).slice(2)}`;
        this.tokens.add(token);
        return c.json({ access_token: token, token_type: 'bearer', scope: 'read:user' });
      })
      .get('/user', (c) => {
        const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
        if (!token || !this.tokens.has(token)) return c.json({ message: 'Bad credentials' }, 401);
        return c.json({ ...this.user, type: 'User' });
      });
    this.server = await serveLocal(app.fetch);
    this.url = this.server.url;
  }

  close() {
    return this.server?.close() ?? Promise.resolve();
  }
}

const cookieOf = (res: Response, name: string) => new RegExp(`${name}=([^;]*)`).exec(res.headers.get('set-cookie') ?? '')?.[1];

describeEachDriver('sign-in and CSRF', (get) => {
  let s: Scenario;
  const gh = new FakeGitHub();
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    s = await ingestScenario(get());
    await s.h.close();
    await gh.start();
    app = createApp({
      database: get(), now: () => NOW,
      config: testConfig({ ZHF_DEV_LOGIN: '0', ZHF_GITHUB_CLIENT_ID: 'cid', ZHF_GITHUB_CLIENT_SECRET: 'secret', ZHF_GITHUB_URL: gh.url, ZHF_GITHUB_API_URL: gh.url }),
    });
  });
  afterAll(async () => {
    await gh.close();
  });

  /** Browser steps: our /auth/github, GitHub's authorize page, back to our callback. */
  async function signIn(next = '/week') {
    const start = await app.request(`/auth/github?next=${encodeURIComponent(next)}`);
    expect(start.status).toBe(302);
    const oauth = cookieOf(start, 'zhf_oauth')!;
    expect(start.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${gh.url}/login/oauth/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost/auth/github/callback');
    const back = await fetch(authorize, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const callback = new URL(back.headers.get('location')!);
    return app.request(callback.pathname + callback.search, { headers: { cookie: `zhf_oauth=${oauth}` } });
  }

  it('signs in through GitHub with state and PKCE, keys the user on the GitHub id, and the session works', async () => {
    const res = await signIn('/week?x=1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/week?x=1');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/zhf_session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    const cookie = `zhf_session=${cookieOf(res, 'zhf_session')}`;
    const me = await call(app, 'GET', '/api/me', { headers: { cookie } });
    expect(me.json.user).toEqual({ login: 'octocat', name: 'The Octocat', avatarUrl: 'https://avatars.example/u/583231', maintainer: false });
    // Sessions are stored hashed: the cookie value is not in the table.
    const rows = await queryRows<{ id: string; github_id: string | number; login: string }>(get().db, sql`
      select s.id, u.github_id, u.login from sessions s join users u on u.id = s.user_id`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(createHash('sha256').update(cookieOf(res, 'zhf_session')!).digest('hex'));
    expect(Number(rows[0]!.github_id)).toBe(583231);

    // The dashboard's server side resolves the cookie the same way.
    const su = await getSessionUser(get(), cookieOf(res, 'zhf_session'), { maintainers: [] }, NOW);
    expect(su).toMatchObject({ login: 'octocat', csrf: me.json.csrf, maintainer: false });

    // A claim as a JSON write needs the CSRF token; a same-origin form post is accepted without it.
    const id = await breakageId(get(), REQUESTS);
    expect((await call(app, 'POST', `/api/breakages/${id}/claim`, { headers: { cookie }, body: {} })).status).toBe(403);
    const form = await app.request(`/api/breakages/${id}/claim`, {
      method: 'POST', headers: { cookie, origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'prUrl=https%3A%2F%2Fgithub.com%2FNixOS%2Fnixpkgs%2Fpull%2F7&note=on+it',
    });
    expect(form.status).toBe(201);
    expect(((await form.json()) as { claim: unknown }).claim).toMatchObject({ by: 'octocat', prUrl: 'https://github.com/NixOS/nixpkgs/pull/7', note: 'on it' });
    expect((await call(app, 'DELETE', `/api/breakages/${id}/claim`, { headers: { cookie, 'x-csrf-token': me.json.csrf } })).status).toBe(200);

    // Renamed on GitHub: the same row, the new login.
    gh.user = { ...gh.user, login: 'octocat2' };
    const again = await signIn();
    expect(again.status).toBe(302);
    const users = await queryRows<{ login: string }>(get().db, sql`select login from users where github_id = 583231`);
    expect(users).toEqual([{ login: 'octocat2' }]);
    gh.user = { ...gh.user, login: 'octocat' };

    // Logout needs the token too, then the session is gone.
    expect((await call(app, 'POST', '/auth/logout', { headers: { cookie } })).status).toBe(403);
    expect((await call(app, 'POST', '/auth/logout', { headers: { cookie, 'x-csrf-token': me.json.csrf } })).status).toBe(204);
    expect((await call(app, 'GET', '/api/me', { headers: { cookie } })).json.user).toBeNull();
  });

  it('a token error GitHub sends with HTTP 200 is a 400, and signs nobody in', async () => {
    const before = await rowCounts(get());
    gh.mode = 'bad_code';
    try {
      const res = await signIn();
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid', message: 'GitHub refused the sign-in: bad_verification_code' } });
      expect(res.headers.get('set-cookie') ?? '').not.toContain('zhf_session=');
    } finally {
      gh.mode = 'ok';
    }
    expect(await rowCounts(get())).toEqual(before);
  });

  it('a denied authorization goes back with the reason; a forged state is refused', async () => {
    gh.mode = 'denied';
    try {
      const res = await signIn('/week');
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/week?signin_error=access_denied');
    } finally {
      gh.mode = 'ok';
    }
    const start = await app.request('/auth/github');
    const oauth = cookieOf(start, 'zhf_oauth')!;
    const forged = await app.request('/auth/github/callback?code=code-0&state=forged-state-forged-state', { headers: { cookie: `zhf_oauth=${oauth}` } });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('invalid');
    // Open redirects are not possible through `next`.
    // A `next` planted in the (unsigned) cookie is checked again on the way back.
    const planted = await app.request('/auth/github?next=/week');
    const cookie = JSON.parse(Buffer.from(cookieOf(planted, 'zhf_oauth')!, 'base64url').toString());
    const forgedCookie = Buffer.from(JSON.stringify({ ...cookie, next: 'https://evil.example/' })).toString('base64url');
    const authorize = new URL(planted.headers.get('location')!);
    const back = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
    const landed = await app.request(back.pathname + back.search, { headers: { cookie: `zhf_oauth=${forgedCookie}` } });
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/');
    const evil = await app.request('/auth/github?next=//evil.example/');
    const saved = JSON.parse(Buffer.from(cookieOf(evil, 'zhf_oauth')!, 'base64url').toString());
    expect(saved.next).toBe('/');
  });

  it('dev login is off unless configured; cookies are Secure behind https', async () => {
    expect((await call(app, 'POST', '/auth/dev', { body: { handle: 'eve' } })).status).toBe(404);
    // Behind https dev login is refused unless forced (hardening.test.ts); forced, its cookies are Secure.
    const httpsApp = makeApp(get(), { config: testConfig({ ZHF_PUBLIC_URL: 'https://zhf.example.org', ZHF_DEV_LOGIN: 'force' }) });
    const res = await httpsApp.request('/auth/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"handle":"carol"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    // A same-origin form post signs in and redirects.
    const form = await httpsApp.request('/auth/dev', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://zhf.example.org' }, body: 'handle=dave&next=/week',
    });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/week');
    const noGithub = makeApp(get());
    expect((await noGithub.request('/auth/github')).status).toBe(404);
    const s2 = await devLogin(noGithub, 'erin');
    expect((await call(noGithub, 'GET', '/api/me', { as: s2 })).json.user.login).toBe('erin');
  });
});
