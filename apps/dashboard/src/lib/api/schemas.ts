// The shapes of the HTTP API's answers, written once: the routes declare them per status
// (apps/dashboard/src/lib/server/api), /api/openapi.json is generated from them, the pages take
// their types from them (lib/types.ts), and test/api/openapi.test.ts parses real answers with
// them. Objects are strict: a key an answer carries must be declared here.
//
// Plain zod with `.meta()` (an `id` names the component under #/components/schemas): no server
// code, so the pages may import the types.

import { z } from 'zod';
import { CATEGORIES } from '@zhf/db/verdict/table';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';
import { CHECK_VERDICTS, CHECKED_STATUSES, HYDRA_STATES } from '@zhf/collector/check/classify';
import { PREFLIGHT_LISTS } from '@zhf/collector/pure/preflight';

const int = z.number().int();
const str = z.string();
const bool = z.boolean();
const time = z.iso.datetime({ offset: true });
const nstr = str.nullable();
const nint = int.nullable();
const ntime = time.nullable();
const strs = z.array(str);
const intMap = z.record(str, int);
const described = <S extends z.ZodType>(s: S, description: string) => s.meta({ description });
/** A component that may be null: `anyOf: [$ref, null]`. */
const orNull = <S extends z.ZodType>(s: S) => z.union([s, z.null()]);

export const OUTCOMES = ['success', 'failure', 'pending', 'infra'] as const;
const outcome = z.enum(OUTCOMES);
const kind = z.enum(['direct', 'dependency']).nullable();
const state = z.enum(['open', 'fixed', 'gone']);
const category = z.enum(CATEGORIES);
const obj = z.strictObject;
/** An object with the same integer under each of `keys`. */
const intsOf = <K extends string>(keys: readonly K[]) => obj(Object.fromEntries(keys.map((k) => [k, int])) as Record<K, typeof int>);

/** `project/jobset`, as the routes check it. */
export const jobsetRef = z.string().regex(JOBSET_REF, 'must be project/jobset');

/** Every error: `{error: {code, message}}`, a claim conflict also names the holder. */
export const ErrorSchema = obj({ error: obj({ code: str, message: str }), holder: str.optional() }).meta({ id: 'Error' });

export const RangeSchema = obj({ from: str, to: str, url: str }).meta({ id: 'Range' });

/** Job counts by category (only the categories that occur). */
const counts = z.partialRecord(category, int);

export const EvalRootsSchema = described(obj({ dependency: int, traced: int, roots: int }),
  'one eval\'s answer only: its dependency failures, those whose root is known, and the distinct roots they trace back to');

export const EvalSchema = obj({
  id: int, jobset: str, revision: nstr, timestamp: time, previousEvalId: nint, complete: bool, pending: int,
  counts, countsBySystem: z.record(str, counts),
  // One eval's answer only: members stored with their full record ("N of M builds known").
  builds: obj({ known: int, total: int, unresolved: int }).optional(),
  roots: EvalRootsSchema.optional(),
}).meta({ id: 'Eval' });

export const BaselineSchema = obj({ evalId: int, buildId: int, outcome, revision: nstr }).meta({ id: 'Baseline' });

export const MaintainerSchema = obj({
  github: described(nstr, 'GitHub login as packages.json spells it; null without a GitHub account'),
  githubId: described(nint, 'stable GitHub user id'), name: nstr,
}).meta({ id: 'Maintainer' });

export const JobRowSchema = obj({
  job: str, system: str, category, buildId: nint, status: nint, outcome, kind,
  baseline: orNull(BaselineSchema), range: orNull(RangeSchema), awaiting: bool.optional(),
  maintainers: described(z.array(MaintainerSchema), 'from the channel\'s packages.json by attribute path; empty when unknown'),
  teams: strs,
}).meta({ id: 'JobRow' });

export const ClaimSchema = obj({ by: str, at: time, updatedAt: time, expiresAt: time, prUrl: nstr, note: nstr }).meta({ id: 'Claim' });

export const RootCauseSchema = obj({
  buildId: int, job: str, jobset: str, system: str,
  breakageId: described(nint, 'the root\'s breakage when its job is tracked'),
  claimedBy: described(nstr, 'holder of the active claim on the root\'s breakage: this dependent is covered by it'),
}).meta({ id: 'RootCause' });

