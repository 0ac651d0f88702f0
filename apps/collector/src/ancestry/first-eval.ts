// Where did a commit land: the first eval of a jobset whose revision contains it.

import type { Db } from '@zhf/db';
import { checkJobset, jobsetEvalRevisions, type CheckJobset, type EvalRevision } from '@zhf/db/queries';
import { Invalid, NotFound, UnknownCommit } from '../errors.ts';
import { splitJobsetRef } from '../pure/jobset-ref.ts';
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
): Promise<FirstEval | null> {
  const js = typeof jobset === 'string' ? await jobsetOrThrow(db, jobset) : jobset;
  const evals = await jobsetEvalRevisions(db, js.id);
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
