// "Pre-existing or new, for a list of packages": each package's state in the jobset's newest
// eval, from zhf's database only (no Hydra traffic). One query for the rows of every package,
// one for the breakages covering the failing ones.

import type { Db } from '@zhf/db';
import { breakagesCovering, evalContext, evalJobRows, type CoveringBreakage, type JobRow } from '@zhf/db/queries';
import { jobsetOrThrow } from '../ancestry/first-eval.ts';
import { Invalid, NotFound } from '../errors.ts';
import { parseReviewReport, type ReviewStatus } from '../pure/review-report.ts';
import { hydraStateOf, isChecked, verdictOf, type CheckedStatus, type CheckVerdict, type HydraState } from './classify.ts';

export type { CheckVerdict, HydraState };

export interface CheckPackage {
  attr: string;
  system: string;
  reviewStatus?: CheckedStatus;
  /** Other names of the package (nixpkgs-review's development version): tried when `attr` is no job. */
  aliases?: string[];
}

export interface CheckItem {
  attr: string;
  system: string;
  /** The Hydra job the package was matched to (`<attr>.<system>`, or an alias's). */
  job: string;
  reviewStatus?: CheckedStatus;
  hydra: HydraState;
  verdict: CheckVerdict;
  buildId: number | null;
  /** The eval whose failure opened the current breakage, for failing packages. */
  since?: { evalId: number; at: string };
  breakage?: { id: number; state: CoveringBreakage['state']; openedEvalId: number; claim: CoveringBreakage['claim'] };
  /** The last success/failure before the newest eval, for pending and infra packages. */
  lastVerdict?: { evalId: number; outcome: 'success' | 'failure' } | null;
  /** Why the answer is unknown when the cause is not simply a missing job (a package set Hydra does not build). */
  note?: string;
}

export interface CheckSummary {
  total: number;
  verdicts: Record<CheckVerdict, number>;
  hydra: Record<HydraState, number>;
  /** Built by the reviewer but failing on Hydra: fixed by this change? */
  builtButFailingOnHydra: number;
  /** Report entries not checked (blacklisted, non-existent, tests). */
  skipped: number;
}

export interface CheckResult {
  jobset: string;
  /** The newest eval of the jobset, whose rows answered. */
  evalId: number;
  revision: string | null;
  timestamp: string;
  /** The PR the report is about, when it said. */
  pr?: number | null;
  /** The package set the packages were built in (`pkgsCross.*`, `pkgsMusl`, ...); null: the native one. */
  pkgs: string | null;
  /** Plain words for the reader when the package set changes how the answer reads. */
  note?: string;
  items: CheckItem[];
  summary: CheckSummary;
}

/** Most packages in one request: a review of a mass rebuild lists thousands. */
export const MAX_CHECK_PACKAGES = 50_000;
const SYSTEM = /^[A-Za-z0-9_]+-[A-Za-z0-9_]+$/;

/**
 * The first package that cannot be a job, as its position in the list (from 0) and what is wrong
 * with it; null when every package is well formed. Callers say where it is as their reader counts:
 * the API as "package 3", the check page as the line of the text box.
 */
export function packageProblem(packages: readonly CheckPackage[]): { index: number; message: string } | null {
  for (const [index, p] of packages.entries()) {
    for (const name of [p.attr, ...(p.aliases ?? [])]) {
      if (typeof name !== 'string' || name === '' || name.length > 500 || /[\s\u0000-\u001f]/.test(name)) {
        return { index, message: `attr must be a nixpkgs attribute path such as python3Packages.requests, got ${JSON.stringify(name)}` };
      }
    }
    if (typeof p.system !== 'string' || p.system.length > 100 || !SYSTEM.test(p.system)) {
      return { index, message: `system must be a system such as x86_64-linux, got ${JSON.stringify(p.system)}` };
    }
  }
  return null;
}

function validatePackages(packages: CheckPackage[]): void {
  if (packages.length > MAX_CHECK_PACKAGES) throw new Invalid(`at most ${MAX_CHECK_PACKAGES} packages per check, got ${packages.length}`);
  const problem = packageProblem(packages);
  // Counted from 1, as people count: "packages[2]" read as the third line is one off.
  if (problem) throw new Invalid(`package ${problem.index + 1} of ${packages.length}: ${problem.message}`);
}

