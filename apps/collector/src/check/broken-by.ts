// "What it broke": the new failures of the eval where a commit landed whose commit range
// contains it, optionally narrowed to the jobs a pull request rebuilt (changed-paths.json).

import type { Db } from '@zhf/db';
import { breakagesCovering, commitRange, evalContext, evalJobRows, type CoveringBreakage, type JobRow } from '@zhf/db/queries';
import type { AncestryOracle } from '../ancestry/oracle.ts';
import { NotFound } from '../errors.ts';
import type { ChangedPaths } from '../pure/changed-paths.ts';
import { packageOf } from '../pure/preflight.ts';
import { parseChangedPathsInput } from '../preflight/run.ts';

export { parseChangedPathsInput };

export interface BrokenByFailure {
  job: string;
  system: string;
  category: 'new_failure' | 'new_job_failing';
  kind: 'direct' | 'dependency' | null;
  status: number | null;
  buildId: number;
  baseline: JobRow['baseline'];
  range: { from: string; to: string; url: string } | null;
  breakage: { id: number; state: CoveringBreakage['state']; claim: CoveringBreakage['claim'] } | null;
}

export interface BrokenByResult {
  jobset: string;
  eval: { id: number; revision: string | null; timestamp: string };
  sha: string;
  /** New failures in the eval not explained by the commit (their last good revision already had it). */
  excluded: number;
  /** Set when a changed-paths.json narrowed the list: where its rebuild set came from and how many failures it kept. */
  narrowed: { source: 'rebuildsByPlatform' | 'rebuildsByKernel' | 'attrdiff'; before: number; after: number } | null;
  total: number;
  failures: BrokenByFailure[];
}

/** A rebuild predicate from a changed-paths.json, from its most precise key present. */
export function rebuildPredicate(c: ChangedPaths): { source: NonNullable<BrokenByResult['narrowed']>['source']; rebuilt: (pkg: string, system: string) => boolean } {
  if (c.rebuildsByPlatform) {
    const set = new Set(Object.entries(c.rebuildsByPlatform).flatMap(([system, attrs]) => attrs.map((a) => `${a}.${system}`)));
    return { source: 'rebuildsByPlatform', rebuilt: (pkg, system) => set.has(`${pkg}.${system}`) };
  }
  if (c.rebuildsByKernel) {
    const byKernel = new Map(Object.entries(c.rebuildsByKernel).map(([k, attrs]) => [k, new Set(attrs)]));
    return { source: 'rebuildsByKernel', rebuilt: (pkg, system) => byKernel.get(system.split('-').pop() ?? '')?.has(pkg) ?? false };
  }
  const set = new Set([...(c.attrdiff?.changed ?? []), ...(c.attrdiff?.added ?? [])]);
  return { source: 'attrdiff', rebuilt: (pkg) => set.has(pkg) };
}



/**
 * The eval's `new_failure` rows whose baseline revision does not contain `sha` (asked once per
 * distinct baseline revision), plus its `new_job_failing` rows (no baseline: the range is the
 * previous eval to this one). With `changedPaths`, only jobs the pull request rebuilt.
 */
export async function brokenBy(
  db: Db,
  a: {
    evalId: number; sha: string; oracle: AncestryOracle; changedPaths?: unknown; now?: Date;
    /** When known (firstEvalContaining's answer): baselines of earlier evals cannot contain the commit, so the oracle is not asked about them. */
    firstContainingEvalId?: number;
  },
): Promise<BrokenByResult> {
  const changed = a.changedPaths === undefined || a.changedPaths === null ? null : parseChangedPathsInput(a.changedPaths);
  const ctx = await evalContext(db, a.evalId);
  if (!ctx) throw new NotFound(`eval ${a.evalId} is not ingested`);
  const page = await evalJobRows(db, ctx, { categories: ['new_failure', 'new_job_failing'] }, null, 10_000_000);

  const asked = (r: JobRow) => r.category === 'new_failure' && !!r.baseline?.revision
    && (a.firstContainingEvalId === undefined || r.baseline.evalId >= a.firstContainingEvalId);
  const revisions = [...new Set(page.items.filter(asked).map((r) => r.baseline!.revision!))];
  const baselineHas = new Map<string, boolean>();
  for (const rev of revisions) baselineHas.set(rev, (await a.oracle.isAncestor(a.sha, rev)) === true);
  let rows = page.items.filter((r) => !(asked(r) && baselineHas.get(r.baseline!.revision!)));
  const excluded = page.items.length - rows.length;

  let narrowed: BrokenByResult['narrowed'] = null;
  if (changed) {
    const p = rebuildPredicate(changed);
    const before = rows.length;
    rows = rows.filter((r) => p.rebuilt(packageOf(r.job, r.system), r.system));
    narrowed = { source: p.source, before, after: rows.length };
  }

  const breakages = await breakagesCovering(db, { jobsetId: ctx.jobsetId, evalId: ctx.id, jobs: rows.map((r) => r.job), now: a.now ?? new Date() });
  const failures = rows.map((r): BrokenByFailure => {
    const bk = breakages.get(r.job);
    const range = r.range ?? (ctx.prevRevision && ctx.revision ? commitRange(ctx.repoUrl, ctx.prevRevision, ctx.revision) : null);
    return {
      job: r.job, system: r.system, category: r.category as BrokenByFailure['category'], kind: r.kind, status: r.status, buildId: r.buildId!,
      baseline: r.baseline, range, breakage: bk ? { id: bk.id, state: bk.state, claim: bk.claim } : null,
    };
  });
  return {
    jobset: `${ctx.project}/${ctx.jobset}`,
    eval: { id: ctx.id, revision: ctx.revision, timestamp: ctx.timestamp.toISOString() },
    sha: a.sha, excluded, narrowed, total: failures.length, failures,
  };
}
