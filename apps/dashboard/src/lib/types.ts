// The HTTP API's shapes as the pages render them (SPEC section 5). Fields may be added by the
// API; pages only read what is listed here.

export const CATEGORIES = [
  'new_failure', 'still_failing', 'fixed', 'still_succeeding', 'new_job_failing', 'new_job',
  'failing', 'succeeding', 'pending', 'infra', 'removed',
] as const;
export type Category = (typeof CATEGORIES)[number];
export type Outcome = 'success' | 'failure' | 'pending' | 'infra';
export type Kind = 'direct' | 'dependency';
export type Counts = Partial<Record<Category, number>>;

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

export interface Range {
  from: string;
  to: string;
  url: string;
}

export interface EvalView {
  id: number;
  jobset: string;
  revision: string | null;
  timestamp: string;
  previousEvalId: number | null;
  complete: boolean;
  pending?: number;
  counts: Counts;
  countsBySystem: Record<string, Counts>;
  /** One eval's answer only. */
  roots?: EvalRoots;
}

export interface GateItem {
  job: string;
  buildId: number;
  buildUrl: string;
  outcome: Outcome;
  status: number | null;
  constituents: number;
  blocking: { job: string; buildId: number; outcome: 'failure' | 'pending' | 'infra'; kind: 'direct' | 'dependency' | null }[];
}

export interface JobsetItem {
  jobset: string;
  latestEval: EvalView | null;
  /** Every open breakage: `week.open + backlog`, counted in one statement. */
  openBreakages: number;
  /** The current ISO week's breakages (any state) and how many of them are open. */
  week: { week: string; breakages: number; open: number };
  /** Open breakages from earlier weeks, and preexisting ones. */
  backlog: number;
  lastSyncOkAt: string | null;
  lastSyncError: string | null;
  gates: GateItem[];
}

export interface JobRow {
  job: string;
  system: string;
  category: Category;
  buildId: number;
  status: number | null;
  outcome: Outcome;
  kind: Kind | null;
  baseline: { evalId: number; buildId: number; outcome: Outcome; revision: string | null } | null;
  range: Range | null;
  /** From the channel's packages.json (SPEC section 9); empty when unknown. */
  maintainers?: Maintainer[];
  teams?: string[];
}

export interface Claim {
  by: string;
  at: string;
  updatedAt?: string;
  expiresAt?: string;
  prUrl: string | null;
  note: string | null;
}

export interface Breakage {
  id: number;
  jobset: string;
  job: string;
  system: string;
  state: 'open' | 'fixed' | 'gone';
  kind: Kind | null;
  status?: number | null;
  flaky: boolean;
  preexisting?: boolean;
  week?: string;
  openedEvalId: number;
  openedAt: string;
  closedEvalId: number | null;
  closedAt?: string | null;
  buildId?: number;
  buildUrl?: string;
  logUrl?: string;
  range: Range | null;
  claim: Claim | null;
  fixedBy?: string | null;
  maintainers?: Maintainer[];
  teams?: string[];
  /** The direct failure behind a dependency failure; null: not resolved yet, or Hydra does not say. */
  rootCause?: RootCause | null;
  /** Distinct open dependency failures, over all tracked jobsets, whose root is this breakage's build. */
  blocks?: number;
}

export interface RootCause {
  buildId: number;
  job: string;
  jobset: string;
  system: string;
  breakageId: number | null;
  /** Who holds the claim on the root's breakage: this dependent is covered by it. */
  claimedBy: string | null;
}

export interface BlockedJob {
  job: string;
  jobset: string;
  system: string;
  breakageId: number;
}

/** One root of `/api/roots`: a direct failure, what it blocks (the first 50 listed), and where. */
export interface RootItem {
  breakage: Breakage;
  blocks: number;
  blocked: BlockedJob[];
  jobsets: string[];
}

/** How an eval's dependency failures trace back to roots. */
export interface EvalRoots {
  dependency: number;
  traced: number;
  roots: number;
}

/** A package maintainer from the channel's packages.json; `github` is null without a GitHub account. */
export interface Maintainer {
  github: string | null;
  githubId: number | null;
  name: string | null;
}

export interface MaintainerSummary {
  login: string;
  githubId: number | null;
  otherLogins: string[];
  packages: number;
  teams: string[];
  openBreakages: number;
  openThisWeek: number;
  week: string;
}

export interface JobHistoryEntry {
  evalId: number;
  revision: string | null;
  timestamp: string;
  buildId: number;
  status: number | null;
  outcome: Outcome;
  kind: Kind | null;
}

export interface JobHistory extends Page<JobHistoryEntry> {
  jobset: string;
  job: string;
  system: string;
  hydraUrl: string;
  lastSuccess: JobHistoryEntry | null;
  firstFailureAfter: JobHistoryEntry | null;
  range: Range | null;
}

export interface Trends {
  jobset: string;
  from: string;
  to: string;
  /** The oldest ingested eval's timestamp: weeks that ended before it have no data. */
  since?: string | null;
  evals: { evalId: number; timestamp: string; failing: number; failingBySystem: Record<string, number>; failingByKind: { direct: number; dependency: number }; roots: number; blockedByRoots: number }[];
  weeks: { week: string; opened: number; fixed: number; fixedInWeek?: number; open: number; medianHoursToFix: number | null }[];
}

export interface Roundup {
  jobset: string;
  week: string;
  markdown: string;
  parts: string[];
  summary: {
    totals: Record<string, number>;
    bySystem: ({ system: string } & Record<string, number | string>)[];
    backlogOpen: number;
    parts: number;
  };
  burndown: { date: string; open: number }[];
  /** Absent in roundups frozen before roots were listed. */
  roots?: { key: string; job: string; jobset: string; blocks: number; folded: number }[];
  generatedAt?: string;
  frozen: boolean;
  frozenAt?: string | null;
}

export interface PreflightItem {
  job: string;
  system: string;
  package: string;
  baseBuildId: number | null;
  candidateBuildId: number | null;
  baseOutcome: Outcome | null;
  candidateOutcome: Outcome | null;
  kind: Kind | null;
}

export const IMPACT_LISTS = ['atRisk', 'mayFix', 'pending', 'infra', 'new', 'newlyBroken', 'newlyFixed', 'stillFailing'] as const;
export type ImpactList = (typeof IMPACT_LISTS)[number];

export interface EvalRef {
  id: number;
  jobset: string;
  revision: string | null;
  timestamp: string;
}

export interface PreflightReport {
  mode: 'evals' | 'changed-paths';
  base: EvalRef;
  candidate: EvalRef | null;
  rebuildsBySystem: Record<string, number>;
  byKernel: Record<string, { systems: string[]; packages: number; labels: string[] }>;
  labels: string[];
  candidateResults: boolean;
  impact: Record<ImpactList, PreflightItem[]>;
  /** unknownOutputs: candidate jobs neither rebuilt nor unchanged yet (a side's build known only from its short record). */
  totals: { baseJobs: number; candidateJobs: number | null; rebuilt: number; unknownOutputs: number } & Record<ImpactList, number>;
  notes: string[];
  truncated?: string[];
}
