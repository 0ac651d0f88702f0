import { OpenAPIHono, type Hook, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { ErrorSchema } from '../../api/schemas.ts';
import { describeIssues, Invalid } from './errors.ts';
import type { ApiEnv } from './types.ts';

// Routes are declared with @hono/zod-openapi: the zod schemas that validate a request's path
// and query, and those of its answers per status (lib/api/schemas.ts), are the ones
// /api/openapi.json is generated from.

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Every route's validation hook: a failure is our 400 `invalid` naming the first problem, never a raw zod error. */
export const invalidInput: Hook<unknown, ApiEnv, string, undefined> = (result) => {
  if (!result.success) throw new Invalid(`${result.target} ${describeIssues(result.error)}`);
  return undefined;
};

/** A (sub-)app of the API whose routes are documented. */
export const apiApp = (): ApiApp => new OpenAPIHono<ApiEnv>({ defaultHook: invalidInput });

export interface RouteOptions {
  /**
   * The path Hono routes, when it is not the documented one: a parameter with a pattern
   * (`{file{[^/]+\\.atom}}`), or one segment answering several documented paths.
   */
  routing?: string;
  /** Request parts the handler reads itself: documented, not validated before it runs. */
  unchecked?: ('params' | 'query')[];
  /** What the document says instead of `config`'s own (a query parameter that only another documented path takes). */
  document?: Partial<RouteConfig>;
}

/**
 * Declares `config` on `app`: its path parameters and query are validated (failures are
 * `invalidInput`'s 400) before `handler` runs, and the whole entry goes into the document. A
 * body is documented but read by the handler with `readBody` (JSON, forms, empty bodies, 415)
 * after the route's guards, and headers are documented only, as they always were.
 */
export function route<R extends RouteConfig>(
  app: ApiApp, config: R, handler: RouteHandler<R, ApiEnv>, opts: RouteOptions = {},
): void {
  const { body: _body, headers: _headers, ...request } = config.request ?? {};
  for (const part of opts.unchecked ?? []) delete request[part];
  // The handler gets what app.openapi gives it: the params and query validated and typed from
  // `config`, and its answers checked at compile time against `responses` (test/api/openapi.test.ts
  // also parses real answers with those schemas).
  app.openapi({ ...config, path: opts.routing ?? config.path, request, hide: true }, handler as never);
  const { middleware: _middleware, hide: _hide, ...entry } = { ...config, ...opts.document };
  app.openAPIRegistry.registerPath(entry);
}

/** An answer's entry: `schema` as JSON. */
export const json = <S extends z.ZodType>(schema: S, description = 'OK') => ({ description, content: { 'application/json': { schema } } });

/** The 200 entry of a JSON answer. */
export const ok = <S extends z.ZodType>(schema: S) => ({ 200: json(schema) });

/** The entries of error answers: `{error: {code, message}}` for each status. */
export function errors<S extends number>(...statuses: S[]): Record<S, ReturnType<typeof json<typeof ErrorSchema>>> {
  // fromEntries loses the keys' type; they are exactly `statuses`.
  return Object.fromEntries(statuses.map((s) => [s, json(ErrorSchema, 'error')])) as Record<S, ReturnType<typeof json<typeof ErrorSchema>>>;
}

/** A text answer of `type` (Markdown, Atom, Prometheus). */
export const text = (type: string, description = 'OK') => ({ 200: { description, content: { [type]: { schema: z.string() } } } });

/** Documents another path a route answers (one segment dispatching on its suffix, as `/{week}` answers `/{week}.md`). */
export function alsoAnswers(app: ApiApp, entry: RouteConfig): void {
  app.openAPIRegistry.registerPath(entry);
}

/** A JSON request body's entry (read by the handler: see `route`). */
export const jsonBody = (schema: z.ZodType, required: boolean) => ({ required, content: { 'application/json': { schema } } });
