// Issue 9's HTTP API as a Hono sub-app mounted under /api (`api.route('/', checkRoutes(deps))`):
//   POST /check                          packages or a nixpkgs-review report.json → pre-existing or new
//   GET  /commits/:sha?jobset=           first eval containing the commit, and what it broke
//   GET|POST /prs/:number?jobset=        the same for a merged pull request (POST: { changedPaths })
//   GET  /failing/:project/:jobset.json  the newest eval's failing jobs, cacheable, with ETag
// Errors are `{ error: { code, message } }`; bad input is 4xx, an unreachable GitHub 502.

import type { Context } from 'hono';
import { z } from 'zod';
import type { Database } from '@zhf/db';
import { failingFeedHead, failingJobsOfEval } from '@zhf/db/queries';
import { jobsetForBranch, jobsetOrThrow, landingOf, oracleFromConfig, resolvePullRequest, type AncestryOracle } from '@zhf/collector/ancestry/index';
import { brokenBy, parseChangedPathsInput, type BrokenByResult } from '@zhf/collector/check/broken-by';
import { checkPackages, checkReport } from '@zhf/collector/check/run';
import { Invalid, NotFound, NotMerged, parseOr400, Upstream } from '../errors.ts';
import { CheckResultSchema, CommitLandingSchema, FailingJobsSchema, PullRequestLandingSchema } from '../../../api/schemas.ts';
import type { ApiEnv } from '../types.ts';
import { apiApp, errors, json, jsonBody, ok, route, type ApiApp } from '../route.ts';
import { jobsetQuery, jobsetRefSchema, readBody, uploadLimit } from '../util.ts';
import { packageSetOf } from '@zhf/collector/pure/review-report';

export interface CheckRouteDeps {
  database: Pick<Database, 'db'>;
  config: {
    jobsets: string[];
    github: { token: string | null; apiUrl: string };
    /** A local nixpkgs clone: when set, ancestry comes from git instead of GitHub. */
    nixpkgsGit?: string | null;
  };
  /** Overrides the oracle the configuration would choose. */
  oracle?: AncestryOracle;
  /** For the GitHub API (pulls, and compare when no oracle is given). */
  fetch?: typeof fetch;
  now?: () => Date;
  /** Longest wait for a GitHub rate limit to clear during a request. */
  githubMaxWaitMs?: number;
}

const shaParam = z.object({ sha: z.string().regex(/^[0-9a-fA-F]{7,40}$/, 'commit must be 7 to 40 hexadecimal digits').transform((s) => s.toLowerCase()) });
const prParam = z.object({ number: z.string().regex(/^[1-9][0-9]{0,8}$/, 'pull request number must be a positive integer').transform(Number) });
const jobsetOnly = z.object({ jobset: jobsetQuery.meta({ description: 'default: the first configured jobset' }) });
const followingBase = z.object({ jobset: jobsetQuery.meta({ description: 'a tracked jobset following the base branch' }) });

const packageSchema = z.object({ attr: z.string().min(1).max(500), system: z.string().min(1).max(100) });
const checkBody = z.object({
  jobset: jobsetRefSchema.optional().meta({ description: 'default: nixpkgs/unstable when tracked, else the first nixpkgs/ jobset, else the first' }),
  packages: z.array(packageSchema).max(50_000).optional(),
  report: z.unknown().optional().meta({ description: 'a nixpkgs-review report.json, as an object or as the file\'s text' }),
  system: z.string().max(100).optional().meta({ description: 'the system of a single-system report that does not name it' }),
  pkgs: z.string().max(200).nullable().optional()
    .meta({ description: 'with packages: the package set they were built in (pkgsCross.<platform>, pkgsMusl, pkgsStatic)' }),
}).refine((b) => (b.packages === undefined) !== (b.report === undefined), 'give either packages ([{attr, system}]) or report (a nixpkgs-review report.json), not both')
  .meta({ id: 'CheckBody', description: 'packages or report, not both' });
const prBody = z.object({
  changedPaths: z.unknown().optional().meta({ description: 'changed-paths.json, as an object or as the file\'s text' }),
  jobset: jobsetRefSchema.optional(),
});
const shaPath = '/commits/{sha}';
const failingPath = '/failing/{project}/{jobset}.json';

