import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';
import { Invalid, parseOr400, PayloadTooLarge, UnsupportedMediaType } from './errors.ts';
import type { ApiEnv } from './types.ts';

/** A positive integer id in decimal, no signs, exponents or spaces; `max` bounds the column type. */
export const idString = (max = Number.MAX_SAFE_INTEGER) =>
  z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer id').transform(Number).refine((n) => Number.isSafeInteger(n) && n <= max, 'id out of range')
    .meta({ description: 'a positive integer id' });

export const INT4_MAX = 2 ** 31 - 1;

export const limitSchema = z.string().regex(/^[0-9]{1,7}$/, 'must be an integer').transform(Number)
  .pipe(z.number().int().min(1).max(1000)).optional().transform((n) => n ?? 100)
  .meta({ description: 'items per page, 1 to 1000', default: '100' });

/** One value or several: `?system=a&system=b` or `?system=a,b`. */
export function listOf<S extends z.ZodType<string, string>>(item: S) {
  return z.union([z.string(), z.array(z.string())]).optional()
    .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v])).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).max(100));
}

/** `?cursor=`: the opaque `nextCursor` of the previous page. */
export const cursorSchema = z.string().optional().meta({ description: 'nextCursor of the previous page' });

/** A yes/no filter: `true`/`1` or `false`/`0`; absent means either. */
export const flag = z.enum(['true', 'false', '1', '0']).optional().transform((s) => (s === undefined ? undefined : s === 'true' || s === '1'));

/** `?week=` of the fix list and the roots, checked by the route (weekAndJobset). */
export const weekFilter = z.string().max(20).optional().meta({ description: 'YYYY-Www (default: the current week), backlog, or all' });

export const textFilter = z.string().max(200).optional().transform((s) => (s?.trim() ? s.trim() : undefined));

/** Cursors are opaque to clients: base64url of a JSON value. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(raw: string | undefined, check: (v: unknown) => v is T): T | null {
  if (raw === undefined || raw === '') return null;
  if (!/^[A-Za-z0-9_-]{1,4000}$/.test(raw)) throw new Invalid('cursor is malformed');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new Invalid('cursor is malformed');
  }
  if (!check(v)) throw new Invalid('cursor is malformed');
  return v;
}

export const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1000;
export const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function wantsJson(c: Context): boolean {
  return /json/i.test(c.req.header('accept') ?? '') || /json/i.test(c.req.header('content-type') ?? '');
}

/**
 * The request body as JSON or a form, parsed with `schema`. An empty body is `{}`. Malformed
 * JSON is 400, other media types 415; the size is already bounded by the body limit.
 */
export async function readBody<S extends z.ZodType>(c: Context<ApiEnv>, schema: S): Promise<z.output<S>> {
  const ct = c.req.header('content-type') ?? '';
  let raw: unknown = {};
  if (/^multipart\/form-data/i.test(ct)) {
    const form = await c.req.parseBody().catch(() => {
      throw new Invalid('body is not a valid form');
    });
    if (Object.values(form).some((x) => typeof x !== 'string')) throw new Invalid('files are not accepted');
    raw = form;
  } else {
    const text = await c.req.text();
    if (text.trim() !== '') {
      if (/^application\/([\w.+-]+\+)?json/i.test(ct) || ct === '') {
        try {
          raw = JSON.parse(text);
        } catch {
          throw new Invalid('body is not valid JSON');
        }
      } else if (/^application\/x-www-form-urlencoded/i.test(ct)) {
        raw = Object.fromEntries(new URLSearchParams(text));
      } else {
        throw new UnsupportedMediaType('send application/json or a form');
      }
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Invalid('body must be an object');
  return parseOr400(schema, raw);
}

/** Text that PostgreSQL stores as given: well-formed UTF-16 (no lone surrogates) and no control characters but tab and newlines. */
export function isCleanText(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s) && !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s);
}

export const cleanText = (max: number) => z.string().max(max, `at most ${max} characters`).refine(isCleanText, 'contains control characters or broken unicode');

/** A `project/jobset` reference. */
export const jobsetRefSchema = z.string().regex(JOBSET_REF, 'must be project/jobset');

/** An optional `?jobset=` (empty means absent: the route's default applies). */
export const jobsetQuery = z.string().optional().transform((s) => s || undefined).pipe(jobsetRefSchema.optional());

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Largest body for uploads of ecosystem files (changed-paths.json, report.json). */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

/** Refuses a body over `maxSize` bytes with PayloadTooLarge (413 `payload_too_large`). */
export const limitBody = (maxSize: number) => bodyLimit({
  maxSize,
  onError: () => {
    throw new PayloadTooLarge(maxSize);
  },
});

/** The body limit of the routes that take uploads. */
export const uploadLimit = limitBody(MAX_UPLOAD_BYTES);
