// Issue 9's HTTP API as a Hono sub-app mounted under /api (`api.route('/', checkRoutes(deps))`):
//   POST /check                          packages or a nixpkgs-review report.json → pre-existing or new
//   GET  /commits/:sha?jobset=           first eval containing the commit, and what it broke
//   GET|POST /prs/:number?jobset=        the same for a merged pull request (POST: { changedPaths })
//   GET  /failing/:project/:jobset.json  the newest eval's failing jobs, cacheable, with ETag
// Errors are `{ error: { code, message } }`; bad input is 4xx, an unreachable GitHub 502.

import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Database } from '@zhf/db';
import { failingFeedHead, failingJobsOfEval } from '@zhf/db/queries';
import { readBody } from '../util.ts';
import type { ApiEnv } from '../types.ts';
import { firstEvalContaining, jobsetForBranch, jobsetOrThrow, oracleFromConfig, resolvePullRequest, type AncestryOracle } from '@zhf/collector/ancestry/index';
import { brokenBy, parseChangedPathsInput, type BrokenByResult } from '@zhf/collector/check/broken-by';
import { checkPackages, checkReport } from '@zhf/collector/check/run';
import { errorBody, Invalid, NotFound, NotMerged, onError, parseOr400, Upstream } from '../errors.ts';
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

/** Uploads (report.json, changed-paths.json) above this are 413. */
export const CHECK_MAX_BODY = 5 * 1024 * 1024;
const SHA = /^[0-9a-fA-F]{7,40}$/;
const JOBSET = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

const packageSchema = z.object({ attr: z.string().min(1).max(500), system: z.string().min(1).max(100) });
const checkBody = z.object({
  jobset: z.string().regex(JOBSET, 'must be project/jobset').optional(),
  packages: z.array(packageSchema).max(50_000).optional(),
  report: z.unknown().optional(),
  system: z.string().max(100).optional(),
  pkgs: z.string().max(200).nullable().optional(),
}).refine((b) => (b.packages === undefined) !== (b.report === undefined), 'give either packages ([{attr, system}]) or report (a nixpkgs-review report.json), not both');
const prBody = z.object({
  changedPaths: z.unknown().optional(),
  jobset: z.string().regex(JOBSET, 'must be project/jobset').optional(),
});

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

export function checkRoutes(deps: CheckRouteDeps) {
  const db = () => deps.database.db;
  const now = () => deps.now?.() ?? new Date();
  const oracle = deps.oracle ?? oracleFromConfig(deps.config, deps.fetch);
  const oracleName = oracle.name ?? 'custom';
  const github = { apiUrl: deps.config.github.apiUrl, token: deps.config.github.token, fetch: deps.fetch, maxWaitMs: deps.githubMaxWaitMs };

  const jobsetQuery = (c: Context, fallback: string | undefined): string => {
    const q = c.req.query('jobset');
    const js = q === undefined || q === '' ? fallback : q;
    if (!js) throw new Invalid('jobset is required: no jobset is configured');
    if (!JOBSET.test(js)) throw new Invalid(`jobset must be project/jobset, got ${JSON.stringify(js)}`);
    return js;
  };

  /** Where `sha` landed in `jobset` and, when it has, what it broke there. */
  const landing = async (jobset: string, sha: string, changedPaths?: unknown) => {
    const js = await jobsetOrThrow(db(), jobset);
    const first = await firstEvalContaining(db(), oracle, js, sha);
    const broke: BrokenByResult | null = first
      ? await brokenBy(db(), { evalId: first.id, sha, oracle, changedPaths, now: now(), firstContainingEvalId: first.id })
      : null;
    return {
      sha, jobset: `${js.project}/${js.name}`, oracle: oracleName,
      newestEvalId: js.newestEvalId,
      landed: first ? { evalId: first.id, revision: first.revision, timestamp: first.timestamp, oracleCalls: first.oracleCalls } : null,
      brokenBy: broke,
    };
  };

  const pr = async (c: Context, changedPaths: unknown, requested: string | undefined) => {
    const raw = c.req.param('number') ?? '';
    if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new Invalid(`pull request number must be a positive integer, got ${JSON.stringify(raw)}`);
    const q = c.req.query('jobset') || requested;
    if (q !== undefined && !JOBSET.test(q)) throw new Invalid(`jobset must be project/jobset, got ${JSON.stringify(q)}`);
    // A malformed upload is 400 before any GitHub traffic.
    if (changedPaths !== undefined && changedPaths !== null) parseChangedPathsInput(changedPaths);
    const info = await resolvePullRequest(github, Number(raw));
    if (!info.merged) throw new NotMerged(info.number);
    if (!info.mergeCommitSha) throw new Upstream(`GitHub did not give the merge commit of PR #${info.number}`);
    const jobset = jobsetForBranch(info.baseRef, deps.config.jobsets, q);
    return c.json({ pr: info, ...(await landing(jobset, info.mergeCommitSha, changedPaths)) }, 200);
  };

  return new Hono<ApiEnv>()
    .onError(onError)
    .post(
      '/check',
      bodyLimit({ maxSize: CHECK_MAX_BODY, onError: (c) => c.json(errorBody('too_large', `request body over ${CHECK_MAX_BODY} bytes`), 413) }),
      async (c) => {
        const b = await readCheckBody(c);
        const jobset = b.jobset ?? defaultCheckJobset(deps.config.jobsets);
        if (!jobset) throw new Invalid('jobset is required: no jobset is configured');
        if (b.packages) return c.json(await checkPackages(db(), { jobset, packages: b.packages, pkgs: packageSet(b.pkgs), now: now() }), 200);
        return c.json(await checkReport(db(), { jobset, report: b.report, defaultSystem: b.system || undefined, now: now() }), 200);
      },
    )
    .get('/commits/:sha', async (c) => {
      const sha = c.req.param('sha');
      if (!SHA.test(sha)) throw new Invalid(`commit must be 7 to 40 hexadecimal digits, got ${JSON.stringify(sha)}`);
      const jobset = jobsetQuery(c, deps.config.jobsets[0]);
      return c.json(await landing(jobset, sha.toLowerCase()), 200);
    })
    .get('/prs/:number', (c) => pr(c, undefined, undefined))
    .post(
      '/prs/:number',
      bodyLimit({ maxSize: CHECK_MAX_BODY, onError: (c) => c.json(errorBody('too_large', `request body over ${CHECK_MAX_BODY} bytes`), 413) }),
      async (c) => {
        const b = await readBody(c, prBody);
        return pr(c, b.changedPaths, b.jobset);
      },
    )
    .get('/failing/:project/:file', async (c) => {
      const file = c.req.param('file');
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
    });
}
