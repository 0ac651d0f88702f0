import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

/** The API's error vocabulary: every failure a client sees is one of these, as `{error: {code, message}}`. */
export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
export class NotFound extends ApiError {
  constructor(message: string) { super(404, 'not_found', message); }
}
export class Invalid extends ApiError {
  constructor(message: string) { super(400, 'invalid', message); }
}
export class Conflict extends ApiError {
  constructor(message: string, extra: Record<string, unknown> = {}) { super(409, 'conflict', message, extra); }
}
export class Forbidden extends ApiError {
  constructor(message: string, extra: Record<string, unknown> = {}) { super(403, 'forbidden', message, extra); }
}
export class Unauthorized extends ApiError {
  constructor(message = 'sign in first') { super(401, 'unauthorized', message); }
}
export class Upstream extends ApiError {
  constructor(message: string) { super(502, 'upstream', message); }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message }, ...extra };
}

/** Hono's `onError`: known errors keep their status; anything else is logged and answered 500 without details. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.extra), err.status);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'too_large' : status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : status < 500 ? 'invalid' : 'internal';
    return c.json(errorBody(code, err.message || 'request rejected'), status);
  }
  console.error(`zhf api: ${c.req.method} ${c.req.path} failed:`, err);
  return c.json(errorBody('internal', 'internal error'), 500);
}

/** One line naming the first problem of a failed parse: `limit: Too big: ...`. Raw zod issues never reach a client. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/** Parses with `schema` or throws Invalid naming the first problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Invalid(describeIssues(r.error));
  return r.data;
}
