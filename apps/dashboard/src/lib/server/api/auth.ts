import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import type { Database } from '@zhf/db';
import { deleteSession, insertSession, sessionByHash, upsertDevUser, upsertGithubUser, type UserRow } from '@zhf/db/queries';
import { DomainError, Forbidden, Invalid, NotFound, Unauthorized, Upstream } from './errors.ts';
import { DevLoginSchema } from '../../api/schemas.ts';
import { apiApp, errors, json, jsonBody, route, type ApiApp } from './route.ts';
import type { ApiConfig, ApiEnv } from './types.ts';
import { readBody, wantsJson } from './util.ts';

export const SESSION_COOKIE = 'zhf_session';
const OAUTH_COOKIE = 'zhf_oauth';
const SESSION_TTL_MS = 30 * 86_400_000;
const OAUTH_TTL_S = 600;

/** A GitHub login: alphanumerics and single inner hyphens, at most 39 characters. */
export const handleSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'not a GitHub handle');

export interface SessionUser {
  id: number;
  login: string;
  name: string | null;
  avatarUrl: string | null;
  csrf: string;
  maintainer: boolean;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export function isMaintainer(config: Pick<ApiConfig, 'maintainers'>, login: string): boolean {
  return config.maintainers.includes(login.toLowerCase());
}

/**
 * The signed-in user of a session cookie's value, or null (absent, unknown or expired).
 * For the dashboard's server side: pages read `csrf` from here and send it as `x-csrf-token`.
 */
export async function getSessionUser(
  database: Database, cookieValue: string | undefined | null, config: Pick<ApiConfig, 'maintainers'> = { maintainers: [] }, now = new Date(),
): Promise<SessionUser | null> {
  if (!cookieValue || !/^[A-Za-z0-9_-]{20,100}$/.test(cookieValue)) return null;
  const s = await sessionByHash(database.db, sha256(cookieValue), now);
  if (!s) return null;
  return { id: s.user.id, login: s.user.login, name: s.user.name, avatarUrl: s.user.avatarUrl, csrf: s.csrf, maintainer: isMaintainer(config, s.user.login) };
}

function secure(config: Pick<ApiConfig, 'publicUrl'>): boolean {
  return config.publicUrl?.startsWith('https:') ?? false;
}

async function startSession(c: Context<ApiEnv>, user: UserRow): Promise<{ csrf: string }> {
  const { database, config, now } = c.get('deps');
  const value = token();
  const csrf = token();
  const t = now();
  await insertSession(database.db, { idHash: sha256(value), userId: user.id, csrf, expiresAt: new Date(t.getTime() + SESSION_TTL_MS) });
  setCookie(c, SESSION_COOKIE, value, { httpOnly: true, sameSite: 'Lax', secure: secure(config), path: '/', maxAge: SESSION_TTL_MS / 1000 });
  return { csrf };
}

/** Loads the session's user into `c.var.user` (null when not signed in). */
export const loadSession = createMiddleware<ApiEnv>(async (c, next) => {
  const { database, config, now } = c.get('deps');
  c.set('user', await getSessionUser(database, getCookie(c, SESSION_COOKIE), config, now()));
  await next();
});

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The origin this app is served at: the configured public URL, else the request's own. */
export function ownOrigin(c: Context<ApiEnv>): string {
  const pub = c.get('deps').config.publicUrl;
  return new URL(pub ?? c.req.url).origin;
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

/**
 * CSRF for cookie-authenticated writes: the session's token in `x-csrf-token`, or a form
 * post whose `Origin` is this site (what browsers send for same-origin forms).
 */
export function checkCsrf(c: Context<ApiEnv>, csrf: string | null): void {
  const header = c.req.header('x-csrf-token');
  if (header !== undefined && csrf !== null) {
    if (!sameString(header, csrf)) throw new Forbidden('x-csrf-token does not match the session');
    return;
  }
  const origin = c.req.header('origin');
  if (FORM.test(c.req.header('content-type') ?? '') && origin && origin === ownOrigin(c)) return;
  throw new Forbidden('missing x-csrf-token header (or a same-origin form post)');
}

/** The user of a write: signed in (else 401), and the request not forged from another site (else 403). */
export function signedIn(c: Context<ApiEnv>): SessionUser {
  const user = c.get('user');
  if (!user) throw new Unauthorized('sign in to do this');
  checkCsrf(c, user.csrf);
  return user;
}

/** Guards a write: signed in, and not forged from another site. */
export const requireUser = createMiddleware<ApiEnv>(async (c, next) => {
  signedIn(c);
  await next();
});

/**
 * Whether dev login answers: `off` (not configured), `on`, `refused` (configured, but the public
 * URL is https: a deployment, where anyone could sign in as anyone) or `forced` (ZHF_DEV_LOGIN=force).
 */
export function devLoginState(config: Pick<ApiConfig, 'devLogin' | 'devLoginForced' | 'publicUrl'>): 'off' | 'on' | 'refused' | 'forced' {
  if (!config.devLogin) return 'off';
  if (!secure(config)) return 'on';
  return config.devLoginForced ? 'forced' : 'refused';
}

/** What the server says at start about dev login: it lets anyone sign in as any handle. */
export function devLoginWarnings(config: Pick<ApiConfig, 'devLogin' | 'devLoginForced' | 'publicUrl' | 'github'>): string[] {
  const state = devLoginState(config);
  const out: string[] = [];
  if (state === 'refused') out.push(`ZHF_DEV_LOGIN is set but ZHF_PUBLIC_URL (${config.publicUrl}) is https: dev login is refused; set ZHF_DEV_LOGIN=force to allow it anyway`);
  if (state === 'forced') out.push(`DEV LOGIN IS FORCED ON at ${config.publicUrl}: anyone can sign in as any handle without GitHub; never do this on a public deployment`);
  if (state !== 'off' && config.github.clientId) out.push('dev login is on beside GitHub sign-in: anyone can sign in as a handle that has no GitHub account here yet');
  return out;
}

/** Only a local path may be a redirect target after sign-in (no open redirects). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

const githubToken = z.union([
  z.object({ access_token: z.string().min(1), token_type: z.string().optional(), scope: z.string().optional() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
const githubUser = z.object({
  login: handleSchema, id: z.number().int().positive(), name: z.string().nullable().optional(), avatar_url: z.string().nullable().optional(),
});

const oauthCookie = z.object({ state: z.string().min(20), verifier: z.string().min(43), next: z.string() });

const devLoginBody = z.object({ handle: handleSchema, next: z.string().optional() });
const formRedirect = { 303: { description: 'form post: redirect' } };

/** `/auth/*`: GitHub's web flow, dev login, logout. Their query parameters are read as given (the first of repeated ones). */
export function authRoutes(): ApiApp {
  const app = apiApp();

  route(app, {
    method: 'get', path: '/github', summary: 'Start GitHub sign-in', request: { query: z.object({ next: z.string().optional() }) },
    responses: { 302: { description: 'to GitHub' }, ...errors(404) },
  }, (c) => {
    const { config } = c.get('deps');
    if (!config.github.clientId || !config.github.clientSecret) throw new NotFound('GitHub sign-in is not configured');
    const state = token();
    const verifier = token() + token();
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const next = safeNext(c.req.query('next'));
    setCookie(c, OAUTH_COOKIE, Buffer.from(JSON.stringify({ state, verifier, next })).toString('base64url'), {
      httpOnly: true, sameSite: 'Lax', secure: secure(config), path: '/auth', maxAge: OAUTH_TTL_S,
    });
    const u = new URL(`${config.github.url}/login/oauth/authorize`);
    u.searchParams.set('client_id', config.github.clientId);
    u.searchParams.set('redirect_uri', `${ownOrigin(c)}/auth/github/callback`);
    u.searchParams.set('scope', 'read:user');
    u.searchParams.set('state', state);
    u.searchParams.set('code_challenge', challenge);
    u.searchParams.set('code_challenge_method', 'S256');
    return c.redirect(u.toString(), 302);
  }, { unchecked: ['query'] });

  route(app, {
    method: 'get', path: '/github/callback', summary: 'GitHub returns here',
    request: { query: z.object({ code: z.string().optional(), state: z.string().optional() }) },
    responses: { 302: { description: 'signed in' }, ...errors(400, 404, 502) },
  }, async (c) => {
    const { config, database } = c.get('deps');
    const fetchFn = c.get('deps').fetch ?? fetch;
    if (!config.github.clientId || !config.github.clientSecret) throw new NotFound('GitHub sign-in is not configured');
    const raw = getCookie(c, OAUTH_COOKIE);
    deleteCookie(c, OAUTH_COOKIE, { path: '/auth' });
    let saved: z.infer<typeof oauthCookie> | null = null;
    try {
      saved = oauthCookie.parse(JSON.parse(Buffer.from(raw ?? '', 'base64url').toString()));
    } catch {
      saved = null;
    }
    const state = c.req.query('state');
    if (!saved || !state || !sameString(state, saved.state)) throw new Invalid('sign-in state does not match; start again');
    const denied = c.req.query('error');
    // The cookie is not signed: its `next` is checked again, as when it was set.
    const next = safeNext(saved.next);
    if (denied) return c.redirect(`${next}${next.includes('?') ? '&' : '?'}signin_error=${encodeURIComponent(denied.slice(0, 64))}`, 302);
    const code = c.req.query('code');
    if (!code || code.length > 512) throw new Invalid('missing code');

    let tokenRes: z.infer<typeof githubToken>;
    try {
      const res = await fetchFn(`${config.github.url}/login/oauth/access_token`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: config.github.clientId, client_secret: config.github.clientSecret, code,
          redirect_uri: `${ownOrigin(c)}/auth/github/callback`, code_verifier: saved.verifier,
        }),
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) throw new Upstream(`GitHub token endpoint answered ${res.status}`);
      tokenRes = githubToken.parse(await res.json());
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new Upstream(`GitHub token exchange failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    // GitHub reports a bad code, secret or redirect with HTTP 200 and an `error` field.
    if ('error' in tokenRes) throw new Invalid(`GitHub refused the sign-in: ${tokenRes.error}`);

    let gh: z.infer<typeof githubUser>;
    try {
      const res = await fetchFn(`${config.github.apiUrl}/user`, {
        headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${tokenRes.access_token}`, 'user-agent': 'zhf' },
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) throw new Upstream(`GitHub /user answered ${res.status}`);
      gh = githubUser.parse(await res.json());
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new Upstream(`GitHub /user failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const user = await upsertGithubUser(database.db, { githubId: gh.id, login: gh.login, name: gh.name ?? null, avatarUrl: gh.avatar_url ?? null });
    await startSession(c, user);
    return c.redirect(next, 302);
  }, { unchecked: ['query'] });

  // Signs in as any handle without GitHub: for the demo and tests only.
  route(app, {
    method: 'post', path: '/dev', summary: 'Sign in as any handle (ZHF_DEV_LOGIN only)',
    request: { body: jsonBody(devLoginBody, true) },
    responses: { 200: json(DevLoginSchema), ...formRedirect, ...errors(400, 403, 404) },
  }, async (c) => {
    const { config, database } = c.get('deps');
    const state = devLoginState(config);
    if (state === 'off') throw new NotFound('dev login is disabled');
    if (state === 'refused') throw new Forbidden('dev login is refused behind an https ZHF_PUBLIC_URL (ZHF_DEV_LOGIN=force overrides)');
    // A cross-site post could sign a victim in as the attacker. Browsers send Origin with every
    // POST, whatever the content type (a form, or a "simple" text/plain or empty-typed fetch);
    // a form must carry it, other clients (curl, tests) may omit it.
    const origin = c.req.header('origin');
    const isForm = FORM.test(c.req.header('content-type') ?? '');
    if ((origin !== undefined || isForm) && origin !== ownOrigin(c)) throw new Forbidden('cross-site sign-in');
    if (c.req.header('sec-fetch-site') === 'cross-site') throw new Forbidden('cross-site sign-in');
    const body = await readBody(c, devLoginBody);
    // Dev login makes up users; it never takes over a real one or a maintainer's powers.
    if (isMaintainer(config, body.handle)) throw new Forbidden(`@${body.handle} is a maintainer: sign in with GitHub`);
    const user = await upsertDevUser(database.db, body.handle);
    if (user.githubId !== null) throw new Forbidden(`@${user.login} is a GitHub account: sign in with GitHub`);
    const { csrf } = await startSession(c, user);
    if (!wantsJson(c)) return c.redirect(safeNext(body.next), 303);
    return c.json({ user: { login: user.login, name: user.name, avatarUrl: user.avatarUrl, maintainer: isMaintainer(config, user.login) }, csrf }, 200);
  });

  route(app, {
    method: 'post', path: '/logout', summary: 'Sign out', responses: { 204: { description: 'signed out' }, ...formRedirect, ...errors(403) },
  }, async (c) => {
    const user = c.get('user');
    const value = getCookie(c, SESSION_COOKIE);
    if (user && value) {
      checkCsrf(c, user.csrf);
      await deleteSession(c.get('deps').database.db, sha256(value));
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    if (!wantsJson(c)) return c.redirect('/', 303);
    return c.body(null, 204);
  });

  return app;
}

export function meResponse(c: Context<ApiEnv>) {
  const user = c.get('user');
  if (!user) return { user: null, csrf: null };
  return { user: { login: user.login, name: user.name, avatarUrl: user.avatarUrl, maintainer: user.maintainer }, csrf: user.csrf };
}