/** Each package against the newest eval of `jobset` (a tracked `project/jobset`). */
export async function checkPackages(
  db: Db, a: { jobset: string; packages: CheckPackage[]; now?: Date; skipped?: number; pkgs?: string | null },
): Promise<CheckResult> {
  validatePackages(a.packages);
  const pkgs = a.pkgs ?? null;
  const js = await jobsetOrThrow(db, a.jobset);
  if (js.newestEvalId === null) throw new NotFound(`jobset ${a.jobset} has no ingested eval yet: run zhf sync first`);
  const ctx = await evalContext(db, js.newestEvalId);
  if (!ctx) throw new NotFound(`eval ${js.newestEvalId} vanished while checking`);

  // A package built in another package set is only comparable with Hydra's job of that set
  // (`pkgsCross.<platform>.<attr>.<system>`), never with the native job of the same name.
  const prefix = pkgs === null ? '' : `${pkgs}.`;
  const candidates = (p: CheckPackage) => [p.attr, ...(p.aliases ?? [])].map((n) => `${prefix}${n}.${p.system}`);
  const names = [...new Set(a.packages.flatMap(candidates))];
  const rows = new Map<string, JobRow>();
  if (names.length) {
    const page = await evalJobRows(db, ctx, { jobs: names }, null, names.length + 1);
    // A job listed both as a member and as removed cannot happen; members win regardless.
    for (const r of page.items) if (r.category !== 'removed' || !rows.has(r.job)) rows.set(r.job, r);
  }
  const failing = [...rows.values()].filter((r) => r.outcome === 'failure' || r.outcome === 'infra').map((r) => r.job);
  const breakages = await breakagesCovering(db, { jobsetId: js.id, evalId: ctx.id, jobs: failing, now: a.now ?? new Date() });

  const items = a.packages.map((p): CheckItem => {
    const job = candidates(p).find((n) => rows.get(n) && rows.get(n)!.category !== 'removed') ?? `${prefix}${p.attr}.${p.system}`;
    const row = rows.get(job);
    const hydra = hydraStateOf(row);
    const baseline = row?.baseline && (row.baseline.outcome === 'success' || row.baseline.outcome === 'failure')
      ? { evalId: row.baseline.evalId, outcome: row.baseline.outcome } : null;
    const item: CheckItem = {
      attr: p.attr, system: p.system, job,
      ...(p.reviewStatus ? { reviewStatus: p.reviewStatus } : {}),
      hydra,
      verdict: verdictOf(hydra, p.reviewStatus, baseline?.outcome ?? null),
      buildId: hydra === 'unknown' ? null : row!.buildId,
    };
    const bk = hydra === 'failing' || hydra === 'infra' ? breakages.get(job) : undefined;
    if (bk) {
      item.since = { evalId: bk.openedEvalId, at: bk.openedAt };
      item.breakage = { id: bk.id, state: bk.state, openedEvalId: bk.openedEvalId, claim: bk.claim };
    }
    if (hydra === 'pending' || hydra === 'infra') item.lastVerdict = baseline;
    if (pkgs !== null && hydra === 'unknown') item.note = `Hydra does not build ${pkgs}.${p.attr} on ${p.system} in ${js.project}/${js.name}`;
    return item;
  });
  const jobset = `${js.project}/${js.name}`;
  const unbuilt = items.filter((i) => i.note !== undefined).length;
  const note = pkgs === null ? undefined : unbuilt === 0
    ? `Built with --pkgs ${pkgs}: compared with Hydra's ${pkgs} jobs in ${jobset}.`
    : `Built with --pkgs ${pkgs}: Hydra does not build ${unbuilt === items.length ? 'these packages' : `${unbuilt} of these packages`} in the ${pkgs} package set of ${jobset}, so ${unbuilt === 1 ? 'its answer is' : 'their answers are'} unknown (the native jobs of the same name say nothing about ${pkgs}).`;
  return {
    jobset, evalId: ctx.id, revision: ctx.revision, timestamp: ctx.timestamp.toISOString(), pkgs,
    ...(note ? { note } : {}),
    items, summary: summarize(items, a.skipped ?? 0),
  };
}

function summarize(items: CheckItem[], skipped: number): CheckSummary {
  const verdicts: Record<CheckVerdict, number> = { 'already-broken': 0, 'likely-new': 0, pending: 0, unknown: 0, built: 0 };
  const hydra: Record<HydraState, number> = { failing: 0, green: 0, pending: 0, infra: 0, unknown: 0 };
  let builtButFailing = 0;
  for (const i of items) {
    verdicts[i.verdict]++;
    hydra[i.hydra]++;
    if (i.verdict === 'built' && i.hydra === 'failing') builtButFailing++;
  }
  return { total: items.length, verdicts, hydra, builtButFailingOnHydra: builtButFailing, skipped };
}

/**
 * A nixpkgs-review report.json (any documented form) against the newest eval of `jobset`: its
 * `failed`, `built` and `broken` entries are checked; a malformed file is Invalid naming its bad key.
 */
export async function checkReport(
  db: Db, a: { jobset: string; report: unknown; defaultSystem?: string; now?: Date },
): Promise<CheckResult> {
  let json = a.report;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      throw new Invalid(`report.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (a.defaultSystem !== undefined && !SYSTEM.test(a.defaultSystem)) {
    throw new Invalid(`system must be a system such as x86_64-linux, got ${JSON.stringify(a.defaultSystem)}`);
  }
  const parsed = parseReviewReport(json, { defaultSystem: a.defaultSystem });
  if (!parsed.ok) throw new Invalid(`report.json: ${parsed.error}`);
  const checked = parsed.value.packages.flatMap((p) => (isChecked(p.status) ? [{ attr: p.attr, system: p.system, reviewStatus: p.status, aliases: p.aliases }] : []));
  const result = await checkPackages(db, {
    jobset: a.jobset,
    packages: checked,
    now: a.now,
    skipped: parsed.value.packages.length - checked.length,
    pkgs: parsed.value.pkgs,
  });
  return { ...result, pr: parsed.value.pr };
}