export const BreakageSchema = obj({
  id: int, jobset: str, job: str, system: str, state, kind, status: nint, flaky: bool, preexisting: bool, week: str,
  openedEvalId: int, openedAt: time, closedEvalId: nint, closedAt: ntime, buildId: int, buildUrl: str,
  logUrl: described(str, 'Hydra\'s log of the failing build (<hydra>/build/<id>/log)'),
  range: orNull(RangeSchema), claim: orNull(ClaimSchema), fixedBy: nstr,
  maintainers: z.array(MaintainerSchema), teams: described(strs, 'team names from packages.json; empty when unknown'),
  rootCause: orNull(RootCauseSchema),
  blocks: described(int, 'distinct open dependency failures, over all tracked jobsets, whose root is this breakage\'s failing build'),
}).meta({ id: 'Breakage' });

export const BlockedJobSchema = obj({ job: str, jobset: str, system: str, breakageId: int }).meta({ id: 'BlockedJob' });

export const RootSchema = obj({
  breakage: BreakageSchema, blocks: int,
  blocked: described(z.array(BlockedJobSchema), 'the first 50 blocked jobs'),
  jobsets: described(strs, 'tracked jobsets where this derivation fails or blocks a job'),
}).meta({ id: 'Root' });

export const MaintainerSummarySchema = obj({
  login: str, githubId: nint, otherLogins: described(strs, 'logins packages.json gives the same GitHub id (renamed accounts)'),
  packages: int, teams: strs, openBreakages: int, openThisWeek: int, week: str,
}).meta({ id: 'MaintainerSummary' });

export const GateSchema = obj({
  job: str, buildId: int, buildUrl: str, outcome, status: nint,
  constituents: described(int, 'constituents read from Hydra (0 until read)'),
  blocking: z.array(obj({ job: str, buildId: int, outcome: z.enum(['failure', 'pending', 'infra']), kind })),
}).meta({ id: 'Gate' });

export const JobsetSummarySchema = obj({
  jobset: str, latestEval: orNull(EvalSchema), openBreakages: int,
  week: obj({ week: str, breakages: int, open: int }), backlog: int, lastSyncOkAt: ntime, lastSyncError: nstr, gates: z.array(GateSchema),
}).meta({ id: 'JobsetSummary' });

/** A page of `item`s: `items`, `total`, and the cursor of the next page (null: the last). */
export const pageOf = <S extends z.ZodType, E extends z.ZodRawShape = {}>(item: S, extra?: E) =>
  obj({ ...(extra ?? ({} as E)), items: z.array(item), total: int, nextCursor: nstr });

export const JobHistoryEntrySchema = obj({ evalId: int, revision: nstr, timestamp: time, buildId: nint, status: nint, outcome, kind }).meta({ id: 'JobHistoryEntry' });

export const JobHistorySchema = pageOf(JobHistoryEntrySchema, {
  jobset: str, job: str, system: str, hydraUrl: str,
  lastSuccess: orNull(JobHistoryEntrySchema), firstFailureAfter: orNull(JobHistoryEntrySchema), range: orNull(RangeSchema),
  maintainers: z.array(MaintainerSchema), teams: strs,
}).meta({ id: 'JobHistory' });

export const TrendEvalSchema = obj({
  evalId: int, timestamp: time, failing: int, failingBySystem: intMap,
  failingByKind: obj({ direct: int, dependency: int }),
  roots: described(int, 'distinct roots (SPEC section 8) behind the dependency failures open in this eval whose cause zhf has read from Hydra: '
    + 'the things to fix behind its failing jobs. Causes are read only for the failures zhf shows (this week\'s, open, claimed), '
    + 'so evals before zhf read them count fewer; 0 everywhere while no cause is known'),
  blockedByRoots: described(int, 'the dependency failures open in this eval whose root is known: those `roots` stand for'),
}).meta({ id: 'TrendEval' });

export const TrendWeekSchema = obj({
  week: str, opened: int, fixed: described(int, 'same as fixedInWeek'),
  fixedInWeek: described(int, 'breakages closed as fixed during the week, whenever they opened (not the roundup\'s fixedOfWeek)'),
  open: int, medianHoursToFix: z.number().nullable(),
}).meta({ id: 'TrendWeek' });

export const TrendsSchema = obj({
  jobset: str, from: time, to: time,
  since: described(ntime, 'timestamp of the oldest ingested eval: weeks that ended before it have no data (null: none yet)'),
  evals: z.array(TrendEvalSchema), weeks: z.array(TrendWeekSchema),
}).meta({ id: 'Trends' });

export const HealthSchema = obj({
  status: z.enum(['ok', 'degraded']),
  jobsets: z.array(obj({ jobset: str, lastSyncOkAt: ntime, ageSeconds: nint, lastError: nstr })),
}).meta({ id: 'Health' });

