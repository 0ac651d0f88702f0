// Mass-rebuild preflight against the database (SPEC section 6): load two evals (or one eval and
// a changed-paths.json) and hand them to the pure computation in ../pure/preflight.ts.

import type { Db } from '@zhf/db';
import { newestEvalOfJobset, preflightEvalRef, preflightJobRows, preflightRebuildRows, type PreflightEvalRef } from '@zhf/db/queries';
import { parseChangedPaths, type ChangedPaths } from '../pure/changed-paths.ts';
import { computePreflightFromChangedPaths, computePreflightFromRebuilds, PREFLIGHT_LISTS, type PreflightJob, type PreflightList, type PreflightReport } from '../pure/preflight.ts';
import { Invalid, NotFound } from '../errors.ts';
import { splitJobsetRef } from '../pure/jobset-ref.ts';

export type { PreflightEvalRef };

/** The pure report plus which evals it compared; `candidate` is null for a changed-paths.json. */
export type PreflightResult = PreflightReport & { base: PreflightEvalRef; candidate: PreflightEvalRef | null };

/**
 * Every member job of the eval with outputs, derivation, current outcome and build id, in one
 * set-based query. The rows already have PreflightJob's shape, so they are returned as they are.
 */
export async function loadPreflightJobs(db: Db, evalId: number): Promise<PreflightJob[]> {
  return preflightJobRows(db, evalId);
}

/**
 * Preflight of `candidateEvalId` against `baseEvalId`; the two may belong to different tracked
 * jobsets. The database applies the rebuild rule and hands over only the rebuilt jobs (a staging
 * eval rebuilds tens of thousands of 250k); the pure module turns them into the report.
 */
export async function preflightEvals(db: Db, baseEvalId: number, candidateEvalId: number): Promise<PreflightResult> {
  checkEvalId(baseEvalId, 'base');
  checkEvalId(candidateEvalId, 'candidate');
  const base = await evalRefOrThrow(db, baseEvalId, 'base');
  const candidate = await evalRefOrThrow(db, candidateEvalId, 'candidate');
  const rebuilds = await preflightRebuildRows(db, base.id, candidate.id);
  if (!rebuilds) throw new NotFound(`eval ${base.id} or ${candidate.id} is not ingested`);
  return { base, candidate, ...computePreflightFromRebuilds(rebuilds) };
}

/**
 * Preflight of a pull request's changed-paths.json (an object, or the file's text) against an eval:
 * `target` is a base eval id, or a jobset `project/jobset` whose newest ingested eval is the base.
 * The file is checked before the database is read: a malformed one is `Invalid`, naming its bad key.
 */
export async function preflightChangedPaths(db: Db, target: string | number, json: unknown): Promise<PreflightResult> {
  const changed = parseChangedPathsInput(json);
  let base: PreflightEvalRef;
  if (typeof target === 'number') {
    checkEvalId(target, 'base');
    base = await evalRefOrThrow(db, target, 'base');
  } else {
    const m = splitJobsetRef(target);
    if (!m) throw new Invalid(`jobset must be project/jobset, got ${JSON.stringify(target)}`);
    const newest = await newestEvalOfJobset(db, m[0], m[1]);
    if (newest === undefined) throw new NotFound(`jobset ${target} is not tracked`);
    if (newest === null) throw new NotFound(`jobset ${target} has no ingested eval yet`);
    base = newest;
  }
  const baseJobs = await loadPreflightJobs(db, base.id);
  return { base, candidate: null, ...computePreflightFromChangedPaths({ base: baseJobs, changed }) };
}

/** A changed-paths.json given as an object or as the file's text; malformed is `Invalid`, naming the bad key. */
export function parseChangedPathsInput(json: unknown): ChangedPaths {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new Invalid(`changed-paths.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  const parsed = parseChangedPaths(value);
  if (!parsed.ok) throw new Invalid(`changed-paths.json: ${parsed.error}`);
  return parsed.value;
}

function checkEvalId(id: number, which: string): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new Invalid(`${which} must be a positive eval id, got ${JSON.stringify(id)}`);
}

async function evalRefOrThrow(db: Db, id: number, which: string): Promise<PreflightEvalRef> {
  const ref = await preflightEvalRef(db, id);
  if (!ref) throw new NotFound(`${which} eval ${id} is not ingested`);
  return ref;
}

export { PREFLIGHT_LISTS, type PreflightList };

/** Which slice of the impact lists to hand out: `limit` items from `offset`, of one list or of each. */
export interface PreflightSlice {
  limit: number;
  offset?: number;
  /** Only this list carries items (the others are empty; `totals` still counts them all). */
  list?: PreflightList;
}

/**
 * The result with every impact list cut to `limit` items from `offset` (a mass rebuild lists
 * 100k+ jobs), or with only `list` kept, so a reader pages through one list; `totals` keeps the
 * full counts, and `truncated` names the lists that have items past the slice.
 */
export function truncatePreflightLists(result: PreflightResult, slice: number | PreflightSlice): PreflightResult & { truncated: PreflightList[]; offset: number; list: PreflightList | null } {
  const { limit, offset = 0, list } = typeof slice === 'number' ? { limit: slice } : slice;
  const impact = { ...result.impact };
  const truncated: PreflightList[] = [];
  for (const key of PREFLIGHT_LISTS) {
    if (list !== undefined && key !== list) {
      impact[key] = [];
      continue;
    }
    if (impact[key].length > offset + limit) truncated.push(key);
    impact[key] = impact[key].slice(offset, offset + limit);
  }
  return { ...result, impact, truncated, offset, list: list ?? null };
}
