import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountExtraRoutes, UPLOAD_PATHS } from '../../apps/dashboard/src/lib/server/api/extra.ts';
import { createApp } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, devLogin, ingestScenario, NOW, REQUESTS, testConfig, type App, type Scenario, type Session } from './support.ts';

// What bad input answers, exactly: the status and the whole body, for path parameters and
// queries checked before a handler runs, the order of those checks against sign-in and the
// body limit, and bodies the handlers read. Each row was taken from the API as it was before
// its routes were declared with @hono/zod-openapi.

type Row = [method: string, url: string, as: 'anyone' | 'alice', body: string | undefined, headers: Record<string, string>, status: number, code: string, message: string];

const ROWS: Row[] = [
  ['GET', '/api/evals/x', 'anyone', undefined, {}, 400, 'invalid', 'param id: must be a positive integer id'],
  ['GET', '/api/evals/99999999999999999', 'anyone', undefined, {}, 400, 'invalid', 'param id: must be a positive integer id'],
  ['GET', '/api/evals/1/jobs?limit=0', 'anyone', undefined, {}, 400, 'invalid', 'query limit: Too small: expected number to be >=1'],
  ['GET', '/api/evals/1/jobs?category=nope', 'anyone', undefined, {}, 400, 'invalid', 'query category.0: Invalid option: expected one of "new_failure"|"still_failing"|"fixed"|"still_succeeding"|"new_job_failing"|"new_job"|"failing"|"succeeding"|"pending"|"infra"|"removed"'],
  ['GET', '/api/evals/1/compare/y', 'anyone', undefined, {}, 400, 'invalid', 'param otherId: must be a positive integer id'],
  ['GET', '/api/jobsets/nix%20pkgs/unstable/evals', 'anyone', undefined, {}, 400, 'invalid', 'param project: not a project or jobset name'],
  ['GET', '/api/jobsets/nixpkgs/unstable/evals?before=-1', 'anyone', undefined, {}, 400, 'invalid', 'query before: must be a positive integer id'],
  ['GET', '/api/breakages?sort=nope', 'anyone', undefined, {}, 400, 'invalid', 'query sort: Invalid option: expected one of "job"|"opened"|"system"|"kind"'],
  ['GET', '/api/breakages?claimed=maybe', 'anyone', undefined, {}, 400, 'invalid', 'query claimed: Invalid option: expected one of "0"|"1"|"true"|"false"'],
  ['GET', '/api/breakages?jobset=nixpkgs', 'anyone', undefined, {}, 400, 'invalid', 'query jobset: must be project/jobset'],
  ['GET', '/api/breakages?week=2026-W99', 'anyone', undefined, {}, 400, 'invalid', 'week must be YYYY-Www, backlog or all'],
  ['GET', '/api/breakages?limit=1&limit=2', 'anyone', undefined, {}, 400, 'invalid', 'query limit: Invalid input: expected string, received array'],
  ['GET', '/api/roots?state=nope', 'anyone', undefined, {}, 400, 'invalid', 'query state.0: Invalid option: expected one of "open"|"fixed"|"gone"'],
  ['GET', '/api/breakages/3000000000', 'anyone', undefined, {}, 400, 'invalid', 'param id: id out of range'],
  ['GET', '/api/breakages/1/log?lines=501', 'anyone', undefined, {}, 400, 'invalid', 'query lines: Too big: expected number to be <=500'],
  ['POST', '/api/breakages/x/claim', 'anyone', undefined, {}, 400, 'invalid', 'param id: must be a positive integer id'],
  ['POST', '/api/breakages/BREAKAGE/claim', 'anyone', undefined, {}, 401, 'unauthorized', 'sign in to do this'],
  ['POST', '/api/breakages/BREAKAGE/claim', 'alice', '{"note":', { 'content-type': 'application/json' }, 400, 'invalid', 'body is not valid JSON'],
  ['POST', '/api/breakages/BREAKAGE/claim', 'alice', 'note', { 'content-type': 'text/csv' }, 415, 'unsupported_media_type', 'send application/json or a form'],
  ['POST', '/api/breakages/BREAKAGE/claim', 'alice', '{"extra":1}', { 'content-type': 'application/json' }, 400, 'invalid', 'Unrecognized key: "extra"'],
  ['PATCH', '/api/breakages/BREAKAGE/claim', 'alice', '{}', { 'content-type': 'application/json' }, 400, 'invalid', 'nothing to update: send prUrl and/or note'],
  ['DELETE', '/api/breakages/0/claim', 'alice', undefined, {}, 400, 'invalid', 'param id: must be a positive integer id'],
  ['GET', '/api/maintainers/' + 'm'.repeat(101), 'anyone', undefined, {}, 400, 'invalid', 'param login: Too big: expected string to have <=100 characters'],
  ['GET', '/api/trends', 'anyone', undefined, {}, 400, 'invalid', 'query jobset: Invalid input: expected string, received undefined'],
  ['GET', '/api/trends?jobset=nixpkgs/unstable&from=' + '1'.repeat(41), 'anyone', undefined, {}, 400, 'invalid', 'query from: Too big: expected string to have <=40 characters'],
  ['GET', '/api/roundups/2026-W99', 'anyone', undefined, {}, 400, 'invalid', 'param week: must be an ISO week such as 2026-W48, got "2026-W99"'],
  ['GET', '/api/roundups/2026-W45.md?part=0', 'anyone', undefined, {}, 400, 'invalid', 'query part: must be a positive integer'],
  ['GET', '/api/preflight?base=x&candidate=1', 'anyone', undefined, {}, 400, 'invalid', 'query base: must be a positive eval id'],
  ['GET', '/api/preflight?candidate=1', 'anyone', undefined, {}, 400, 'invalid', 'query base: an eval id is required'],
  ['GET', '/api/preflight?base=1&candidate=2&list=nope', 'anyone', undefined, {}, 400, 'invalid', 'query list: must be one of newlyBroken, newlyFixed, stillFailing, atRisk, mayFix, pending, infra, new'],
  ['POST', '/api/preflight?limit=x', 'anyone', '{}', { 'content-type': 'application/json' }, 400, 'invalid', 'query limit: must be an integer from 0 to 1000000'],
  ['POST', '/api/preflight', 'anyone', '[1]', { 'content-type': 'application/json' }, 400, 'invalid', 'body must be an object'],
  ['POST', '/api/check', 'anyone', 'x', { 'content-type': 'text/csv' }, 415, 'unsupported_media_type', 'send application/json or a form'],
  ['POST', '/api/check', 'anyone', '{"packages":[{"attr":""}]}', { 'content-type': 'application/json' }, 400, 'invalid', 'packages.0.attr: Too small: expected string to have >=1 characters'],
  ['GET', '/api/commits/xyz', 'anyone', undefined, {}, 400, 'invalid', 'param sha: commit must be 7 to 40 hexadecimal digits'],
  ['GET', '/api/commits/abcdef1?jobset=nixpkgs', 'anyone', undefined, {}, 400, 'invalid', 'query jobset: must be project/jobset'],
  ['GET', '/api/prs/0', 'anyone', undefined, {}, 400, 'invalid', 'param number: pull request number must be a positive integer'],
  ['POST', '/api/prs/x', 'anyone', 'x'.repeat(6 * 1024 * 1024), { 'content-type': 'application/json' }, 413, 'payload_too_large', 'request body over 5242880 bytes'],
  ['POST', '/api/breakages/x/claim', 'anyone', 'x'.repeat(2 * 1024 * 1024), { 'content-type': 'application/json' }, 413, 'payload_too_large', 'request body over 1048576 bytes'],
  ['GET', '/api/failing/nixpkgs/unstable.xml', 'anyone', undefined, {}, 404, 'not_found', 'no route for GET /api/failing/nixpkgs/unstable.xml'],
  ['GET', '/feeds/nix%20pkgs/unstable.atom', 'anyone', undefined, {}, 400, 'invalid', 'param project: not a project or jobset name'],
  ['GET', '/feeds/nixpkgs/unstable.xml', 'anyone', undefined, {}, 404, 'not_found', 'no route for GET /feeds/nixpkgs/unstable.xml'],
  ['GET', '/feeds/maintainers/' + 'm'.repeat(111) + '.atom', 'anyone', undefined, {}, 400, 'invalid', 'param file: Too big: expected string to have <=110 characters'],
  ['GET', '/feeds/maintainers/mona.xml', 'anyone', undefined, {}, 404, 'not_found', 'no route for GET /feeds/maintainers/mona.xml'],
  ['POST', '/auth/dev', 'anyone', '{"handle":"-x"}', { 'content-type': 'application/json' }, 400, 'invalid', 'handle: not a GitHub handle'],
  ['GET', '/auth/github?next=a&next=b', 'anyone', undefined, {}, 404, 'not_found', 'GitHub sign-in is not configured'],
];

describeEachDriver('bad input', (get) => {
  let s: Scenario;
  let app: App;
  let alice: Session;
  let id: number;
  beforeAll(async () => {
    s = await ingestScenario(get());
    await s.h.close();
    const database = get();
    const config = testConfig();
    app = createApp({ database, config, now: () => NOW }, {
      extraRoutes: (api) => mountExtraRoutes(api, { database, config }), largeBodyPaths: UPLOAD_PATHS,
    });
    alice = await devLogin(app, 'alice');
    id = await breakageId(get(), REQUESTS);
  });
  afterAll(async () => {
    await s?.h.close();
  });

  it('answers each bad request with the status and error it always had, never a 500', async () => {
    const got: unknown[] = [];
    for (const [method, url, as, body, headers] of ROWS) {
      const r = await call(app, method, url.replace('BREAKAGE', String(id)), { as: as === 'alice' ? alice : undefined, body, headers: { ...(body === undefined ? {} : { 'content-type': '' }), ...headers } });
      got.push([method, url, as, r.status, r.json]);
    }
    expect(got).toEqual(ROWS.map(([method, url, as, , , status, code, message]) => [method, url, as, status, { error: { code, message } }]));
  });
});
