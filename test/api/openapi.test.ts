import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freezeRoundup } from '../../apps/collector/src/roundup/build.ts';
import { createApp, NotFound } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { A, breakageId, call, devLogin, ingestScenario, NOW, REQUESTS, serverApp, testConfig, X, type App, type Scenario } from './support.ts';
import { serveLocal, type LocalServer } from '../support/http.ts';
import type { z } from 'zod';
import { BreakageSchema, PreflightReportSchema } from '../../apps/dashboard/src/lib/api/schemas.ts';

type Schema = Record<string, any>;

const docPath = (honoPath: string) => honoPath.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, '{$1}');

/** Documented paths answered by a route whose parameter takes the whole segment and dispatches on its suffix. */
const SERVED_BY: Record<string, string> = {
  '/api/roundups/{week}.md': '/api/roundups/{week}',
  '/api/failing/{project}/{jobset}.json': '/api/failing/{project}/{file}',
};

/** A commit newer than every eval: known to GitHub, contained in none. */
const FUTURE = 'a'.repeat(40);

/**
 * A local stand-in for the GitHub REST API (127.0.0.1, no network): `revisions` is one linear
 * history, oldest first, so compare answers follow their order; pulls 7 (merged), 8 (open)
 * and 10 (a rejected token, i.e. 502) exist.
 */
let revisions: string[] = [];
const githubApi = new Hono();
const notFound = { message: 'Not Found', status: '404' };
githubApi.get('/repos/NixOS/nixpkgs/compare/:spec', (c) => {
  const [of, commit] = c.req.param('spec').split('...').map((r) => revisions.indexOf(r ?? ''));
  if (of === undefined || commit === undefined || of < 0 || commit < 0) return c.json(notFound, 404);
  return c.json({ status: commit === of ? 'identical' : commit < of ? 'behind' : 'ahead' });
});
githubApi.get('/repos/NixOS/nixpkgs/pulls/:n', (c) => {
  const n = Number(c.req.param('n'));
  const base = { ref: 'master', repo: { full_name: 'NixOS/nixpkgs' } };
  if (n === 7) return c.json({ number: 7, title: 'requests: 2.32 -> 2.33', html_url: 'https://github.com/NixOS/nixpkgs/pull/7', merged: true, merge_commit_sha: revisions[1], base });
  if (n === 8) return c.json({ number: 8, title: null, merged: false, merge_commit_sha: revisions[2], base });
  if (n === 10) return c.json({ message: 'Bad credentials' }, 401);
  return c.json(notFound, 404);
});

let gh: LocalServer;
beforeAll(async () => {
  gh = await serveLocal(githubApi.fetch);
});
afterAll(() => gh?.close());

