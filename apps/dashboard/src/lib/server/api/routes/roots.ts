import { isoWeekOf } from '@zhf/collector/pure/week';
import { listRoots, validRootCursor, type RootCursor } from '@zhf/db/queries';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiEnv } from '../types.ts';
import { cleanText, decodeCursor, encodeCursor, jobsetRefSchema, limitSchema, listOf, v } from '../util.ts';
import { weekAndJobset } from './breakages.ts';
import { resolveMaintainer } from './maintainers.ts';

const rootsQuery = z.object({
  week: z.string().max(20).optional(),
  jobset: jobsetRefSchema.optional(),
  system: listOf(cleanText(100)),
  /** The root breakage's state; default open (a fixed root's dependents close as Hydra rebuilds them). */
  state: listOf(z.enum(['open', 'fixed', 'gone'])),
  maintainer: z.string().max(100).optional(),
  team: cleanText(100).optional(),
  /** The root breakage's own claim (its dependents are covered by it). */
  claimed: z.enum(['true', 'false', '1', '0']).optional().transform((s) => (s === undefined ? undefined : s === 'true' || s === '1')),
  /** Case-insensitive substring of the root's job name. */
  q: cleanText(200).optional(),
  limit: limitSchema,
  cursor: z.string().optional(),
});

/** `/api/roots`: the week's (or the backlog's) root causes, most blocking first (SPEC section 8). */
export function rootRoutes() {
  return new Hono<ApiEnv>().get('/', v('query', rootsQuery), async (c) => {
    const { database, config, now } = c.get('deps');
    const q = c.req.valid('query');
    const t = now();
    const { week, jobsetId } = await weekAndJobset(database.db, t, q.week, q.jobset);
    const maintainer = q.maintainer ? await resolveMaintainer(database.db, q.maintainer.trim()) : undefined;
    const cursor = decodeCursor(q.cursor, (x): x is RootCursor => validRootCursor(x));
    const page = await listRoots(database.db, { now: t, hydraUrl: config.hydraUrl }, {
      jobsetId, week, systems: q.system, states: q.state.length ? q.state : ['open'], maintainer, team: q.team?.trim() || undefined,
      claimed: q.claimed, q: q.q?.trim() || undefined,
    }, cursor, q.limit);
    return c.json({
      week: week?.kind === 'week' ? week.week : (q.week ?? isoWeekOf(t)),
      items: page.items, total: page.total, nextCursor: page.nextCursorKey === null ? null : encodeCursor(page.nextCursorKey),
    }, 200);
  });
}
