import { listRoots, validRootCursor, type RootCursor } from '@zhf/db/queries';
import { z } from 'zod';
import { pageOf, RootSchema } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, type ApiApp } from '../route.ts';
import { cleanText, cursorSchema, decodeCursor, flag, jobsetRefSchema, limitSchema, listOf, weekFilter } from '../util.ts';
import { listScope } from './breakages.ts';

const rootsQuery = z.object({
  week: weekFilter,
  jobset: jobsetRefSchema.optional().meta({ description: 'project/jobset' }),
  system: listOf(cleanText(100)).meta({ description: 'comma-separated' }),
  /** The root breakage's state; default open (a fixed root's dependents close as Hydra rebuilds them). */
  state: listOf(z.enum(['open', 'fixed', 'gone'])).meta({ description: 'the root breakage\'s state: open (default), fixed, gone' }),
  maintainer: z.string().max(100).optional().meta({ description: 'GitHub login' }),
  team: cleanText(100).optional().meta({ description: 'team name from packages.json' }),
  /** The root breakage's own claim (its dependents are covered by it). */
  claimed: flag.meta({ description: 'the root breakage\'s own claim' }),
  /** Case-insensitive substring of the root's job name. */
  q: cleanText(200).optional().meta({ description: 'substring of the root\'s job name' }),
  limit: limitSchema,
  cursor: cursorSchema,
});

/** `/api/roots`: the week's (or the backlog's) root causes, most blocking first (SPEC section 8). */
export function rootRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/', summary: 'Root causes: the direct failures behind dependency failures, most blocking first',
    request: { query: rootsQuery },
    responses: { ...ok(pageOf(RootSchema, { week: z.string() })), ...errors(400, 404) },
  }, async (c) => {
    const { database, config } = c.get('deps');
    const q = c.req.valid('query');
    const { t, week, jobsetId, maintainer, answer } = await listScope(c, q);
    const cursor = decodeCursor(q.cursor, (x): x is RootCursor => validRootCursor(x));
    const page = await listRoots(database.db, { now: t, hydraUrl: config.hydraUrl }, {
      jobsetId, week, systems: q.system, states: q.state.length ? q.state : ['open'], maintainer, team: q.team?.trim() || undefined,
      claimed: q.claimed, q: q.q?.trim() || undefined,
    }, cursor, q.limit);
    return c.json(answer(page), 200);
  });
  return app;
}