/** Top-level keys only a nixpkgs-review report.json has (either form): the body is the report itself. */
const REPORT_KEYS = ['result', 'systems', 'failed', 'built', 'broken', 'blacklisted', 'non-existent', 'non-existant', 'tests'];

/**
 * The check body: `{ packages }`, `{ report }`, or the report.json itself (`?jobset=&system=` then
 * in the query). `curl --data-binary @report.json` labels the file x-www-form-urlencoded: JSON it is.
 */
async function readCheckBody(c: Context<ApiEnv>): Promise<z.output<typeof checkBody>> {
  const ct = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  if (!/^\s*\{/.test(text) || !(ct === '' || /json|^application\/x-www-form-urlencoded|^text\/plain/i.test(ct))) return readBody(c, checkBody);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Invalid('body is not valid JSON');
  }
  if (!('packages' in raw) && !('report' in raw) && REPORT_KEYS.some((k) => k in raw)) {
    raw = { report: raw, jobset: c.req.query('jobset') || undefined, system: c.req.query('system') || undefined };
  }
  return parseOr400(checkBody, raw);
}

/** A package set named in a request body, checked as a report's `pkgs` is. */
function packageSet(v: unknown): string | null {
  try {
    return packageSetOf(v);
  } catch (e) {
    throw new Invalid((e as Error).message);
  }
}

/** Job names are `<attr>.<system>` in nixpkgs jobsets: prefer one of those when none is named. */
export function defaultCheckJobset(jobsets: readonly string[]): string | undefined {
  return jobsets.find((j) => j === 'nixpkgs/unstable') ?? jobsets.find((j) => j.startsWith('nixpkgs/')) ?? jobsets[0];
}

