import type { Database } from '@zhf/db';
import { checkRoutes } from './routes/check.ts';
import { preflightRoutes } from './routes/preflight.ts';
import { roundupRoutes } from './routes/roundups.ts';
import type { ApiApp } from './route.ts';
import type { ApiConfig } from './types.ts';

/** Paths whose bodies are uploaded ecosystem files, allowed past the API's 1 MB default. */
export const UPLOAD_PATHS = ['/api/preflight', '/api/check', '/api/prs/'];

/** The API's routes over the collector's services: preflight, roundups and check. */
export function mountExtraRoutes(api: ApiApp, rt: { database: Database; config: ApiConfig }): void {
  api.route('/preflight', preflightRoutes({ database: rt.database }));
  api.route('/roundups', roundupRoutes({ database: rt.database, config: rt.config }));
  api.route('/', checkRoutes({ database: rt.database, config: rt.config }));
}
