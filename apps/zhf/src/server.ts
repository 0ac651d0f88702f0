import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { mountExtraRoutes, UPLOAD_PATHS } from '@zhf/dashboard/src/lib/server/api/extra.ts';
import { createApp, devLoginState, devLoginWarnings, getSessionUser, SESSION_COOKIE } from '@zhf/dashboard/src/lib/server/api/index.ts';
import { setContext } from '@zhf/dashboard/src/lib/server/context.ts';
import { readerTemplate as processReaderTemplate } from '@zhf/dashboard/src/lib/server/reader-template.ts';
import { answerClientError, setSecurityHeaders } from '@zhf/dashboard/src/lib/server/security-headers.ts';
import { prepareAdapterEnv } from './config.ts';
import { PageCache } from './page-cache.ts';
import { buildIsStale } from './build-freshness.ts';
import type { Runtime } from './runtime.ts';

const dashboardDir = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const handlerPath = `${dashboardDir}build/handler.js`;

/**
 * Builds the dashboard when no build exists (a fresh clone) or its sources are newer than the
 * build (after a pull), so `npm start` just works and never serves yesterday's pages.
 */
export function ensureDashboardBuilt(log: Runtime['log']): void {
  if (!buildIsStale(handlerPath, [`${dashboardDir}src`, `${dashboardDir}svelte.config.js`])) return;
  log.info(existsSync(handlerPath) ? 'rebuilding the dashboard: its sources changed since the last build…' : 'building the dashboard (first start only)…');
  const res = spawnSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) throw new Error(`dashboard build failed (exit ${res.status}); run \`npm run build\` to see why`);
}

export interface RunningServer {
  url: string;
  server: Server;
  /** Data changed outside a request (a sync): drop cached pages. */
  invalidate(): void;
  close(): Promise<void>;
}

/** Set by this server on every request (any client-sent value is overwritten). */
const PROTOCOL_HEADER = 'x-zhf-protocol';

const API_PATHS = /^\/(api(\/|$)|healthz$|metrics$|feeds\/|auth\/)/;
/** API reads whose answer does not depend on who asks. */
const PUBLIC_READS = /^\/(api\/(breakages|jobsets|evals|jobs|trends)(\/|$)|feeds\/)/;
/** POSTs that only compute an answer from what is stored (a preflight, a check): no write to forget. */
const COMPUTING_POSTS = /^\/api\/(preflight|check)\/?$/;

/**
 * One HTTP server: the Hono app answers the API, auth, health and feeds; SvelteKit's
 * adapter-node handler renders every page, reaching the API in process through the context.
 */
export async function startServer(rt: Runtime, opts: { port?: number; host?: string; pageCacheMs?: number } = {}): Promise<RunningServer> {
  const app = createApp(
    {
      database: rt.database,
      config: rt.config,
      hydra: rt.client,
      metrics: {
        hydraRequests: () => rt.client.stats.requests,
      },
    },
    { extraRoutes: (api) => mountExtraRoutes(api, rt), largeBodyPaths: UPLOAD_PATHS },
  );
  const readerTemplate = processReaderTemplate();
  const pages = new PageCache({
    ttlMs: opts.pageCacheMs ?? 10_000, maxEntries: 500, sessionCookie: SESSION_COOKIE, template: readerTemplate,
    resolveReader: async (cookie) => getSessionUser(rt.database, cookie, rt.config),
  });
  // Public reads (the same answer for everyone) are cached like pages: 64 readers of the fix
  // list's API must not each run its query.
  const reads = new PageCache({ ttlMs: opts.pageCacheMs ?? 10_000, maxEntries: 500, sessionCookie: SESSION_COOKIE, anyReader: true });
  const invalidate = () => {
    pages.invalidate();
    reads.invalidate();
  };
  // Every successful write through the API (claims, sign-in) empties the page cache.
  const appFetch = async (req: Request) => {
    const res = await app.fetch(req);
    if (req.method !== 'GET' && req.method !== 'HEAD' && res.status < 400 && !COMPUTING_POSTS.test(new URL(req.url).pathname)) invalidate();
    return res;
  };
  setContext({
    fetch: appFetch,
    sessionUser: async (cookie) => (cookie ? getSessionUser(rt.database, cookie, rt.config) : null),
    sessionCookieName: SESSION_COOKIE,
    hydraUrl: rt.config.hydraUrl,
    nextSyncAt: () => rt.nextSyncAt?.() ?? null,
    devLogin: ['on', 'forced'].includes(devLoginState(rt.config)),
    githubLogin: !!rt.config.github.clientId,
    readerTemplate,
  });
  for (const warning of devLoginWarnings(rt.config)) rt.log.warn(warning);
  ensureDashboardBuilt(rt.log);
  // SvelteKit refuses form posts whose Origin differs from the site's own (CSRF).
  prepareAdapterEnv(rt.config, PROTOCOL_HEADER);
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as {
    handler: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  };
  const api = getRequestListener(appFetch);
  const cachedReads = reads.wrap((req, res) => void api(req, res));
  const pageHandler = pages.wrap(handler);
  const server = createServer((req, res) => {
    req.headers[PROTOCOL_HEADER] = 'http';
    const path = (req.url ?? '/').split('?')[0]!;
    setSecurityHeaders(res, API_PATHS.test(path));
    if (PUBLIC_READS.test(path)) return cachedReads(req, res, () => {});
    if (API_PATHS.test(path)) return void api(req, res);
    pageHandler(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    });
  });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? rt.config.port, opts.host ?? rt.config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url,
    server,
    invalidate,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
