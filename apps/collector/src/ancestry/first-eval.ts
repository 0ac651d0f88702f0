// Where did a commit land: the first eval of a jobset whose revision contains it.

import type { Db } from '@zhf/db';
import { checkJobset, jobsetEvalRevisions, type CheckJobset, type EvalRevision } from '@zhf/db/queries';
import { Invalid, NotFound, UnknownCommit } from '../errors.ts';
import { splitJobsetRef } from '../pure/jobset-ref.ts';
import { evalOrderOracle, type EvalOrderOracle } from './eval-order.ts';
import type { AncestryOracle } from './oracle.ts';

export interface FirstEval extends EvalRevision {
  /** Oracle questions the search asked (at most 1 + ceil(log2 evals)). */
  oracleCalls: number;
}

/** A tracked jobset by `project/jobset`, or NotFound. */
export async function jobsetOrThrow(db: Db, ref: string): Promise<CheckJobset> {
  const m = splitJobsetRef(ref);
  if (!m) throw new Invalid(`jobset must be project/jobset, got ${JSON.stringify(ref)}`);
  const js = await checkJobset(db, m[0], m[1]);
  if (!js) throw new NotFound(`jobset ${ref} is not tracked`);
  return js;
}

/**
 * Binary search over the jobset's ingested evals by id, whose revisions follow one branch in
 * order, so "contains the commit" is false then true along them. The newest is asked first: an
 * unknown commit is UnknownCommit, and null means no eval contains it yet. A null answer inside
 * the search (a revision the oracle lacks) counts as "not contained".
 */
export async function firstEvalContaining(
  db: Db, oracle: AncestryOracle, jobset: string | CheckJobset, sha: string,
  /** The jobset's eval revisions, when the caller has read them already. */
  known?: EvalRevision[],
): Promise<FirstEval | null> {
  const js = typeof jobset === 'string' ? await jobsetOrThrow(db, jobset) : jobset;
  const evals = known ?? (await jobsetEvalRevisions(db, js.id));
  if (!evals.length) return null;
  let calls = 0;
  const contains = async (i: number) => {
    calls++;
    return oracle.isAncestor(sha, evals[i]!.revision);
  };
  const newest = await contains(evals.length - 1);
  if (newest === null) throw new UnknownCommit(sha, oracle.name === 'git' ? 'the local nixpkgs clone' : 'GitHub');
  if (!newest) return null;
  let lo = 0;
  let hi = evals.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await contains(mid)) hi = mid;
    else lo = mid + 1;
  }
  return { ...evals[hi]!, oracleCalls: calls };
}

/**
 * Where `sha` landed in the jobset, asking `oracle` only what the jobset's own eval revisions
 * cannot answer: a commit that is an eval's revision needs no GitHub (offline, or in a demo).
 * The returned oracle keeps doing so for the follow-up questions (what the commit broke).
 */
export async function landingOf(db: Db, oracle: AncestryOracle, js: CheckJobset, sha: string): Promise<{ first: FirstEval | null; oracle: EvalOrderOracle }> {
  const evals = await jobsetEvalRevisions(db, js.id);
  const local = evalOrderOracle(evals, oracle);
  return { first: await firstEvalContaining(db, local, js, sha, evals), oracle: local };
}
