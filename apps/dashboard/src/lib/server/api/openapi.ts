import { CATEGORIES } from '@zhf/db/queries';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';

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
const noutcome: Schema = { enum: ['success', 'failure', 'pending', 'infra', null] };
const state: Schema = { enum: ['open', 'fixed', 'gone'] };
const arr = (items: Schema): Schema => ({ type: 'array', items });
const strs = arr(str);
const intMap: Schema = { type: 'object', additionalProperties: int };
/** `project/jobset`, as the feature routes check it. */
const jobsetRef: Schema = { type: 'string', pattern: JOBSET_REF.source };
/** An eval id in a query string or JSON body: a positive integer, or its digits. */
const evalIdIn: Schema = { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+$' }] };
const isoWeek: Schema = { type: 'string', pattern: '^[0-9]{4}-W[0-9]{2}$', description: 'ISO week, e.g. 2026-W45' };
/** The impact lists of a preflight report, in the order `truncated` names them. */
const PREFLIGHT_LISTS = ['newlyBroken', 'newlyFixed', 'stillFailing', 'atRisk', 'mayFix', 'pending', 'infra', 'new'];
const CHECK_VERDICTS = ['already-broken', 'likely-new', 'pending', 'unknown', 'built'];
const HYDRA_STATES = ['failing', 'green', 'pending', 'infra', 'unknown'];
const ROUNDUP_COUNTS = {
  new: int, fixed: { ...int, description: 'same as fixedOfWeek' },
  fixedOfWeek: { ...int, description: 'of the week\'s breakages, those fixed by now (not trends\' fixedInWeek)' },
  gone: int, open: int, claimed: int,
};

/** An object schema; every property is required unless listed in `optional`. */
function obj(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

const list = (item: Schema, extra: Record<string, Schema> = {}): Schema =>
  obj({ ...extra, items: { type: 'array', items: item }, total: int, nextCursor: nstr });

const counts: Schema = { type: 'object', additionalProperties: int, propertyNames: { enum: [...CATEGORIES] } };

/** Where a commit landed in a jobset (the first eval containing it) and what it broke there. */
function landing(extra: Record<string, Schema> = {}): Schema {
  return obj({
    ...extra,
    sha: str, jobset: str, oracle: { ...str, description: "what answered the ancestry questions: evals (the jobset's own eval revisions, in order: the commit is one of them), git (ZHF_NIXPKGS_GIT), github" }, newestEvalId: nint,
    landed: { ...nullable(obj({ evalId: int, revision: str, timestamp: time, oracleCalls: int })), description: 'null: no ingested eval contains the commit yet' },
    brokenBy: nullable(ref('BrokenBy')),
  });
}

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str }), holder: str }, ['holder']),
  Range: obj({ from: str, to: str, url: str }),
  Eval: obj({
    id: int, jobset: str, revision: nstr, timestamp: time, previousEvalId: nint, complete: bool, pending: int,
    counts, countsBySystem: { type: 'object', additionalProperties: counts },
    // One eval's answer only: members stored with their full record ("N of M builds known").
    builds: obj({ known: int, total: int, unresolved: int }),
    roots: {
      ...obj({ dependency: int, traced: int, roots: int }),
      description: 'one eval\'s answer only: its dependency failures, those whose root is known, and the distinct roots they trace back to',
    },
  }, ['builds', 'roots']),
  Baseline: obj({ evalId: int, buildId: int, outcome, revision: nstr }),
  JobRow: obj({
    job: str, system: str, category: { enum: [...CATEGORIES] }, buildId: nint, status: nint, outcome, kind,
    baseline: nullable(ref('Baseline')), range: nullable(ref('Range')), awaiting: { type: 'boolean' },
    maintainers: { ...arr(ref('Maintainer')), description: 'from the channel\'s packages.json by attribute path; empty when unknown' },
    teams: strs,
  }, ['awaiting']),
  Claim: obj({ by: str, at: time, updatedAt: time, expiresAt: time, prUrl: nstr, note: nstr }),
  Breakage: obj({
    id: int, jobset: str, job: str, system: str, state: { enum: ['open', 'fixed', 'gone'] }, kind, status: nint, flaky: bool, preexisting: bool, week: str,
    openedEvalId: int, openedAt: time, closedEvalId: nint, closedAt: ntime, buildId: int, buildUrl: str,
    logUrl: { ...str, description: 'Hydra\'s log of the failing build (<hydra>/build/<id>/log)' },
    range: nullable(ref('Range')), claim: nullable(ref('Claim')), fixedBy: nstr,
    maintainers: arr(ref('Maintainer')), teams: { ...strs, description: 'team names from packages.json; empty when unknown' },
    rootCause: nullable(ref('RootCause')),
    blocks: { ...int, description: 'distinct open dependency failures, over all tracked jobsets, whose root is this breakage\'s failing build' },
  }),
  RootCause: obj({
    buildId: int, job: str, jobset: str, system: str,
    breakageId: { ...nint, description: 'the root\'s breakage when its job is tracked' },
    claimedBy: { ...nstr, description: 'holder of the active claim on the root\'s breakage: this dependent is covered by it' },
  }),
  BlockedJob: obj({ job: str, jobset: str, system: str, breakageId: int }),
  Root: obj({
    breakage: ref('Breakage'), blocks: int,
    blocked: { ...arr(ref('BlockedJob')), description: 'the first 50 blocked jobs' },
    jobsets: { ...strs, description: 'tracked jobsets where this derivation fails or blocks a job' },
  }),
  Maintainer: obj({
    github: { ...nstr, description: 'GitHub login as packages.json spells it; null without a GitHub account' },
    githubId: { ...nint, description: 'stable GitHub user id' }, name: nstr,
  }),
  MaintainerSummary: obj({
    login: str, githubId: nint, otherLogins: { ...strs, description: 'logins packages.json gives the same GitHub id (renamed accounts)' },
    packages: int, teams: strs, openBreakages: int, openThisWeek: int, week: str,
  }),
  JobsetSummary: obj({ jobset: str, latestEval: nullable(ref('Eval')), openBreakages: int,
    week: obj({ week: str, breakages: int, open: int }), backlog: int, lastSyncOkAt: ntime, lastSyncError: nstr, gates: arr(ref('Gate')) }),
  Gate: obj({
    job: str, buildId: int, buildUrl: str, outcome, status: nint,
    constituents: { type: 'integer', description: 'constituents read from Hydra (0 until read)' },
    blocking: arr(obj({ job: str, buildId: int, outcome: { enum: ['failure', 'pending', 'infra'] }, kind })),
  }),
  JobHistoryEntry: obj({ evalId: int, revision: nstr, timestamp: time, buildId: nint, status: nint, outcome, kind }),
  JobHistory: list(ref('JobHistoryEntry'), {
    jobset: str, job: str, system: str, hydraUrl: str,
    lastSuccess: nullable(ref('JobHistoryEntry')), firstFailureAfter: nullable(ref('JobHistoryEntry')), range: nullable(ref('Range')),
    maintainers: arr(ref('Maintainer')), teams: strs,
  }),
  TrendEval: obj({
    evalId: int, timestamp: time, failing: int, failingBySystem: { type: 'object', additionalProperties: int },
    failingByKind: obj({ direct: int, dependency: int }),
    roots: {
      ...int,
      description: 'distinct roots (SPEC section 8) behind the dependency failures open in this eval whose cause zhf has read from Hydra: '
        + 'the things to fix behind its failing jobs. Causes are read only for the failures zhf shows (this week\'s, open, claimed), '
        + 'so evals before zhf read them count fewer; 0 everywhere while no cause is known',
    },
    blockedByRoots: { ...int, description: 'the dependency failures open in this eval whose root is known: those `roots` stand for' },
  }),
  TrendWeek: obj({
    week: str, opened: int, fixed: { ...int, description: 'same as fixedInWeek' },
    fixedInWeek: { ...int, description: 'breakages closed as fixed during the week, whenever they opened (not the roundup\'s fixedOfWeek)' },
    open: int, medianHoursToFix: { type: ['number', 'null'] } }),
  Trends: obj({ jobset: str, from: time, to: time,
    since: { ...ntime, description: 'timestamp of the oldest ingested eval: weeks that ended before it have no data (null: none yet)' }, evals: { type: 'array', items: ref('TrendEval') }, weeks: { type: 'array', items: ref('TrendWeek') } }),
  Health: obj({
    status: { enum: ['ok', 'degraded'] },
    jobsets: { type: 'array', items: obj({ jobset: str, lastSyncOkAt: ntime, ageSeconds: nint, lastError: nstr }) },
  }),
  Me: obj({ user: nullable(obj({ login: str, name: nstr, avatarUrl: nstr, maintainer: bool })), csrf: nstr }),
  // ---- feature routes mounted by the collector (apps/dashboard/src/lib/server/api/extra.ts) ----
  /** The active claim of a breakage, as the check and broken-by answers carry it. */
  ClaimRef: obj({ by: str, prUrl: nstr }),
  PreflightEvalRef: obj({ id: int, jobset: str, revision: nstr, timestamp: time }),
  PreflightItem: obj({
    job: str, system: str, package: str, baseBuildId: nint, candidateBuildId: nint, baseOutcome: noutcome, candidateOutcome: noutcome, kind,
  }),
  KernelReport: obj({ systems: strs, packages: int, labels: strs }),
  PreflightReport: obj({
    base: ref('PreflightEvalRef'),
    candidate: { ...nullable(ref('PreflightEvalRef')), description: 'null for a changed-paths.json' },
    mode: { enum: ['evals', 'changed-paths'] },
    rebuildsBySystem: intMap,
    byKernel: obj({ linux: ref('KernelReport'), darwin: ref('KernelReport') }),
    labels: strs,
    candidateResults: bool,
    impact: obj(Object.fromEntries(PREFLIGHT_LISTS.map((k) => [k, arr(ref('PreflightItem'))]))),
    totals: obj({ baseJobs: int, candidateJobs: nint, rebuilt: int, unknownOutputs: { ...int, description: 'candidate jobs neither rebuilt nor unchanged yet: a build of theirs on either side is known only from its short record (no outputs stored)' }, ...Object.fromEntries(PREFLIGHT_LISTS.map((k) => [k, int])) }),
    notes: strs,
    truncated: { ...arr({ enum: PREFLIGHT_LISTS }), description: 'impact lists with items past this slice (totals keep the full counts)' },
    offset: { ...int, description: 'the first item of each list in this slice, from 0' },
    list: { ...nullable({ enum: PREFLIGHT_LISTS }), description: 'the one list that carries items, when asked for with `list`' },
  }),
  PreflightBody: {
    description: 'Two evals, or a pull request\'s changed-paths.json against a base eval or the newest eval of a jobset',
    oneOf: [
      obj({ base: evalIdIn, candidate: evalIdIn }),
      obj({ changedPaths: { type: 'object', description: 'the changed-paths.json object' }, base: evalIdIn }),
      obj({ changedPaths: { type: 'object', description: 'the changed-paths.json object' }, jobset: jobsetRef }),
    ],
  },
  RoundupCounts: obj(ROUNDUP_COUNTS),
  RoundupItem: obj({
    id: int, job: str, system: str, kind, state, flaky: bool, openedEvalId: int, openedAt: time, closedEvalId: nint, closedAt: ntime,
    buildId: nint, range: nullable(ref('Range')), claim: nullable(obj({ by: str, at: time, prUrl: nstr, note: nstr })), fixedBy: nstr,
    maintainers: { ...strs, description: 'GitHub logins of the package maintainers (absent in roundups frozen before maintainers were read)' },
    rootKey: { ...nstr, description: 'a dependency failure\'s root (`roots[].key`) once its cause is resolved; such a breakage is counted under its root in the Markdown, not listed (absent in roundups frozen before roots were listed)' },
  }, ['maintainers', 'rootKey']),
  RoundupRoot: obj({
    key: { ...str, description: 'the root build\'s derivation, else `build:<id>`: one root across jobsets' },
    job: str, jobset: str, system: str,
    breakageId: { ...nint, description: 'its breakage, preferably in the roundup\'s jobset; null when zhf tracks none' },
    state: nullable({ enum: ['open', 'fixed', 'gone'] }), buildId: nint,
    blocks: { ...int, description: 'distinct failing jobs over all tracked jobsets that it blocks (as `blocks` on breakages)' },
    folded: { ...int, description: 'the week\'s dependency failures of this jobset listed under it instead of one by one' },
    range: nullable(ref('Range')), claim: nullable(obj({ by: str, prUrl: nstr })), fixedBy: nstr, maintainers: strs,
  }),
  Roundup: obj({
    jobset: str, week: str,
    summary: obj({
      jobset: str, week: str, totals: ref('RoundupCounts'), bySystem: arr(obj({ system: str, ...ROUNDUP_COUNTS })), backlogOpen: int, parts: int,
    }),
    parts: { ...strs, description: 'Markdown parts, each under GitHub\'s body limit' },
    markdown: { ...str, description: 'the parts joined by `<!-- part break -->` lines' },
    burndown: arr(obj({ date: { type: 'string', format: 'date' }, open: int })),
    breakages: arr(ref('RoundupItem')),
    roots: {
      ...arr(ref('RoundupRoot')),
      description: 'the roots behind the week\'s dependency failures (and the week\'s failures that block others), most blocking first, listed first in the Markdown (absent in roundups frozen before roots were listed)',
    },
    generatedAt: time, frozen: bool, frozenAt: ntime,
  }, ['roots']),
  CheckBody: {
    ...obj({
      jobset: { ...jobsetRef, description: 'default: nixpkgs/unstable when tracked, else the first nixpkgs/ jobset, else the first' },
      packages: { ...arr(obj({ attr: { type: 'string', minLength: 1, maxLength: 500 }, system: { type: 'string', minLength: 1, maxLength: 100 } })), maxItems: 50_000 },
      report: { description: 'a nixpkgs-review report.json, as an object or as the file\'s text' },
      system: { type: 'string', maxLength: 100, description: 'the system of a single-system report that does not name it' },
      pkgs: { ...nstr, description: 'with packages: the package set they were built in (pkgsCross.<platform>, pkgsMusl, pkgsStatic)' },
    }, ['jobset', 'packages', 'report', 'system', 'pkgs']),
    oneOf: [{ required: ['packages'] }, { required: ['report'] }],
  },
  CheckItem: obj({
    attr: str, system: str, job: str,
    reviewStatus: { enum: ['failed', 'built', 'broken'] },
    hydra: { enum: HYDRA_STATES }, verdict: { enum: CHECK_VERDICTS }, buildId: nint,
    since: obj({ evalId: int, at: time }),
    breakage: obj({ id: int, state, openedEvalId: int, claim: nullable(ref('ClaimRef')) }),
    lastVerdict: nullable(obj({ evalId: int, outcome: { enum: ['success', 'failure'] } })),
    note: { ...str, description: 'why the answer is unknown when Hydra does not build the package set' },
  }, ['reviewStatus', 'since', 'breakage', 'lastVerdict', 'note']),
  CheckResult: obj({
    jobset: str, evalId: int, revision: nstr, timestamp: time,
    pr: { ...nint, description: 'the pull request a report names (report checks only)' },
    pkgs: { ...nstr, description: 'the package set the report was built in (`--pkgs`: pkgsCross.*, pkgsMusl, pkgsStatic); null: native' },
    note: { ...str, description: 'plain words on how the package set was compared' },
    items: arr(ref('CheckItem')),
    summary: obj({
      total: int,
      verdicts: obj(Object.fromEntries(CHECK_VERDICTS.map((k) => [k, int]))),
      hydra: obj(Object.fromEntries(HYDRA_STATES.map((k) => [k, int]))),
      builtButFailingOnHydra: int, skipped: int,
    }),
  }, ['pr', 'note']),
  BrokenByFailure: obj({
    job: str, system: str, category: { enum: ['new_failure', 'new_job_failing'] }, kind, status: nint, buildId: int,
    baseline: nullable(ref('Baseline')), range: nullable(ref('Range')), breakage: nullable(obj({ id: int, state, claim: nullable(ref('ClaimRef')) })),
  }),
  BrokenBy: obj({
    jobset: str, eval: obj({ id: int, revision: nstr, timestamp: time }), sha: str, excluded: int,
    narrowed: nullable(obj({ source: { enum: ['rebuildsByPlatform', 'rebuildsByKernel', 'attrdiff'] }, before: int, after: int })),
    total: int, failures: arr(ref('BrokenByFailure')),
  }),
  CommitLanding: landing(),
  PullRequestLanding: landing({ pr: obj({ number: int, title: nstr, url: nstr, merged: bool, mergeCommitSha: nstr, baseRef: str }) }),
  FailingJobs: obj({
    jobset: str, evalId: int, revision: nstr, timestamp: time, statsComputedAt: ntime, total: int,
    jobs: arr(obj({
      job: str, system: str, kind: { enum: ['direct', 'dependency'] }, status: nint, buildId: int, since: nullable(obj({ evalId: int })), breakageId: nint,
    })),
  }),
  LogTail: obj({
    buildId: { ...int, description: 'the build whose log this is: the breakage\'s failing build' },
    drvPath: { ...str, description: 'its derivation; the tail is cached by it' },
    lines: { ...strs, description: 'the last lines, oldest first, without terminal escapes; lines over 2000 characters are cut' },
    fetchedAt: { ...time, description: 'when Hydra was asked' },
  }),
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
const markdown = (description: string) => ({ 200: { description, content: { 'text/markdown': { schema: str } } } });
const listLimit = query('limit', { type: 'integer', minimum: 0, maximum: 1_000_000, default: 1000 }, 'items per impact list');
const listSlice = [
  listLimit,
  query('offset', { type: 'integer', minimum: 0, default: 0 }, 'first item of each list, from 0: page with limit'),
  query('list', { enum: PREFLIGHT_LISTS }, 'only this impact list carries items (the others are empty; totals count all)'),
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
            query('claimed', { enum: ['true', 'false'] }), query('q', str), query('sort', { enum: ['job', 'opened', 'system', 'kind'] }, 'kind: direct failures first, then by system and job'),
            query('maintainer', str, 'GitHub login (case-insensitive; renamed logins by GitHub id); unknown: 404'),
            query('team', str, 'team name from packages.json (case-insensitive)'),
            query('folded', { enum: ['true', 'false'] }, 'false: not folded under a root /api/roots lists with the same filters (the root\'s breakages, its open unclaimed dependents)'),
            ...paging,
          ],
          responses: { ...ok(list(ref('Breakage'), { week: str })), ...err(400, 404) },
        },
      },
      '/api/roots': {
        get: {
          summary: 'Root causes: the direct failures behind dependency failures, most blocking first',
          parameters: [
            query('week', str, 'YYYY-Www (default: the current week), backlog, or all'), query('jobset', str, 'project/jobset'),
            query('system', str, 'comma-separated'), query('state', str, 'the root breakage\'s state: open (default), fixed, gone'),
            query('maintainer', str, 'GitHub login'), query('team', str, 'team name from packages.json'),
            query('claimed', { enum: ['true', 'false'] }, 'the root breakage\'s own claim'), query('q', str, 'substring of the root\'s job name'), ...paging,
          ],
          responses: { ...ok(list(ref('Root'), { week: str })), ...err(400, 404) },
        },
      },
      '/api/breakages/{id}': { get: { summary: 'One breakage', parameters: [path('id', int)], responses: { ...ok(ref('Breakage')), ...err(400, 404) } } },
      '/api/breakages/{id}/log': {
        get: {
          summary: 'The last lines of the failing build\'s log (SPEC section 10): from Hydra on first request, then cached by derivation',
          parameters: [path('id', int), query('lines', { type: 'integer', minimum: 1, maximum: 500, default: 50 })],
          responses: { ...ok(ref('LogTail')), ...err(400, 404, 502) },
        },
      },
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
          summary: 'Failing counts and the roots behind them per eval; opened, fixed, open and median time to fix per week',
          parameters: [{ ...query('jobset', str, 'project/jobset'), required: true }, query('from', str, 'YYYY-Www, date or date-time'), query('to', str)],
          responses: { ...ok(ref('Trends')), ...err(400, 404) },
        },
      },
      '/api/preflight': {
        get: {
          summary: 'Mass-rebuild preflight of a candidate eval against a base eval (any tracked jobsets)',
          parameters: [{ ...query('base', { type: 'integer', minimum: 1 }, 'eval id'), required: true }, { ...query('candidate', { type: 'integer', minimum: 1 }, 'eval id'), required: true }, ...listSlice],
          responses: { ...ok(ref('PreflightReport')), ...err(400, 404) },
        },
        post: {
          summary: 'Mass-rebuild preflight of two evals, or of a changed-paths.json (up to 5 MB)',
          parameters: listSlice, requestBody: { required: true, ...json(ref('PreflightBody')) },
          responses: { ...ok(ref('PreflightReport')), ...err(400, 404, 413) },
        },
      },
      '/api/roundups/{week}': {
        get: {
          summary: 'The week\'s roundup (frozen, or computed live with frozen: false)',
          parameters: [path('week', isoWeek), query('jobset', jobsetRef, 'default: the first configured jobset')],
          responses: { ...ok(ref('Roundup')), ...err(400, 404) },
        },
      },
      '/api/roundups/{week}.md': {
        get: {
          summary: 'The week\'s roundup as Markdown: every part, separated by `<!-- part break -->` lines, or only part N',
          parameters: [path('week', isoWeek), query('jobset', jobsetRef, 'default: the first configured jobset'), query('part', { type: 'integer', minimum: 1 }, '1-based')],
          responses: { ...markdown('Markdown'), ...err(400, 404) },
        },
      },
      '/api/check': {
        post: {
          summary: 'Pre-existing or new: packages, or a nixpkgs-review report.json, against the jobset\'s newest eval (up to 5 MB)',
          description: 'The body may also be the report.json itself (`curl --data-binary @report.json`), with `jobset` and `system` in the query.',
          parameters: [query('jobset', str, 'with a bare report.json body'), query('system', str, 'with a bare single-system report.json body')],
          requestBody: { required: true, ...json(ref('CheckBody')) },
          responses: { ...ok(ref('CheckResult')), ...err(400, 404, 413) },
        },
      },
      '/api/commits/{sha}': {
        get: {
          summary: 'The first eval of a jobset containing a commit, and what it broke there',
          parameters: [path('sha', { type: 'string', pattern: '^[0-9a-fA-F]{7,40}$' }), query('jobset', jobsetRef, 'default: the first configured jobset')],
          responses: { ...ok(ref('CommitLanding')), ...err(400, 404, 502) },
        },
      },
      '/api/prs/{number}': {
        get: {
          summary: 'Where a merged pull request landed (the jobset following its base branch), and what it broke',
          parameters: [path('number', { type: 'integer', minimum: 1 }), query('jobset', jobsetRef, 'a tracked jobset following the base branch')],
          responses: { ...ok(ref('PullRequestLanding')), ...err(400, 404, 409, 422, 502) },
        },
        post: {
          summary: 'The same, narrowed to the jobs the pull request rebuilt (changed-paths.json, up to 5 MB)',
          parameters: [path('number', { type: 'integer', minimum: 1 }), query('jobset', jobsetRef, 'a tracked jobset following the base branch')],
          requestBody: {
            required: false,
            ...json(obj({ changedPaths: { type: ['object', 'string'], description: 'changed-paths.json, as an object or as the file\'s text' }, jobset: jobsetRef }, ['changedPaths', 'jobset'])),
          },
          responses: { ...ok(ref('PullRequestLanding')), ...err(400, 404, 409, 413, 422, 502) },
        },
      },
      '/api/failing/{project}/{jobset}.json': {
        get: {
          summary: 'Failing jobs of the jobset\'s newest eval (cacheable: ETag, max-age 300)',
          parameters: [path('project'), path('jobset'), { name: 'if-none-match', in: 'header', required: false, schema: str }],
          responses: {
            200: {
              description: 'OK',
              headers: { etag: { schema: str }, 'cache-control': { schema: str } },
              ...json(ref('FailingJobs')),
            },
            304: { description: 'not modified since the ETag given', headers: { etag: { schema: str } } },
            ...err(400, 404),
          },
        },
      },
      '/api/me': { get: { summary: 'The signed-in user and the CSRF token for writes', responses: ok(ref('Me')) } },
      '/api/openapi.json': { get: { summary: 'This document', responses: ok({ type: 'object' }) } },
      '/healthz': { get: { summary: 'Liveness and last-sync age per jobset', responses: ok(ref('Health')) } },
      '/metrics': { get: { summary: 'Prometheus text exposition', responses: { 200: { description: 'OK', content: { 'text/plain': { schema: str } } } } } },
      '/api/maintainers/{login}': {
        get: { summary: 'A maintainer: their packages and open breakages', parameters: [path('login')], responses: { ...ok(ref('MaintainerSummary')), ...err(404) } },
      },
      '/feeds/maintainers/{file}': {
        get: {
          summary: 'New breakages of one maintainer\'s packages as an Atom feed (file: <login>.atom)', parameters: [path('file')],
          responses: { 200: { description: 'OK', content: { 'application/atom+xml': { schema: str } } }, ...err(404) },
        },
      },
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