describeEachDriver('OpenAPI document', (get) => {
  let s: Scenario;
  let app: App;
  let doc: Schema;
  beforeAll(async () => {
    s = await ingestScenario(get());
    revisions = [s.e1.revision, s.e2.revision, s.e3.revision, FUTURE];
    // The simulated Hydra stays up for the log route.
    app = serverApp(get(), testConfig({ ZHF_GITHUB_API_URL: gh.url }), { hydra: s.h.client });
    doc = (await call(app, 'GET', '/api/openapi.json')).json;
  });
  afterAll(async () => {
    await s?.h.close();
  });

  it('lists exactly the registered routes', () => {
    expect(doc.openapi).toBe('3.1.0');
    const registered = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${docPath(r.path)}`));
    const documented = new Set(Object.entries(doc.paths as Record<string, Schema>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${SERVED_BY[p] ?? p}`)));
    expect([...registered].sort()).toEqual([...documented].sort());
    // The feature routes are there, each documented path once.
    for (const p of ['/api/preflight', '/api/roundups/{week}', '/api/roundups/{week}.md', '/api/check', '/api/commits/{sha}', '/api/prs/{number}', '/api/failing/{project}/{jobset}.json']) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });

  /** The zod schemas the route of `method path` declares for `status`'s answer, by content type (the route's own declaration, which the document is generated from). */
  const declaredSchemas = (method: string, path: string, status: number): Record<string, z.ZodType> | undefined => {
    for (const d of app.openAPIRegistry.definitions) {
      if (d.type !== 'route' || d.route.method !== method || d.route.path !== path) continue;
      const entry = d.route.responses[status] as { content?: Record<string, { schema: z.ZodType }> } | undefined;
      return entry?.content && Object.fromEntries(Object.entries(entry.content).map(([type, c]) => [type, c.schema]));
    }
    return undefined;
  };

  /** The first problem zod finds parsing `value` with `schema`, or null. */
  const problem = (schema: z.ZodType, value: unknown): string | null => {
    const r = schema.safeParse(value);
    if (r.success) return null;
    const issue = r.error.issues[0]!;
    return `$.${issue.path.map(String).join('.')}: ${issue.message}${'keys' in issue ? ` ${JSON.stringify(issue.keys)}` : ''}`;
  };

  /** Requests `url` and parses the answer with the schema its route declares for its status; returns the answer. */
  const sample = async (method: string, path: string, url: string, status: number, opts?: Parameters<typeof call>[3]) => {
    const r = await call(app, method.toUpperCase(), url, opts);
    expect(r.status, `${method} ${url}: ${r.text.slice(0, 300)}`).toBe(status);
    const declared = doc.paths[path]?.[method]?.responses?.[String(status)];
    expect(declared, `${method} ${path} declares ${status}`).toBeDefined();
    const content = declaredSchemas(method, path, status);
    if (!content) {
      expect(declared.content, `${method} ${path}: the document declares the body its route does`).toBeUndefined();
      expect(r.text, `${method} ${url}: no body declared`).toBe('');
      return r;
    }
    expect(Object.keys(declared.content ?? {}), `${method} ${path}: the document declares the body its route does`).toEqual(Object.keys(content));
    const type = (r.headers.get('content-type') ?? '').split(';')[0]!.trim();
    expect(Object.keys(content), `${method} ${url}: content-type`).toContain(type);
    expect(problem(content[type]!, type === 'application/json' ? r.json : r.text), `${method} ${url}`).toBeNull();
    return r;
  };

  it('every route answers a sample request with the shape its entry declares', async () => {
    const alice = await devLogin(app, 'alice');
    const bob = await devLogin(app, 'bob');
    const id = await breakageId(get(), REQUESTS);
    const e2 = s.e2.id;
    type Sample = [method: string, path: string, url: string, status: number, opts?: Parameters<typeof call>[3]];
    /** Samples of one route, each `[url, status, opts?]`. */
    const route = (method: string, path: string, ...cases: [url: string, status: number, opts?: Parameters<typeof call>[3]][]): Sample[] =>
      cases.map(([url, status, opts]) => [method, path, url, status, opts]);
    const samples: Sample[] = [
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
      ['get', '/api/roots', '/api/roots?week=all', 200],
      ['get', '/api/roots', '/api/roots?cursor=bad', 400],
      ['get', '/api/breakages/{id}', `/api/breakages/${id}`, 200],
      ['get', '/api/breakages/{id}/log', `/api/breakages/${id}/log?lines=3`, 200],
      ['get', '/api/breakages/{id}/log', `/api/breakages/${id}/log?lines=0`, 400],
      ['get', '/api/breakages/{id}/log', '/api/breakages/999999/log', 404],
      // A dependency failure: Hydra has no log of its own build.
      ['get', '/api/breakages/{id}/log', `/api/breakages/${await breakageId(get(), `depfail.${X}`)}/log`, 502],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 201, { as: alice, body: { note: 'on it' } }],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 409, { as: bob }],
      ['get', '/api/breakages', '/api/breakages?claimed=true', 200],
      ['patch', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 200, { as: alice, body: { prUrl: 'https://github.com/NixOS/nixpkgs/pull/1' } }],
      // Feature routes while a breakage is claimed, so their claim fields are filled.
      ['get', '/api/roundups/{week}', '/api/roundups/2026-W45', 200],
      ['post', '/api/check', '/api/check', 200, { body: { packages: [
        { attr: 'python312Packages.requests', system: X }, { attr: 'hello', system: A }, { attr: 'steady', system: A }, { attr: 'nope', system: X },
      ] } }],
      ['get', '/api/commits/{sha}', `/api/commits/${s.e2.revision}`, 200],
      ['delete', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 403, { as: bob }],
      ['delete', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 200, { as: alice }],
      ['post', '/api/breakages/{id}/claim', `/api/breakages/${id}/claim`, 401],
      ['get', '/api/trends', '/api/trends?jobset=nixpkgs/unstable&from=2026-W45&to=2026-W45', 200],
      ['get', '/api/me', '/api/me', 200, { as: alice }],
      ['get', '/api/me', '/api/me', 200],
      ['get', '/healthz', '/healthz', 200],
      ['post', '/auth/dev', '/auth/dev', 200, { body: { handle: 'frank' } }],
      ['get', '/feeds/{project}/{file}', '/feeds/nixpkgs/none.atom', 404],

      ...route('get', '/api/preflight',
        [`/api/preflight?base=${s.e1.id}&candidate=${e2}`, 200],
        [`/api/preflight?base=${s.e1.id}&candidate=${e2}&limit=0`, 200],
        ['/api/preflight?base=x&candidate=1', 400],
        [`/api/preflight?base=${s.e1.id}&candidate=999999999`, 404]),
      ...route('post', '/api/preflight',
        ['/api/preflight', 200, { body: { base: s.e1.id, candidate: String(s.e3.id) } }],
        ['/api/preflight?limit=1', 200, { body: { jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: { [X]: ['hello', 'python312Packages.requests', 'newjob'], 'x86_64-darwin': ['hello'] } } } }],
        ['/api/preflight', 200, { body: { base: e2, changedPaths: { rebuildsByKernel: { linux: ['hello'] } } } }],
        ['/api/preflight', 400, { body: { changedPaths: { rebuildsByPlatform: {} } } }],
        ['/api/preflight', 400, { body: { jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: { [X]: 'hello' } } } }],
        ['/api/preflight', 404, { body: { jobset: 'nixpkgs/nope', changedPaths: { rebuildsByPlatform: {} } } }],
        ['/api/preflight', 413, { body: JSON.stringify({ jobset: 'nixpkgs/unstable', changedPaths: { pad: 'x'.repeat(5 * 1024 * 1024) } }) }]),

      ...route('get', '/api/roundups/{week}',
        ['/api/roundups/2026-W45?jobset=nixpkgs/unstable', 200], ['/api/roundups/2026-W46', 200],
        ['/api/roundups/2026-W99', 400], ['/api/roundups/2026-W45?part=1', 400],
        ['/api/roundups/2026-W45?jobset=nixpkgs/nope', 404]),
      ...route('get', '/api/roundups/{week}.md',
        ['/api/roundups/2026-W45.md', 200], ['/api/roundups/2026-W45.md?part=1', 200],
        ['/api/roundups/2026-W45.md?part=x', 400],
        ['/api/roundups/2026-W45.md?part=9', 404]),

      ...route('post', '/api/check',
        ['/api/check', 200, { body: { jobset: 'nixpkgs/unstable', report: {
          pr: 7, systems: [X, A], result: {
            [X]: { blacklisted: ['chromium'], broken: [], built: ['hello'], failed: ['python312Packages.requests', 'newjob', 'brandnew'], 'non-existent': [], tests: [] },
            [A]: { blacklisted: [], broken: [], built: ['steady'], failed: ['hello'], 'non-existent': [], tests: [] },
          },
        } } }],
        ['/api/check', 400, { body: {} }],
        ['/api/check', 400, { body: { packages: [{ attr: 'hello', system: 'not a system' }] } }],
        ['/api/check', 404, { body: { jobset: 'nixpkgs/nope', packages: [] } }]),

      ...route('get', '/api/commits/{sha}',
        [`/api/commits/${FUTURE}?jobset=nixpkgs/unstable`, 200],
        [`/api/commits/${'f'.repeat(40)}`, 404],
        ['/api/commits/xyz', 400],
        ['/api/commits/abcdef1?jobset=nixpkgs/nope', 404]),

      ...route('get', '/api/prs/{number}', ['/api/prs/7', 200]),
      ...route('post', '/api/prs/{number}', ['/api/prs/7', 200, { body: { changedPaths: { rebuildsByPlatform: { [X]: ['python312Packages.requests'] } } } }]),
      ...route('get', '/api/prs/{number}',
        ['/api/prs/0', 400], ['/api/prs/7?jobset=nixpkgs', 400],
        ['/api/prs/9', 404], ['/api/prs/8', 409],
        ['/api/prs/7?jobset=nixos/unstable', 422], ['/api/prs/10', 502]),
      ...route('post', '/api/prs/{number}', ['/api/prs/7', 400, { body: { changedPaths: { nope: 1 } } }]),

      ...route('get', '/api/failing/{project}/{jobset}.json',
        ['/api/failing/nixpkgs/unstable.json', 200],
        ['/api/failing/nixpkgs/.json', 400],
        ['/api/failing/nixpkgs/nope.json', 404]),
    ];
    const answers: [string, Awaited<ReturnType<typeof sample>>][] = [];
    for (const [method, path, url, status, opts] of samples) answers.push([`${method} ${url} ${status}`, await sample(method, path, url, status, opts)]);

    // The samples reach the interesting branches of the feature answers, not only their empty forms.
    const answer = (key: string, nth = 0) => answers.filter(([k]) => k === key)[nth]![1];
    const json = (key: string, nth = 0) => answer(key, nth).json;
    const claimed = json('get /api/roundups/2026-W45 200').breakages.find((b: Schema) => b.job === REQUESTS);
    expect(claimed.claim).toMatchObject({ by: 'alice', note: 'on it' });
    const checked = json('post /api/check 200').items;
    expect(checked.map((i: Schema) => i.hydra)).toEqual(['failing', 'failing', 'green', 'unknown']);
    expect(checked[0].breakage).toMatchObject({ id, state: 'open' });
    const commit = json(`get /api/commits/${s.e2.revision} 200`);
    expect(commit.landed.evalId).toBe(e2);
    expect(commit.brokenBy.failures.length).toBeGreaterThan(0);
    expect(commit.brokenBy.failures.some((f: Schema) => f.breakage?.id === id)).toBe(true);
    expect(json(`get /api/commits/${FUTURE}?jobset=nixpkgs/unstable 200`)).toMatchObject({ landed: null, brokenBy: null });
    const preflight = json(`get /api/preflight?base=${s.e1.id}&candidate=${e2} 200`);
    expect(preflight.impact.newlyBroken.length).toBeGreaterThan(0);
    expect(json(`get /api/preflight?base=${s.e1.id}&candidate=${e2}&limit=0 200`).truncated).toContain('newlyBroken');
    expect(json('post /api/preflight?limit=1 200')).toMatchObject({ mode: 'changed-paths', candidate: null, truncated: ['mayFix'] });
    expect(answer('get /api/roundups/2026-W45.md 200').text).toMatch(/^# Zero Hydra Failures/);
    const viaReport = json('post /api/check 200', 1);
    expect(viaReport).toMatchObject({ pr: 7, summary: { skipped: 1 } });
    expect(viaReport.items.find((i: Schema) => i.attr === 'steady')).toMatchObject({ reviewStatus: 'built', verdict: 'built' });
    expect(json('post /api/prs/7 200').brokenBy.narrowed).toMatchObject({ source: 'rebuildsByPlatform' });
    expect(json('get /api/prs/7 200').pr).toMatchObject({ number: 7, merged: true, mergeCommitSha: s.e2.revision });

    // The failing feed is cacheable: its ETag answers 304 with no body.
    const feed = answer('get /api/failing/nixpkgs/unstable.json 200');
    expect(feed.json.jobs.length).toBeGreaterThan(0);
    const etag = feed.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await sample('get', '/api/failing/{project}/{jobset}.json', '/api/failing/nixpkgs/unstable.json', 304, { headers: { 'if-none-match': etag } });

    // A frozen roundup is read back from storage: still the declared shape.
    await freezeRoundup(get().db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: 'https://hydra.example.org', now: NOW });
    const frozen = await sample('get', '/api/roundups/{week}', '/api/roundups/2026-W45', 200);
    expect(frozen.json).toMatchObject({ frozen: true, frozenAt: NOW.toISOString() });

    // The schemas are not vacuous: a renamed field fails them, a missing one too, an undeclared one too.
    const b = (await call(app, 'GET', `/api/breakages/${id}`)).json;
    const { openedAt, ...renamed } = b;
    expect(problem(BreakageSchema, { ...renamed, opened_at: openedAt })).toMatch(/^\$\.openedAt: /);
    expect(problem(BreakageSchema, { ...b, opened_at: openedAt })).toMatch(/opened_at/);
    const { truncated: _t, ...untruncated } = json(`get /api/preflight?base=${s.e1.id}&candidate=${e2} 200`);
    expect(problem(PreflightReportSchema, untruncated)).toMatch(/^\$\.truncated: /);
    // And they are the ones the document shows.
    expect(doc.paths['/api/breakages/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Breakage' });
    expect(Object.keys(doc.components.schemas.Breakage.properties)).toEqual(Object.keys(BreakageSchema.shape));
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
