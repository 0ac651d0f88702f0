import { CATEGORIES } from '@zhf/db/queries';

// The OpenAPI 3.1 document of this API, written by hand. test/api/openapi.test.ts checks that
// every registered route is listed and that sample answers match the declared schemas.

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: 'null' }] });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const nstr: Schema = { type: ['string', 'null'] };
const nint: Schema = { type: ['integer', 'null'] };
const ntime: Schema = { type: ['string', 'null'], format: 'date-time' };
const kind: Schema = { enum: ['direct', 'dependency', null] };
const outcome: Schema = { enum: ['success', 'failure', 'pending', 'infra'] };

/** An object schema; every property is required unless listed in `optional`. */
function obj(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

const list = (item: Schema, extra: Record<string, Schema> = {}): Schema =>
  obj({ ...extra, items: { type: 'array', items: item }, total: int, nextCursor: nstr });

const counts: Schema = { type: 'object', additionalProperties: int, propertyNames: { enum: [...CATEGORIES] } };

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str }), holder: str }, ['holder']),
  Range: obj({ from: str, to: str, url: str }),
  Eval: obj({
    id: int, jobset: str, revision: nstr, timestamp: time, previousEvalId: nint, complete: bool, pending: int,
    counts, countsBySystem: { type: 'object', additionalProperties: counts },
  }),
  Baseline: obj({ evalId: int, buildId: int, outcome, revision: nstr }),
  JobRow: obj({
    job: str, system: str, category: { enum: [...CATEGORIES] }, buildId: int, status: nint, outcome, kind,
    baseline: nullable(ref('Baseline')), range: nullable(ref('Range')),
  }),
  Claim: obj({ by: str, at: time, updatedAt: time, expiresAt: time, prUrl: nstr, note: nstr }),
  Breakage: obj({
    id: int, jobset: str, job: str, system: str, state: { enum: ['open', 'fixed', 'gone'] }, kind, status: nint, flaky: bool, week: str,
    openedEvalId: int, openedAt: time, closedEvalId: nint, closedAt: ntime, buildId: int, buildUrl: str,
    range: nullable(ref('Range')), claim: nullable(ref('Claim')), fixedBy: nstr,
  }),
  JobsetSummary: obj({ jobset: str, latestEval: nullable(ref('Eval')), openBreakages: int, lastSyncOkAt: ntime, lastSyncError: nstr }),
  JobHistoryEntry: obj({ evalId: int, revision: nstr, timestamp: time, buildId: int, status: nint, outcome, kind }),
  JobHistory: list(ref('JobHistoryEntry'), {
    jobset: str, job: str, system: str, hydraUrl: str,
    lastSuccess: nullable(ref('JobHistoryEntry')), firstFailureAfter: nullable(ref('JobHistoryEntry')), range: nullable(ref('Range')),
  }),
  TrendEval: obj({
    evalId: int, timestamp: time, failing: int, failingBySystem: { type: 'object', additionalProperties: int },
    failingByKind: obj({ direct: int, dependency: int }),
  }),
  TrendWeek: obj({ week: str, opened: int, fixed: int, open: int, medianHoursToFix: { type: ['number', 'null'] } }),
  Trends: obj({ jobset: str, from: time, to: time, evals: { type: 'array', items: ref('TrendEval') }, weeks: { type: 'array', items: ref('TrendWeek') } }),
  Health: obj({
    status: { enum: ['ok', 'degraded'] },
    jobsets: { type: 'array', items: obj({ jobset: str, lastSyncOkAt: ntime, ageSeconds: nint, lastError: nstr }) },
  }),
  Me: obj({ user: nullable(obj({ login: str, name: nstr, avatarUrl: nstr, maintainer: bool })), csrf: nstr }),
  ClaimBody: { type: 'object', properties: { prUrl: { type: ['string', 'null'], pattern: '^https://github\\.com/[^/]+/[^/]+/pull/[1-9][0-9]*$' }, note: { type: ['string', 'null'], maxLength: 2000 } }, additionalProperties: false },
};

const json = (s: Schema) => ({ content: { 'application/json': { schema: s } } });
const ok = (s: Schema, status = '200', description = 'OK') => ({ [status]: { description, ...json(s) } });
const err = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: 'error', ...json(ref('Error')) }]));
const path = (name: string, schema: Schema = str) => ({ name, in: 'path', required: true, schema });
const query = (name: string, schema: Schema = str, description?: string) => ({ name, in: 'query', required: false, schema, ...(description ? { description } : {}) });
const paging = [query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }), query('cursor', str, 'nextCursor of the previous page')];
const rowFilters = [
  query('category', str, `comma-separated: ${CATEGORIES.join(', ')}`), query('system', str, 'comma-separated'),
  query('kind', str, 'direct, dependency'), query('q', str, 'substring of the job name'), ...paging,
];
const claimWrite = { security: [{ session: [] }], parameters: [path('id', int), { name: 'x-csrf-token', in: 'header', required: false, schema: str }] };

