import type { Handle } from '@sveltejs/kit';
import { getContext } from '$lib/server/context';

/** Paths the Hono app answers; everything else is a dashboard page. */
const API_PREFIXES = ['/api/', '/api', '/healthz', '/metrics', '/feeds/', '/auth/'];

export const handle: Handle = async ({ event, resolve }) => {
  const ctx = getContext();
  const path = event.url.pathname;
  if (API_PREFIXES.some((p) => path === p || (p.endsWith('/') && path.startsWith(p)))) {
    return ctx.fetch(event.request);
  }
  const t = ctx.readerTemplate;
  event.locals.user = t && event.request.headers.get(t.header) === t.secret
    ? { id: 0, login: t.login, csrf: '', maintainer: false }
    : await ctx.sessionUser(event.cookies.get(ctx.sessionCookieName));
  return resolve(event);
};
