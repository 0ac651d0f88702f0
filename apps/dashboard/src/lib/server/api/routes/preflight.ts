// GET/POST /api/preflight (SPEC sections 5 and 6), as a Hono sub-app to mount with `.route('/preflight', …)`.

import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Database } from '@zhf/db';
import { preflightChangedPaths, preflightEvals, truncatePreflightLists, type PreflightResult } from '@zhf/collector/preflight/run';
import { Invalid, onError } from '../errors.ts';

/** Uploads of changed-paths.json above this are refused with 413. */
export const PREFLIGHT_MAX_BODY = 5 * 1024 * 1024;
/** Items per impact list in a response unless `?limit=` says otherwise; totals always carry full counts. */
export const PREFLIGHT_DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 1_000_000;

export interface PreflightRouteDeps {
  database: Pick<Database, 'db'>;
}

/**
 * `GET /?base=&candidate=[&limit=]` and `POST /[?limit=]` with a JSON body, either
 * `{ base, candidate }` (eval ids) or `{ changedPaths, base?: evalId, jobset?: "p/j" }` (exactly one
 * of base and jobset). Answers the report with its lists cut to `limit` items each (`truncated`
 * names the cut lists); errors are `{ error: { code, message } }` with 400, 404 or 413.
 */
export function preflightRoutes(deps: PreflightRouteDeps) {
  const db = () => deps.database.db;
  return new Hono()
    .onError(onError)
    .get('/', async (c) => {
      const base = evalIdParam(c.req.query('base'), 'base');
      const candidate = evalIdParam(c.req.query('candidate'), 'candidate');
      return respond(c, await preflightEvals(db(), base, candidate));
    })
    .post(
      '/',
      bodyLimit({
        maxSize: PREFLIGHT_MAX_BODY,
        onError: (c) => c.json({ error: { code: 'payload_too_large', message: `request body is over ${PREFLIGHT_MAX_BODY} bytes` } }, 413),
      }),
      async (c) => {
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          throw new Invalid('request body must be JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Invalid('request body must be a JSON object');
        const b = body as Record<string, unknown>;
        if (b.changedPaths !== undefined) {
          if (b.candidate !== undefined) throw new Invalid('give either candidate or changedPaths, not both');
          if ((b.base === undefined) === (b.jobset === undefined)) throw new Invalid('with changedPaths, give exactly one of base (eval id) and jobset');
          if (typeof b.changedPaths !== 'object' || b.changedPaths === null) throw new Invalid('changedPaths must be the changed-paths.json object');
          const target = b.jobset !== undefined ? jobsetParam(b.jobset) : evalIdParam(b.base, 'base');
          return respond(c, await preflightChangedPaths(db(), target, b.changedPaths));
        }
        if (b.base === undefined || b.candidate === undefined) throw new Invalid('give base and candidate eval ids, or changedPaths');
        return respond(c, await preflightEvals(db(), evalIdParam(b.base, 'base'), evalIdParam(b.candidate, 'candidate')));
      },
    );
}

function respond(c: Context, result: PreflightResult) {
  const raw = c.req.query('limit');
  let limit = PREFLIGHT_DEFAULT_LIST_LIMIT;
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw) || Number(raw) > MAX_LIST_LIMIT) throw new Invalid(`limit must be an integer from 0 to ${MAX_LIST_LIMIT}`);
    limit = Number(raw);
  }
  return c.json(truncatePreflightLists(result, limit), 200);
}

/** An eval id from a query string or a JSON body: a positive integer, as a number or digits. */
function evalIdParam(v: unknown, name: string): number {
  if (v === undefined || v === null || v === '') throw new Invalid(`${name} (an eval id) is required`);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Invalid(`${name} must be a positive eval id, got ${JSON.stringify(v)}`);
  return n;
}

function jobsetParam(v: unknown): string {
  if (typeof v !== 'string') throw new Invalid('jobset must be a string project/jobset');
  return v;
}
