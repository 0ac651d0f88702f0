import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, NotFound } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, devLogin, ingestScenario, makeApp, NOW, REQUESTS, testConfig, X, type App, type Scenario } from './support.ts';

type Schema = Record<string, any>;

/** Checks `value` against the JSON Schema subset the document uses; returns the first problem. Undeclared object keys are problems. */
function check(doc: Schema, schema: Schema, value: unknown, at = '$'): string | null {
  if (schema.$ref) return check(doc, doc.components.schemas[String(schema.$ref).split('/').pop()!], value, at);
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).filter((s) => check(doc, s, value, at) === null).length;
    return ok === 1 ? null : `${at}: matches ${ok} of oneOf`;
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) return `${at}: ${JSON.stringify(value)} not in enum`;
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return `${at}: ${actual} is not ${types.join('|')}`;
  }
  if (schema.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value))) return `${at}: not a date-time`;
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const p = check(doc, schema.items, value[i], `${at}[${i}]`);
      if (p) return p;
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) return `${at}: missing ${k}`;
    for (const [k, v] of Object.entries(o)) {
      if (schema.propertyNames?.enum && !schema.propertyNames.enum.includes(k)) return `${at}: key ${k} not allowed`;
      const prop = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (!prop) {
        if (schema.properties || schema.additionalProperties === false) return `${at}: undeclared key ${k}`;
        continue;
      }
      const p = check(doc, prop, v, `${at}.${k}`);
      if (p) return p;
    }
  }
  return null;
}

const docPath = (honoPath: string) => honoPath.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}');

describeEachDriver('OpenAPI document', (get) => {
  let s: Scenario;
  let app: App;
  let doc: Schema;
  beforeAll(async () => {
    s = await ingestScenario(get());
    await s.h.close();
    app = makeApp(get());
    doc = (await call(app, 'GET', '/api/openapi.json')).json;
  });
  afterAll(async () => {
    await s?.h.close();
  });

  it('lists exactly the registered routes', () => {
    expect(doc.openapi).toBe('3.1.0');
    const registered = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${docPath(r.path)}`));
    const documented = new Set(Object.entries(doc.paths as Record<string, Schema>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    expect([...registered].sort()).toEqual([...documented].sort());
  });

  it('every route answers a sample request with the shape its entry declares', async () => {
    const alice = await devLogin(app, 'alice');
    const bob = await devLogin(app, 'bob');
    const id = await breakageId(get(), REQUESTS);
    const e2 = s.e2.id;
    const samples: [string, string, string, number, Parameters<typeof call>[3]?][] = [
      ['get', '/api/jobsets', '/api/jobsets', 200],
      ['get', '/api/jobsets/{project}/{jobset}/evals', '/api/jobsets/nixpkgs/unstable/evals?limit=2', 200],
      ['get', '/api/jobsets/{project}/{jobset}/evals', '/api/jobsets/nixpkgs/x/evals', 404],
      ['get', '/api/evals/{id}', `/api/evals/${e2}`, 200],
      ['get', '/api/evals/{id}', '/api/evals/x', 400],
      ['get', '/api/evals/{id}/jobs', `/api/evals/${e2}/jobs?limit=3`, 200],
      ['get', '/api/evals/{id}/compare/{otherId}', `/api/evals/${s.e3.id}/compare/${s.e1.id}`, 200],
      ['get', '/api/jobs/{project}/{jobset}/{job}', `/api/jobs/nixpkgs/unstable/${REQUESTS}`, 200],
      ['get', '/api/jobs/{project}/{jobset}/{job}', `/api/jobs/nixpkgs/unstable/gone.${X}`, 200],
      ['get', '/api/breakages', '/api/breakages?week=all', 200],
      ['get', '/api/breakages/{id}', `/api/breakages/${id}`, 200],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 201, { as: alice, body: { note: 'on it' } }],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 409, { as: bob }],
      ['get', '/api/breakages', '/api/breakages?claimed=true', 200],
      ['patch', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 200, { as: alice, body: { prUrl: 'https://github.com/NixOS/nixpkgs/pull/1' } }],
      ['delete', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 403, { as: bob }],
      ['delete', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 200, { as: alice }],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 401],
      ['get', '/api/trends', '/api/trends?jobset=nixpkgs/unstable&from=2026-W45&to=2026-W45', 200],
      ['get', '/api/me', '/api/me', 200, { as: alice }],
      ['get', '/api/me', '/api/me', 200],
      ['get', '/healthz', '/healthz', 200],
      ['post', '/auth/dev', '/auth/dev', 200, { body: { handle: 'frank' } }],
      ['get', '/feeds/{project}/{file}', '/feeds/nixpkgs/none.atom', 404],
    ];
    for (const [method, path, url, status, opts] of samples) {
      const r = await call(app, method.toUpperCase(), url, opts);
      expect(r.status, `${method} ${url}`).toBe(status);
      const schema = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
      expect(schema, `${method} ${path} declares ${status}`).toBeDefined();
      expect(check(doc, schema, r.json), `${method} ${url}`).toBeNull();
    }
    // The checker is not vacuous: a renamed field fails it.
    const b = (await call(app, 'GET', `/api/breakages/${id}`)).json;
    const { openedAt, ...renamed } = b;
    expect(check(doc, { $ref: '#/components/schemas/Breakage' }, { ...renamed, opened_at: openedAt })).toMatch(/missing openedAt/);
  });

  it('extra routes mount under /api with the same errors, session and deps', async () => {
    const withExtra = createApp({ database: get(), config: testConfig(), now: () => NOW }, {
      extraRoutes: (api) => {
        api.get('/extra/:x', (c) => {
          if (c.req.param('x') === 'missing') throw new NotFound('no such thing');
          return c.json({ user: c.get('user')?.login ?? null, now: c.get('deps').now().toISOString() });
        });
      },
    });
    const alice = await devLogin(withExtra, 'alice');
    expect((await call(withExtra, 'GET', '/api/extra/a', { as: alice })).json).toEqual({ user: 'alice', now: NOW.toISOString() });
    expect((await call(withExtra, 'GET', '/api/extra/missing')).json).toEqual({ error: { code: 'not_found', message: 'no such thing' } });
  });
});