export function openApiDocument(serverUrl = '/') {
  return {
    openapi: '3.1.0',
    info: { title: 'zhf', version: '0.1.0', description: 'Zero Hydra Failures: verdicts, breakages and claims. Errors are `{error: {code, message}}`.' },
    servers: [{ url: serverUrl }],
    components: {
      schemas,
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'zhf_session', description: 'writes also need x-csrf-token (from GET /api/me)' } },
    },
    paths: {
      '/api/jobsets': { get: { summary: 'Tracked jobsets with their latest eval and open breakages', responses: ok(list(ref('JobsetSummary'))) } },
      '/api/jobsets/{project}/{jobset}/evals': {
        get: {
          summary: 'Evals, newest first', parameters: [path('project'), path('jobset'), query('before', int, 'eval id'), ...paging],
          responses: { ...ok(list(ref('Eval'))), ...err(400, 404) },
        },
      },
      '/api/evals/{id}': { get: { summary: 'One eval', parameters: [path('id', int)], responses: { ...ok(ref('Eval')), ...err(400, 404) } } },
      '/api/evals/{id}/jobs': {
        get: { summary: 'Job rows of an eval (SPEC section 3)', parameters: [path('id', int), ...rowFilters], responses: { ...ok(list(ref('JobRow'))), ...err(400, 404) } },
      },
      '/api/evals/{id}/compare/{otherId}': {
        get: {
          summary: 'Job rows of an eval against another eval of its jobset as the baseline',
          parameters: [path('id', int), path('otherId', int), ...rowFilters],
          responses: { ...ok(list(ref('JobRow'), { evalId: int, baseEvalId: int })), ...err(400, 404) },
        },
      },
      '/api/jobs/{project}/{jobset}/{job}': {
        get: { summary: 'A job\'s history', parameters: [path('project'), path('jobset'), path('job'), ...paging], responses: { ...ok(ref('JobHistory')), ...err(400, 404) } },
      },
      '/api/breakages': {
        get: {
          summary: 'Breakages with their claims',
          parameters: [
            query('week', str, 'YYYY-Www (default: the current week), backlog, or all'), query('jobset', str, 'project/jobset'),
            query('system', str, 'comma-separated'), query('state', str, 'open, fixed, gone'), query('kind', str, 'direct, dependency'),
            query('claimed', { enum: ['true', 'false'] }), query('q', str), query('sort', { enum: ['job', 'opened', 'system'] }), ...paging,
          ],
          responses: { ...ok(list(ref('Breakage'), { week: str })), ...err(400, 404) },
        },
      },
      '/api/breakages/{id}': { get: { summary: 'One breakage', parameters: [path('id', int)], responses: { ...ok(ref('Breakage')), ...err(400, 404) } } },
      '/api/breakages/{id}/claim': {
        post: {
          summary: 'Claim an open breakage', ...claimWrite, requestBody: { required: false, ...json(ref('ClaimBody')) },
          responses: { ...ok(ref('Breakage'), '201', 'claimed'), ...err(400, 401, 403, 404, 409, 413) },
        },
        patch: {
          summary: 'Change the PR link or note of your claim', ...claimWrite, requestBody: { required: true, ...json(ref('ClaimBody')) },
          responses: { ...ok(ref('Breakage')), ...err(400, 401, 403, 404, 413) },
        },
        delete: { summary: 'Release a claim (holder or maintainer)', ...claimWrite, responses: { ...ok(ref('Breakage')), ...err(401, 403, 404) } },
      },
      '/api/trends': {
        get: {
          summary: 'Failing counts per eval; opened, fixed, open and median time to fix per week',
          parameters: [{ ...query('jobset', str, 'project/jobset'), required: true }, query('from', str, 'YYYY-Www, date or date-time'), query('to', str)],
          responses: { ...ok(ref('Trends')), ...err(400, 404) },
        },
      },
      '/api/me': { get: { summary: 'The signed-in user and the CSRF token for writes', responses: ok(ref('Me')) } },
      '/api/openapi.json': { get: { summary: 'This document', responses: ok({ type: 'object' }) } },
      '/healthz': { get: { summary: 'Liveness and last-sync age per jobset', responses: ok(ref('Health')) } },
      '/metrics': { get: { summary: 'Prometheus text exposition', responses: { 200: { description: 'OK', content: { 'text/plain': { schema: str } } } } } },
      '/feeds/{project}/{file}': {
        get: {
          summary: 'New breakages of a jobset as an Atom feed (file: <jobset>.atom)', parameters: [path('project'), path('file')],
          responses: { 200: { description: 'OK', content: { 'application/atom+xml': { schema: str } } }, ...err(404) },
        },
      },
      '/auth/github': { get: { summary: 'Start GitHub sign-in', parameters: [query('next')], responses: { 302: { description: 'to GitHub' }, ...err(404) } } },
      '/auth/github/callback': {
        get: { summary: 'GitHub returns here', parameters: [query('code'), query('state')], responses: { 302: { description: 'signed in' }, ...err(400, 404, 502) } },
      },
      '/auth/dev': {
        post: {
          summary: 'Sign in as any handle (ZHF_DEV_LOGIN only)',
          requestBody: { required: true, ...json(obj({ handle: str, next: str }, ['next'])) },
          responses: { ...ok(obj({ user: obj({ login: str, name: nstr, avatarUrl: nstr, maintainer: bool }), csrf: str })), 303: { description: 'form post: redirect' }, ...err(400, 403, 404) },
        },
      },
      '/auth/logout': { post: { summary: 'Sign out', responses: { 204: { description: 'signed out' }, 303: { description: 'form post: redirect' }, ...err(403) } } },
    },
  };
}