export function checkRoutes(deps: CheckRouteDeps): ApiApp {
  const db = () => deps.database.db;
  const now = () => deps.now?.() ?? new Date();
  const oracle = deps.oracle ?? oracleFromConfig(deps.config, deps.fetch);
  const oracleName = oracle.name ?? 'custom';
  const github = { apiUrl: deps.config.github.apiUrl, token: deps.config.github.token, fetch: deps.fetch, maxWaitMs: deps.githubMaxWaitMs };

  /** Where `sha` landed in `jobset` and, when it has, what it broke there. */
  const landing = async (jobset: string, sha: string, changedPaths?: unknown) => {
    const js = await jobsetOrThrow(db(), jobset);
    const { first, oracle: asked } = await landingOf(db(), oracle, js, sha);
    const broke: BrokenByResult | null = first
      ? await brokenBy(db(), { evalId: first.id, sha, oracle: asked, changedPaths, now: now(), firstContainingEvalId: first.id })
      : null;
    return {
      // `evals` when the jobset's own eval revisions answered every question (no GitHub, no clone).
      sha, jobset: `${js.project}/${js.name}`, oracle: asked.name === 'evals' ? 'evals' : oracleName,
      newestEvalId: js.newestEvalId,
      landed: first ? { evalId: first.id, revision: first.revision, timestamp: first.timestamp, oracleCalls: first.oracleCalls } : null,
      brokenBy: broke,
    };
  };

  const pr = async (c: Context, number: number, changedPaths: unknown, requested: string | undefined) => {
    // A malformed upload is 400 before any GitHub traffic.
    if (changedPaths !== undefined && changedPaths !== null) parseChangedPathsInput(changedPaths);
    const info = await resolvePullRequest(github, number);
    if (!info.merged) throw new NotMerged(info.number);
    if (!info.mergeCommitSha) throw new Upstream(`GitHub did not give the merge commit of PR #${info.number}`);
    const jobset = jobsetForBranch(info.baseRef, deps.config.jobsets, requested);
    return c.json({ pr: info, ...(await landing(jobset, info.mergeCommitSha, changedPaths)) }, 200);
  };

  const app = apiApp();
  route(app, {
    method: 'post', path: '/check', middleware: [uploadLimit],
    summary: 'Pre-existing or new: packages, or a nixpkgs-review report.json, against the jobset\'s newest eval (up to 5 MB)',
    description: 'The body may also be the report.json itself (`curl --data-binary @report.json`), with `jobset` and `system` in the query.',
    request: {
      query: z.object({
        jobset: z.string().optional().meta({ description: 'with a bare report.json body' }),
        system: z.string().optional().meta({ description: 'with a bare single-system report.json body' }),
      }),
      body: jsonBody(checkBody, true),
    },
    responses: { ...ok(CheckResultSchema), ...errors(400, 404, 413) },
  }, async (c) => {
    const b = await readCheckBody(c);
    const jobset = b.jobset ?? defaultCheckJobset(deps.config.jobsets);
    if (!jobset) throw new Invalid('jobset is required: no jobset is configured');
    if (b.packages) return c.json(await checkPackages(db(), { jobset, packages: b.packages, pkgs: packageSet(b.pkgs), now: now() }), 200);
    return c.json(await checkReport(db(), { jobset, report: b.report, defaultSystem: b.system || undefined, now: now() }), 200);
  }, { unchecked: ['query'] });
  route(app, {
    method: 'get', path: shaPath, summary: 'The first eval of a jobset containing a commit, and what it broke there',
    request: { params: shaParam, query: jobsetOnly },
    responses: { ...ok(CommitLandingSchema), ...errors(400, 404, 502) },
  }, async (c) => {
    const jobset = c.req.valid('query').jobset ?? deps.config.jobsets[0];
    if (!jobset) throw new Invalid('jobset is required: no jobset is configured');
    return c.json(await landing(jobset, c.req.valid('param').sha), 200);
  });
  route(app, {
    method: 'get', path: '/prs/{number}', summary: 'Where a merged pull request landed (the jobset following its base branch), and what it broke',
    request: { params: prParam, query: followingBase },
    responses: { ...ok(PullRequestLandingSchema), ...errors(400, 404, 409, 422, 502) },
  }, (c) => pr(c, c.req.valid('param').number, undefined, c.req.valid('query').jobset));
  route(app, {
    method: 'post', path: '/prs/{number}', summary: 'The same, narrowed to the jobs the pull request rebuilt (changed-paths.json, up to 5 MB)',
    middleware: [uploadLimit],
    request: { params: prParam, query: followingBase, body: jsonBody(prBody, false) },
    responses: { ...ok(PullRequestLandingSchema), ...errors(400, 404, 409, 413, 422, 502) },
  }, async (c) => {
    const b = await readBody(c, prBody);
    return pr(c, c.req.valid('param').number, b.changedPaths, c.req.valid('query').jobset ?? b.jobset);
  });
  route(app, {
    method: 'get', path: failingPath, summary: 'Failing jobs of the jobset\'s newest eval (cacheable: ETag, max-age 300)',
    request: {
      params: z.object({ project: z.string(), jobset: z.string() }),
      headers: z.object({ 'if-none-match': z.string().optional() }),
    },
    responses: {
      200: { ...json(FailingJobsSchema), headers: z.object({ etag: z.string(), 'cache-control': z.string() }) },
      304: { description: 'not modified since the ETag given', headers: z.object({ etag: z.string() }) },
      ...errors(400, 404),
    },
  }, async (c) => {
    // One segment, `<jobset>.json`: the document names its parts.
    const file = c.req.param('file')!;
    if (!file.endsWith('.json')) throw new NotFound(`no route for GET ${c.req.path}`);
    const ref = `${c.req.param('project')}/${file.slice(0, -'.json'.length)}`;
    const js = await jobsetOrThrow(db(), ref);
    const head = await failingFeedHead(db(), js.id);
    if (!head) throw new NotFound(`jobset ${ref} has no ingested eval yet`);
    // The eval and when its counts were computed (recomputed when a member build changes) version the list.
    const etag = `"zhf-failing-${head.evalId}-${head.statsComputedAt ? Date.parse(head.statsComputedAt) : 0}${head.statsStale ? '-stale' : ''}"`;
    const headers = { 'cache-control': 'public, max-age=300', etag };
    const inm = c.req.header('if-none-match');
    if (inm && inm.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*')) {
      return c.body(null, 304, headers);
    }
    const jobs = await failingJobsOfEval(db(), js.id, head.evalId);
    return c.json({
      jobset: ref, evalId: head.evalId, revision: head.revision, timestamp: head.timestamp, statsComputedAt: head.statsComputedAt,
      total: jobs.length,
      jobs: jobs.map((j) => ({ job: j.job, system: j.system, kind: j.kind, status: j.status, buildId: j.buildId, since: j.sinceEvalId === null ? null : { evalId: j.sinceEvalId }, breakageId: j.breakageId })),
    }, 200, headers);
  }, { routing: '/failing/{project}/{file}', unchecked: ['params'] });
  return app;
}
