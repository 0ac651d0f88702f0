import { beforeAll, expect, it } from 'vitest';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, devLogin, REQUESTS, serverApp, useScenario, type Session } from './support.ts';

// What bad input answers, exactly: the status and the whole body, for path parameters and
// queries checked before a handler runs, the order of those checks against sign-in and the
// body limit, and bodies the handlers read. Each row was taken from the API as it was before
// its routes were declared with @hono/zod-openapi.

/** A request, the error message it answers, and what differs from a GET by anyone answered 400 (a body is JSON unless `type` says otherwise). */
type Row = [request: string, message: string, over?: { as?: 'alice'; body?: string; type?: string; status?: number }];

/** The error code of each status. */
const CODES: Record<number, string> = { 400: 'invalid', 401: 'unauthorized', 404: 'not_found', 413: 'payload_too_large', 415: 'unsupported_media_type' };

const ROWS: Row[] = [
  ['GET /api/evals/x', 'param id: must be a positive integer id'],
  ['GET /api/evals/99999999999999999', 'param id: must be a positive integer id'],
  ['GET /api/evals/1/jobs?limit=0', 'query limit: Too small: expected number to be >=1'],
  ['GET /api/evals/1/jobs?category=nope', 'query category.0: Invalid option: expected one of "new_failure"|"still_failing"|"fixed"|"still_succeeding"|"new_job_failing"|"new_job"|"failing"|"succeeding"|"pending"|"infra"|"removed"'],
  ['GET /api/evals/1/compare/y', 'param otherId: must be a positive integer id'],
  ['GET /api/jobsets/nix%20pkgs/unstable/evals', 'param project: not a project or jobset name'],
  ['GET /api/jobsets/nixpkgs/unstable/evals?before=-1', 'query before: must be a positive integer id'],
  ['GET /api/breakages?sort=nope', 'query sort: Invalid option: expected one of "job"|"opened"|"system"|"kind"'],
  ['GET /api/breakages?claimed=maybe', 'query claimed: Invalid option: expected one of "0"|"1"|"true"|"false"'],
  ['GET /api/breakages?jobset=nixpkgs', 'query jobset: must be project/jobset'],
  ['GET /api/breakages?week=2026-W99', 'week must be YYYY-Www, backlog or all'],
  ['GET /api/breakages?limit=1&limit=2', 'query limit: Invalid input: expected string, received array'],
  ['GET /api/roots?state=nope', 'query state.0: Invalid option: expected one of "open"|"fixed"|"gone"'],
  ['GET /api/breakages/3000000000', 'param id: id out of range'],
  ['GET /api/breakages/1/log?lines=501', 'query lines: Too big: expected number to be <=500'],
  ['POST /api/breakages/x/claim', 'param id: must be a positive integer id'],
  ['POST /api/breakages/BREAKAGE/claim', 'sign in to do this', { status: 401 }],
  ['POST /api/breakages/BREAKAGE/claim', 'body is not valid JSON', { as: 'alice', body: '{"note":' }],
  ['POST /api/breakages/BREAKAGE/claim', 'send application/json or a form', { as: 'alice', body: 'note', type: 'text/csv', status: 415 }],
  ['POST /api/breakages/BREAKAGE/claim', 'Unrecognized key: "extra"', { as: 'alice', body: '{"extra":1}' }],
  ['PATCH /api/breakages/BREAKAGE/claim', 'nothing to update: send prUrl and/or note', { as: 'alice', body: '{}' }],
  ['DELETE /api/breakages/0/claim', 'param id: must be a positive integer id', { as: 'alice' }],
  ['GET /api/maintainers/' + 'm'.repeat(101), 'param login: Too big: expected string to have <=100 characters'],
  ['GET /api/trends', 'query jobset: Invalid input: expected string, received undefined'],
  ['GET /api/trends?jobset=nixpkgs/unstable&from=' + '1'.repeat(41), 'query from: Too big: expected string to have <=40 characters'],
  ['GET /api/roundups/2026-W99', 'param week: must be an ISO week such as 2026-W48, got "2026-W99"'],
  ['GET /api/roundups/2026-W45.md?part=0', 'query part: must be a positive integer'],
  ['GET /api/preflight?base=x&candidate=1', 'query base: must be a positive eval id'],
  ['GET /api/preflight?candidate=1', 'query base: an eval id is required'],
  ['GET /api/preflight?base=1&candidate=2&list=nope', 'query list: must be one of newlyBroken, newlyFixed, stillFailing, atRisk, mayFix, pending, infra, new'],
  ['POST /api/preflight?limit=x', 'query limit: must be an integer from 0 to 1000000', { body: '{}' }],
  ['POST /api/preflight', 'body must be an object', { body: '[1]' }],
  ['POST /api/check', 'send application/json or a form', { body: 'x', type: 'text/csv', status: 415 }],
  ['POST /api/check', 'packages.0.attr: Too small: expected string to have >=1 characters', { body: '{"packages":[{"attr":""}]}' }],
  ['GET /api/commits/xyz', 'param sha: commit must be 7 to 40 hexadecimal digits'],
  ['GET /api/commits/abcdef1?jobset=nixpkgs', 'query jobset: must be project/jobset'],
  ['GET /api/prs/0', 'param number: pull request number must be a positive integer'],
  ['POST /api/prs/x', 'request body over 5242880 bytes', { body: 'x'.repeat(6 * 1024 * 1024), status: 413 }],
  ['POST /api/breakages/x/claim', 'request body over 1048576 bytes', { body: 'x'.repeat(2 * 1024 * 1024), status: 413 }],
  ['GET /api/failing/nixpkgs/unstable.xml', 'no route for GET /api/failing/nixpkgs/unstable.xml', { status: 404 }],
  ['GET /feeds/nix%20pkgs/unstable.atom', 'param project: not a project or jobset name'],
  ['GET /feeds/nixpkgs/unstable.xml', 'no route for GET /feeds/nixpkgs/unstable.xml', { status: 404 }],
  ['GET /feeds/maintainers/' + 'm'.repeat(111) + '.atom', 'param file: Too big: expected string to have <=110 characters'],
  ['GET /feeds/maintainers/mona.xml', 'no route for GET /feeds/maintainers/mona.xml', { status: 404 }],
  ['POST /auth/dev', 'handle: not a GitHub handle', { body: '{"handle":"-x"}' }],
  ['GET /auth/github?next=a&next=b', 'GitHub sign-in is not configured', { status: 404 }],
];

describeEachDriver('bad input', (get) => {
  const t = useScenario(get, { closeHydra: true, build: (database) => serverApp(database) });
  let alice: Session;
  let id: number;
  beforeAll(async () => {
    alice = await devLogin(t.app, 'alice');
    id = await breakageId(get(), REQUESTS);
  });

  it('answers each bad request with the status and error it always had, never a 500', async () => {
    const got: unknown[] = [];
    for (const [request, , { as, body, type = 'application/json' } = {}] of ROWS) {
      const [method, url] = request.split(' ') as [string, string];
      const r = await call(t.app, method, url.replace('BREAKAGE', String(id)), { as: as && alice, body, headers: body === undefined ? {} : { 'content-type': type } });
      got.push([request, as ?? 'anyone', r.status, r.json]);
    }
    expect(got).toEqual(ROWS.map(([request, message, { as = 'anyone', status = 400 } = {}]) => [request, as, status, { error: { code: CODES[status], message } }]));
  });
});
