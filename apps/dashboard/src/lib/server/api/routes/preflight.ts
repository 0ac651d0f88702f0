// GET/POST /api/preflight (SPEC sections 5 and 6), as a Hono sub-app to mount with `.route('/preflight', …)`.

import type { Context } from 'hono';
import { z } from 'zod';
import type { Database } from '@zhf/db';
import { PREFLIGHT_LISTS, preflightChangedPaths, preflightEvals, truncatePreflightLists, type PreflightResult } from '@zhf/collector/preflight/run';
import { Invalid } from '../errors.ts';
import { PreflightReportSchema } from '../../../api/schemas.ts';
import { apiApp, errors, jsonBody, ok, route, type ApiApp } from '../route.ts';
import { jobsetRefSchema, readBody, uploadLimit } from '../util.ts';

/** Items per impact list in a response unless `?limit=` says otherwise; totals always carry full counts. */
export const PREFLIGHT_DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 1_000_000;

export interface PreflightRouteDeps {
  database: Pick<Database, 'db'>;
}

/** An eval id from a query string or a JSON body: a positive integer, as a number or digits. */
const positiveEvalId = z.number().int('must be a positive eval id').positive('must be a positive eval id').max(Number.MAX_SAFE_INTEGER, 'must be a positive eval id');
const evalIdDigits = z.string().regex(/^\d+$/, 'must be a positive eval id').transform(Number).pipe(positiveEvalId);
const evalId = z.union([z.number(), evalIdDigits]).pipe(positiveEvalId);
const required = { error: (i: { input: unknown }) => (i.input === undefined ? 'an eval id is required' : undefined) };

const listLimit = z.string().regex(/^\d+$/, `must be an integer from 0 to ${MAX_LIST_LIMIT}`).transform(Number)
  .pipe(z.number().max(MAX_LIST_LIMIT, `must be an integer from 0 to ${MAX_LIST_LIMIT}`)).optional()
  .meta({ description: `items per impact list, 0 to ${MAX_LIST_LIMIT}`, default: String(PREFLIGHT_DEFAULT_LIST_LIMIT) });

const listOffset = z.string().regex(/^\d{1,9}$/, 'must be an integer from 0').transform(Number).optional()
  .meta({ description: 'first item of each list, from 0: page with limit', default: '0' });
const oneList = z.enum(PREFLIGHT_LISTS, { error: `must be one of ${PREFLIGHT_LISTS.join(', ')}` }).optional()
  .meta({ description: 'only this impact list carries items (the others are empty; totals count all)' });
/** `limit` items per list from `offset`; `list` keeps only that list's items (paging through one). */
const sliceQuery = { limit: listLimit, offset: listOffset, list: oneList };

const getQuery = z.object({
  base: z.string(required).min(1, 'an eval id is required').pipe(evalIdDigits).meta({ description: 'eval id' }),
  candidate: z.string(required).min(1, 'an eval id is required').pipe(evalIdDigits).meta({ description: 'eval id' }),
  ...sliceQuery,
});
const limitQuery = z.object(sliceQuery);

const postBody = z.object({
  base: evalId.optional(),
  candidate: evalId.optional(),
  jobset: jobsetRefSchema.optional(),
  changedPaths: z.unknown().refine((x) => x === undefined || (typeof x === 'object' && x !== null), 'must be the changed-paths.json object').optional()
    .meta({ description: 'the changed-paths.json object' }),
}).meta({
  id: 'PreflightBody',
  description: 'Two evals (base, candidate), or a pull request\'s changedPaths against a base eval or the newest eval of a jobset',
});

/**
 * `GET /?base=&candidate=[&limit=]` and `POST /[?limit=]` with a JSON body, either
 * `{ base, candidate }` (eval ids) or `{ changedPaths, base?: evalId, jobset?: "p/j" }` (exactly one
 * of base and jobset). Answers the report with its lists cut to `limit` items each from `offset`
 * (`truncated` names the lists with more), or only `list`'s items; errors are
 * `{ error: { code, message } }` with 400, 404 or 413.
 */
export function preflightRoutes(deps: PreflightRouteDeps): ApiApp {
  const db = () => deps.database.db;
  const app = apiApp();
  route(app, {
    method: 'get', path: '/', summary: 'Mass-rebuild preflight of a candidate eval against a base eval (any tracked jobsets)',
    request: { query: getQuery }, responses: { ...ok(PreflightReportSchema), ...errors(400, 404) },
  }, async (c) => {
    const q = c.req.valid('query');
    return respond(c, q, await preflightEvals(db(), q.base, q.candidate));
  });
  route(app, {
    method: 'post', path: '/', summary: 'Mass-rebuild preflight of two evals, or of a changed-paths.json (up to 5 MB)', middleware: [uploadLimit],
    request: { query: limitQuery, body: jsonBody(postBody, true) },
    responses: { ...ok(PreflightReportSchema), ...errors(400, 404, 413) },
  }, async (c) => {
    const b = await readBody(c, postBody);
    const q = c.req.valid('query');
    if (b.changedPaths !== undefined) {
      if (b.candidate !== undefined) throw new Invalid('give either candidate or changedPaths, not both');
      if ((b.base === undefined) === (b.jobset === undefined)) throw new Invalid('with changedPaths, give exactly one of base (eval id) and jobset');
      return respond(c, q, await preflightChangedPaths(db(), b.jobset ?? b.base!, b.changedPaths));
    }
    if (b.base === undefined || b.candidate === undefined) throw new Invalid('give base and candidate eval ids, or changedPaths');
    return respond(c, q, await preflightEvals(db(), b.base, b.candidate));
  });
  return app;
}

function respond(c: Context, q: z.output<typeof limitQuery>, result: PreflightResult) {
  return c.json(truncatePreflightLists(result, { limit: q.limit ?? PREFLIGHT_DEFAULT_LIST_LIMIT, offset: q.offset, list: q.list }), 200);
}
