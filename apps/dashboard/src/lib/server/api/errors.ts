import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { DomainError, Invalid } from '@zhf/collector/errors';

// The services' domain errors (the collector's), plus the ones only HTTP raises. Each carries a
// code; the one `onError` below answers it with the status ERROR_STATUS gives that code.

export { Conflict, DomainError, ERROR_STATUS, Invalid, NotFound, NotMerged, UnknownCommit, Unprocessable, Upstream, type ErrorCode } from '@zhf/collector/errors';

export class Forbidden extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) { super('forbidden', message, extra); }
}
export class Unauthorized extends DomainError {
  constructor(message = 'sign in first') { super('unauthorized', message); }
}
/** A request body over the limit of its path. */
export class PayloadTooLarge extends DomainError {
  constructor(maxBytes: number) { super('payload_too_large', `request body over ${maxBytes} bytes`); }
}
export class UnsupportedMediaType extends DomainError {
  constructor(message: string) { super('unsupported_media_type', message); }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message }, ...extra };
}

/** The API's one `onError`: a domain error answers its code's status; anything else is logged and answered 500 without details. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof DomainError) return c.json(errorBody(err.code, err.message, err.extra), err.status);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : status < 500 ? 'invalid' : 'internal';
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
