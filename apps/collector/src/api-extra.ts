import type { Hono } from 'hono';
import type { ApiEnv } from '../../dashboard/src/lib/server/api/index.ts';
import { checkRoutes } from './check/index.ts';
import { preflightRoutes } from './preflight/index.ts';
import { roundupRoutes } from './roundup/index.ts';
import type { Runtime } from './runtime.ts';

/** Paths whose bodies are uploaded ecosystem files, allowed past the API's 1 MB default. */
export const UPLOAD_PATHS = ['/api/preflight', '/api/check', '/api/prs/'];

/** The API's feature routes that live beside the collector (they share its queries and pure modules). */
export function mountExtraRoutes(api: Hono<ApiEnv>, rt: Pick<Runtime, 'database' | 'config'>): void {
  api.route('/preflight', preflightRoutes({ database: rt.database }));
  api.route('/roundups', roundupRoutes({ database: rt.database, config: rt.config }));
  api.route('/', checkRoutes({ database: rt.database, config: rt.config }));
}