const userSchema = obj({ login: str, name: nstr, avatarUrl: nstr, maintainer: bool });
export const MeSchema = obj({ user: orNull(userSchema), csrf: nstr }).meta({ id: 'Me' });
export const DevLoginSchema = obj({ user: userSchema, csrf: str });

// ---- the routes over the collector's services (preflight, roundups, check) ----

/** The active claim of a breakage, as the check and broken-by answers carry it. */
export const ClaimRefSchema = obj({ by: str, prUrl: nstr }).meta({ id: 'ClaimRef' });

export const PreflightEvalRefSchema = obj({ id: int, jobset: str, revision: nstr, timestamp: time }).meta({ id: 'PreflightEvalRef' });

const noutcome = outcome.nullable();
export const PreflightItemSchema = obj({
  job: str, system: str, package: str, baseBuildId: nint, candidateBuildId: nint, baseOutcome: noutcome, candidateOutcome: noutcome, kind,
}).meta({ id: 'PreflightItem' });

export const KernelReportSchema = obj({ systems: strs, packages: int, labels: strs }).meta({ id: 'KernelReport' });

const preflightList = z.enum(PREFLIGHT_LISTS);
export const PreflightReportSchema = obj({
  base: PreflightEvalRefSchema,
  candidate: described(orNull(PreflightEvalRefSchema), 'null for a changed-paths.json'),
  mode: z.enum(['evals', 'changed-paths']),
  rebuildsBySystem: intMap,
  byKernel: obj({ linux: KernelReportSchema, darwin: KernelReportSchema }),
  labels: strs,
  candidateResults: bool,
  impact: obj(Object.fromEntries(PREFLIGHT_LISTS.map((k) => [k, z.array(PreflightItemSchema)])) as Record<(typeof PREFLIGHT_LISTS)[number], z.ZodArray<typeof PreflightItemSchema>>),
  totals: obj({
    baseJobs: int, candidateJobs: nint, rebuilt: int,
    unknownOutputs: described(int, 'candidate jobs neither rebuilt nor unchanged yet: a build of theirs on either side is known only from its short record (no outputs stored)'),
    ...intsOf(PREFLIGHT_LISTS).shape,
  }),
  notes: strs,
  truncated: described(z.array(preflightList), 'impact lists with items past this slice (totals keep the full counts)'),
  offset: described(int, 'the first item of each list in this slice, from 0'),
  list: described(preflightList.nullable(), 'the one list that carries items, when asked for with `list`'),
}).meta({ id: 'PreflightReport' });

const ROUNDUP_COUNTS = {
  new: int, fixed: described(int, 'same as fixedOfWeek'),
  fixedOfWeek: described(int, 'of the week\'s breakages, those fixed by now (not trends\' fixedInWeek)'),
  gone: int, open: int, claimed: int,
};
export const RoundupCountsSchema = obj(ROUNDUP_COUNTS).meta({ id: 'RoundupCounts' });

export const RoundupItemSchema = obj({
  id: int, job: str, system: str, kind, state, flaky: bool, openedEvalId: int, openedAt: time, closedEvalId: nint, closedAt: ntime,
  buildId: nint, range: orNull(RangeSchema), claim: obj({ by: str, at: time, prUrl: nstr, note: nstr }).nullable(), fixedBy: nstr,
  maintainers: described(strs, 'GitHub logins of the package maintainers (absent in roundups frozen before maintainers were read)').optional(),
  rootKey: described(nstr, 'a dependency failure\'s root (`roots[].key`) once its cause is resolved; such a breakage is counted under its root in the Markdown, not listed (absent in roundups frozen before roots were listed)').optional(),
}).meta({ id: 'RoundupItem' });

export const RoundupRootSchema = obj({
  key: described(str, 'the root build\'s derivation, else `build:<id>`: one root across jobsets'),
  job: str, jobset: str, system: str,
  breakageId: described(nint, 'its breakage, preferably in the roundup\'s jobset; null when zhf tracks none'),
  state: state.nullable(), buildId: nint,
  blocks: described(int, 'distinct failing jobs over all tracked jobsets that it blocks (as `blocks` on breakages)'),
  folded: described(int, 'the week\'s dependency failures of this jobset listed under it instead of one by one'),
  range: orNull(RangeSchema), claim: obj({ by: str, prUrl: nstr }).nullable(), fixedBy: nstr, maintainers: strs,
}).meta({ id: 'RoundupRoot' });

