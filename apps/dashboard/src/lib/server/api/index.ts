import { z } from 'zod';
import { MeSchema } from '../../api/schemas.ts';
import { authRoutes, loadSession, meResponse } from './auth.ts';
import { errorBody, onError } from './errors.ts';
import { declareSession, describeApi } from './document.ts';
import { breakageRoutes } from './routes/breakages.ts';
import { evalRoutes } from './routes/evals.ts';
import { jobRoutes, jobsetRoutes } from './routes/jobsets.ts';
import { maintainerFeedRoutes, maintainerRoutes } from './routes/maintainers.ts';
import { opsRoutes } from './routes/ops.ts';
import { rootRoutes } from './routes/roots.ts';
import { trendRoutes } from './routes/trends.ts';
import { apiApp, ok, route, type ApiApp } from './route.ts';
import type { ApiDeps } from './types.ts';
import { limitBody, MAX_BODY_BYTES, MAX_UPLOAD_BYTES } from './util.ts';

export { devLoginState, devLoginWarnings, getSessionUser, isMaintainer, requireUser, checkCsrf, SESSION_COOKIE, type SessionUser } from './auth.ts';
export { Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized, Upstream, errorBody, parseOr400 } from './errors.ts';
export { apiApp, route, type ApiApp } from './route.ts';
export { readBody, encodeCursor, decodeCursor, limitSchema, idString, MAX_BODY_BYTES, MAX_UPLOAD_BYTES } from './util.ts';
export type { ApiConfig, ApiDeps, ApiEnv, ApiMetrics } from './types.ts';

export interface CreateAppOptions {
  /** Mounts more routes on the `/api` sub-app (preflight, roundups, ...), sharing deps, session, errors and the body limit. */
  extraRoutes?: (api: ApiApp) => void;
  /** Path prefixes that accept bodies up to MAX_UPLOAD_BYTES (file uploads); everything else 1 MB. */
  largeBodyPaths?: string[];
}

/**
 * The Hono app serving `/api/*`, `/auth/*`, `/healthz`, `/metrics` and `/feeds/*`. No server:
 * tests call `app.request()`, the zhf server hands it requests. Nothing reads the environment.
 */
export function createApp(deps: ApiDeps, opts: CreateAppOptions = {}): ApiApp {
  const resolved = { ...deps, now: deps.now ?? (() => new Date()) };
  const app = apiApp();
  declareSession(app);
  app.onError(onError);
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.use('*', async (c, next) => {
    c.set('deps', resolved);
    await next();
    // A body refused unread (413, from any limit) would be read as the next request on a
    // kept-alive connection: say the connection closes, so clients open a new one.
    if (c.res.status === 413) c.res.headers.set('connection', 'close');
  });
  const small = limitBody(MAX_BODY_BYTES);
  const large = limitBody(MAX_UPLOAD_BYTES);
  app.use('*', (c, next) => ((opts.largeBodyPaths ?? []).some((p) => c.req.path.startsWith(p)) ? large(c, next) : small(c, next)));
  app.use('*', loadSession);

  const api = apiApp()
    .route('/jobsets', jobsetRoutes())
    .route('/evals', evalRoutes())
    .route('/jobs', jobRoutes())
    .route('/breakages', breakageRoutes())
    .route('/roots', rootRoutes())
    .route('/maintainers', maintainerRoutes())
    .route('/trends', trendRoutes());
  route(api, { method: 'get', path: '/me', summary: 'The signed-in user and the CSRF token for writes', responses: ok(MeSchema) }, (c) => c.json(meResponse(c), 200));
  // Generated from the routes' declarations once per server URL, when first asked for.
  const documents = new Map<string, unknown>();
  route(api, { method: 'get', path: '/openapi.json', summary: 'This document', responses: ok(z.looseObject({})) }, (c) => {
    const url = resolved.config.publicUrl ?? new URL(c.req.url).origin;
    if (!documents.has(url)) documents.set(url, describeApi(app, url));
    // Set just above for this url: a JSON object.
    return c.json(documents.get(url) as Record<string, unknown>, 200);
  });
  opts.extraRoutes?.(api);

  app.route('/api', api);
  app.route('/auth', authRoutes());
  // Before the jobset feeds, whose /feeds/:project/:file would take /feeds/maintainers/….
  app.route('/', maintainerFeedRoutes());
  app.route('/', opsRoutes());
  return app;
}
