import { z } from 'zod';
import { attributionOf, CATEGORIES, compareJobRows, evalContext, evalJobRows, evalProgress, evalRootCounts, evalViews } from '@zhf/db/queries';
import type { Db } from '@zhf/db';
import { packageOf } from '@zhf/collector/pure/preflight';
import { Invalid, NotFound } from '../errors.ts';
import { EvalSchema, JobRowSchema, pageOf } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, type ApiApp } from '../route.ts';
import { cleanText, cursorSchema, decodeCursor, encodeCursor, idString, isCleanText, isShortString, limitSchema, listOf } from '../util.ts';

const jobsQuery = z.object({
  category: listOf(z.enum(CATEGORIES)).meta({ description: `comma-separated: ${CATEGORIES.join(', ')}` }),
  system: listOf(cleanText(100)).meta({ description: 'comma-separated' }),
  kind: listOf(z.enum(['direct', 'dependency'])).meta({ description: 'direct, dependency' }),
  q: cleanText(200).optional().meta({ description: 'substring of the job name' }),
  limit: limitSchema,
  cursor: cursorSchema,
});

const isJobCursor = (x: unknown): x is string => isShortString(x) && isCleanText(x);

function filters(q: z.output<typeof jobsQuery>) {
  return {
    categories: q.category.length ? q.category : undefined,
    systems: q.system.length ? q.system : undefined,
    kinds: q.kind.length ? q.kind : undefined,
    q: q.q?.trim() || undefined,
  };
}

/** Job rows with who maintains them (SPEC section 9): one lookup for the page's packages. */
async function withAttribution<T extends { job: string; system: string }>(db: Db, jobsetId: number, rows: T[]) {
  const attribution = await attributionOf(db, [...new Set(rows.map((r) => packageOf(r.job, r.system)))].map((pkg) => ({ jobsetId, pkg })));
  return rows.map((r) => {
    const a = attribution.get(`${jobsetId}:${packageOf(r.job, r.system)}`);
    return { ...r, maintainers: a?.maintainers ?? [], teams: a?.teams ?? [] };
  });
}

const idParam = z.object({ id: idString() });
const rowPage = pageOf(JobRowSchema);

/** `/api/evals`: one eval, its rows (SPEC section 3), and any two evals compared. */
export function evalRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/{id}', summary: 'One eval', request: { params: idParam },
    responses: { ...ok(EvalSchema), ...errors(400, 404) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const [view] = await evalViews(c.get('deps').database.db, [id]);
    if (!view) throw new NotFound(`eval ${id} is not ingested`);
    // "N of M builds known": members stored with their full record, of all members.
    // `roots`: how its dependency failures trace back to roots (SPEC section 8).
    const db = c.get('deps').database.db;
    const [builds, roots] = await Promise.all([evalProgress(db, id), evalRootCounts(db, id)]);
    return c.json({ ...view, builds, roots }, 200);
  });
  route(app, {
    method: 'get', path: '/{id}/jobs', summary: 'Job rows of an eval (SPEC section 3)', request: { params: idParam, query: jobsQuery },
    responses: { ...ok(rowPage), ...errors(400, 404) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const db = c.get('deps').database.db;
    const ctx = await evalContext(db, id);
    if (!ctx) throw new NotFound(`eval ${id} is not ingested`);
    const page = await evalJobRows(db, ctx, filters(q), decodeCursor(q.cursor, isJobCursor), q.limit);
    const items = await withAttribution(db, ctx.jobsetId, page.items);
    return c.json({ items, total: page.total, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) }, 200);
  });
  route(app, {
    method: 'get', path: '/{id}/compare/{otherId}', summary: 'Job rows of an eval against another eval of its jobset as the baseline',
    request: { params: z.object({ id: idString(), otherId: idString() }), query: jobsQuery },
    responses: { ...ok(pageOf(JobRowSchema, { evalId: z.number().int(), baseEvalId: z.number().int() })), ...errors(400, 404) },
  }, async (c) => {
    const { id, otherId } = c.req.valid('param');
    const q = c.req.valid('query');
    const db = c.get('deps').database.db;
    const [ctx, other] = [await evalContext(db, id), await evalContext(db, otherId)];
    if (!ctx) throw new NotFound(`eval ${id} is not ingested`);
    if (!other) throw new NotFound(`eval ${otherId} is not ingested`);
    if (ctx.jobsetId !== other.jobsetId) throw new Invalid(`evals ${id} and ${otherId} belong to different jobsets`);
    const page = await compareJobRows(db, ctx, other, filters(q), decodeCursor(q.cursor, isJobCursor), q.limit);
    return c.json({
      evalId: id, baseEvalId: otherId,
      items: await withAttribution(db, ctx.jobsetId, page.items), total: page.total, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor),
    }, 200);
  });
  return app;
}