export const RoundupSchema = obj({
  jobset: str, week: str,
  summary: obj({
    jobset: str, week: str, totals: RoundupCountsSchema, bySystem: z.array(obj({ system: str, ...ROUNDUP_COUNTS })), backlogOpen: int, parts: int,
  }),
  parts: described(strs, 'Markdown parts, each under GitHub\'s body limit'),
  markdown: described(str, 'the parts joined by `<!-- part break -->` lines'),
  burndown: z.array(obj({ date: z.iso.date(), open: int })),
  breakages: z.array(RoundupItemSchema),
  roots: described(z.array(RoundupRootSchema),
    'the roots behind the week\'s dependency failures (and the week\'s failures that block others), most blocking first, listed first in the Markdown (absent in roundups frozen before roots were listed)').optional(),
  generatedAt: time, frozen: bool, frozenAt: ntime,
}).meta({ id: 'Roundup' });

export const CheckItemSchema = obj({
  attr: str, system: str, job: str,
  reviewStatus: z.enum(CHECKED_STATUSES).optional(),
  hydra: z.enum(HYDRA_STATES), verdict: z.enum(CHECK_VERDICTS), buildId: nint,
  since: obj({ evalId: int, at: time }).optional(),
  breakage: obj({ id: int, state, openedEvalId: int, claim: orNull(ClaimRefSchema) }).optional(),
  lastVerdict: obj({ evalId: int, outcome: z.enum(['success', 'failure']) }).nullable().optional(),
  note: described(str, 'why the answer is unknown when Hydra does not build the package set').optional(),
}).meta({ id: 'CheckItem' });

export const CheckResultSchema = obj({
  jobset: str, evalId: int, revision: nstr, timestamp: time,
  pr: described(nint, 'the pull request a report names (report checks only)').optional(),
  pkgs: described(nstr, 'the package set the report was built in (`--pkgs`: pkgsCross.*, pkgsMusl, pkgsStatic); null: native'),
  note: described(str, 'plain words on how the package set was compared').optional(),
  items: z.array(CheckItemSchema),
  summary: obj({
    total: int,
    verdicts: intsOf(CHECK_VERDICTS),
    hydra: intsOf(HYDRA_STATES),
    builtButFailingOnHydra: int, skipped: int,
  }),
}).meta({ id: 'CheckResult' });

export const BrokenByFailureSchema = obj({
  job: str, system: str, category: z.enum(['new_failure', 'new_job_failing']), kind, status: nint, buildId: int,
  baseline: orNull(BaselineSchema), range: orNull(RangeSchema), breakage: obj({ id: int, state, claim: orNull(ClaimRefSchema) }).nullable(),
}).meta({ id: 'BrokenByFailure' });

export const BrokenBySchema = obj({
  jobset: str, eval: obj({ id: int, revision: nstr, timestamp: time }), sha: str, excluded: int,
  narrowed: obj({ source: z.enum(['rebuildsByPlatform', 'rebuildsByKernel', 'attrdiff']), before: int, after: int }).nullable(),
  total: int, failures: z.array(BrokenByFailureSchema),
}).meta({ id: 'BrokenBy' });

/** Where a commit landed in a jobset (the first eval containing it) and what it broke there. */
const landing = {
  sha: str, jobset: str,
  oracle: described(str, 'what answered the ancestry questions: evals (the jobset\'s own eval revisions, in order: the commit is one of them), git (ZHF_NIXPKGS_GIT), github'),
  newestEvalId: nint,
  landed: described(obj({ evalId: int, revision: str, timestamp: time, oracleCalls: int }).nullable(), 'null: no ingested eval contains the commit yet'),
  brokenBy: orNull(BrokenBySchema),
};
export const CommitLandingSchema = obj(landing).meta({ id: 'CommitLanding' });
export const PullRequestLandingSchema = obj({
  pr: obj({ number: int, title: nstr, url: nstr, merged: bool, mergeCommitSha: nstr, baseRef: str }), ...landing,
}).meta({ id: 'PullRequestLanding' });

export const FailingJobsSchema = obj({
  jobset: str, evalId: int, revision: nstr, timestamp: time, statsComputedAt: ntime, total: int,
  jobs: z.array(obj({
    job: str, system: str, kind: z.enum(['direct', 'dependency']), status: nint, buildId: int, since: obj({ evalId: int }).nullable(), breakageId: nint,
  })),
}).meta({ id: 'FailingJobs' });

export const LogTailSchema = obj({
  buildId: described(int, 'the build whose log this is: the breakage\'s failing build'),
  drvPath: described(str, 'its derivation; the tail is cached by it'),
  lines: described(strs, 'the last lines, oldest first, without terminal escapes; lines over 2000 characters are cut'),
  fetchedAt: described(time, 'when Hydra was asked'),
}).meta({ id: 'LogTail' });
