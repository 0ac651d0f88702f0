/**
 * The running process's shared parts, set by the zhf server before it loads SvelteKit's
 * handler (apps/zhf/src/server.ts). Pages reach data only through the API, in
 * process: `api(path)` is an in-memory request to the Hono app, no network hop.
 */
export interface AppContext {
  /** The Hono app's fetch: API, auth, feeds, health. */
  fetch(request: Request): Promise<Response>;
  /** Resolves a session cookie to its user (null when absent, unknown or expired). */
  sessionUser(cookie: string | undefined): Promise<{ id: number; login: string; csrf: string; maintainer: boolean } | null>;
  sessionCookieName: string;
  hydraUrl: string;
  /** When this process next syncs from Hydra (the retry after a failed sync); null when it does not sync. */
  nextSyncAt?: () => Date | null;
  devLogin: boolean;
  githubLogin: boolean;
  /** Set when signed-in pages are rendered once for a stand-in reader (reader-template.ts). */
  readerTemplate?: { header: string; secret: string; login: string };
}

const KEY = '__zhfContext';

export function setContext(ctx: AppContext): void {
  (globalThis as Record<string, unknown>)[KEY] = ctx;
}

export function getContext(): AppContext {
  const ctx = (globalThis as Record<string, unknown>)[KEY] as AppContext | undefined;
  if (!ctx) throw new Error('zhf context is not set: start the dashboard through `zhf start`, `zhf serve` or `zhf demo`');
  return ctx;
}
