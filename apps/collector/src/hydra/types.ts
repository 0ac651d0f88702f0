/** Hydra's JSON objects as HYDRA-API.md describes them, with cheap runtime checks. */
import type { BuildRecord } from '@zhf/db/queries';

export interface HydraBuild {
  id: number;
  finished: number;
  timestamp: number | null;
  starttime: number | null;
  stoptime: number | null;
  project: string;
  jobset: string;
  job: string;
  nixname: string | null;
  system: string;
  buildstatus: number | null;
  drvpath: string;
  jobsetevals: number[];
  buildoutputs: Record<string, { path: string | null }>;
}

export interface HydraEvalInput {
  type: string;
  uri: string | null;
  revision: string | null;
  value: string | null;
  dependency: number | null;
}

export interface HydraEval {
  id: number;
  timestamp: number;
  checkouttime: number | null;
  evaltime: number | null;
  hasnewbuilds: number;
  flake: string | null;
  builds: number[];
  jobsetevalinputs: Record<string, HydraEvalInput>;
}

export interface HydraEvalsPage {
  evals: HydraEval[];
  /** The reader stopped within the page (see `HydraClient.evalsPage`): no links were read. */
  stopped?: boolean;
  first?: string;
  last?: string;
  next?: string;
  previous?: string;
}

export interface HydraJobsetSummary {
  project: string;
  name: string;
  nrscheduled: number;
  nrsucceeded: number;
  nrfailed: number;
  nrtotal: number;
  lastcheckedtime: number | null;
  starttime: number | null;
  checkinterval: number;
  triggertime: number | null;
  haserrormsg: boolean;
}

export interface HydraQueueItem {
  id: number;
  project: string;
  jobset: string;
  job: string;
  system: string;
  finished: number;
  buildstatus: number | null;
}

export class HydraShapeError extends Error {}

function fail(what: string, detail: string): never {
  throw new HydraShapeError(`unexpected ${what} from Hydra: ${detail}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : isNum(v) ? v : Number.NaN);

/** Validates the fields the collector relies on; extra keys are ignored, key order never matters. */
export function asBuild(v: unknown): HydraBuild {
  if (!isObj(v)) fail('build', 'not an object');
  const { id, finished, job, system, drvpath, buildoutputs } = v;
  if (!isNum(id)) fail('build', 'missing numeric id');
  if (finished !== 0 && finished !== 1) fail('build', `build ${id}: finished must be 0 or 1`);
  if (typeof job !== 'string' || typeof system !== 'string') fail('build', `build ${id}: job/system missing`);
  if (typeof drvpath !== 'string') fail('build', `build ${id}: drvpath missing`);
  const status = numOrNull(v.buildstatus);
  if (Number.isNaN(status)) fail('build', `build ${id}: buildstatus not a number`);
  // A bulk list has 250k of these: keep what already has the right shape instead of copying it.
  let outputs: Record<string, { path: string | null }> = {};
  if (isObj(buildoutputs)) {
    let shaped = true;
    for (const k in buildoutputs) {
      const o = buildoutputs[k];
      if (!isObj(o) || typeof o.path !== 'string') shaped = false;
    }
    if (shaped) outputs = buildoutputs as Record<string, { path: string }>;
    else for (const [k, o] of Object.entries(buildoutputs)) outputs[k] = { path: isObj(o) && typeof o.path === 'string' ? o.path : null };
  }
  return {
    id,
    finished,
    timestamp: numOrNull(v.timestamp),
    starttime: numOrNull(v.starttime),
    stoptime: numOrNull(v.stoptime),
    project: String(v.project ?? ''),
    jobset: String(v.jobset ?? ''),
    job,
    nixname: typeof v.nixname === 'string' ? v.nixname : null,
    system,
    buildstatus: status,
    drvpath,
    jobsetevals: !Array.isArray(v.jobsetevals) ? [] : v.jobsetevals.every(isNum) ? v.jobsetevals : v.jobsetevals.filter(isNum),
    buildoutputs: outputs,
  };
}

/**
 * What the collector keeps of a build (the database's `BuildRecord`): the fields it stores,
 * outputs as a list of paths. A bulk list is streamed as these, so that 250k builds cross from
 * the parser's thread without the fields nobody reads.
 */
export type HydraBuildRecord = BuildRecord;

export function toBuildRecord(b: HydraBuild): HydraBuildRecord {
  const outputs: string[] = [];
  for (const k in b.buildoutputs) {
    const p = b.buildoutputs[k]!.path;
    if (p !== null) outputs.push(p);
  }
  return {
    id: b.id, job: b.job, system: b.system, finished: b.finished, status: b.buildstatus, drvpath: b.drvpath, outputs,
    nixname: b.nixname, timestamp: b.timestamp, starttime: b.starttime, stoptime: b.stoptime,
  };
}

export function asEval(v: unknown): HydraEval {
  if (!isObj(v)) fail('eval', 'not an object');
  if (!isNum(v.id)) fail('eval', 'missing numeric id');
  if (!Array.isArray(v.builds) || !v.builds.every(isNum)) fail('eval', `eval ${v.id}: builds must be an array of ids`);
  if (!isNum(v.timestamp)) fail('eval', `eval ${v.id}: timestamp missing`);
  const inputs: Record<string, HydraEvalInput> = {};
  if (isObj(v.jobsetevalinputs)) {
    for (const [k, i] of Object.entries(v.jobsetevalinputs)) {
      if (!isObj(i)) continue;
      inputs[k] = {
        type: String(i.type ?? ''),
        uri: typeof i.uri === 'string' ? i.uri : null,
        revision: typeof i.revision === 'string' ? i.revision : null,
        value: typeof i.value === 'string' ? i.value : null,
        dependency: isNum(i.dependency) ? i.dependency : null,
      };
    }
  }
  return {
    id: v.id,
    timestamp: v.timestamp,
    checkouttime: numOrNull(v.checkouttime),
    evaltime: numOrNull(v.evaltime),
    hasnewbuilds: v.hasnewbuilds === 1 || v.hasnewbuilds === true ? 1 : 0,
    flake: typeof v.flake === 'string' ? v.flake : null,
    builds: v.builds,
    jobsetevalinputs: inputs,
  };
}

export function asEvalsPage(v: unknown): HydraEvalsPage {
  if (!isObj(v) || !Array.isArray(v.evals)) fail('evals page', 'no evals array');
  return {
    evals: v.evals.map(asEval),
    first: typeof v.first === 'string' ? v.first : undefined,
    last: typeof v.last === 'string' ? v.last : undefined,
    next: typeof v.next === 'string' ? v.next : undefined,
    previous: typeof v.previous === 'string' ? v.previous : undefined,
  };
}

export function asJobsetSummaries(v: unknown): HydraJobsetSummary[] {
  if (!Array.isArray(v)) fail('/api/jobsets', 'not an array');
  return v.filter(isObj).map((j) => ({
    project: String(j.project ?? ''),
    name: String(j.name ?? ''),
    nrscheduled: Number(j.nrscheduled ?? 0),
    nrsucceeded: Number(j.nrsucceeded ?? 0),
    nrfailed: Number(j.nrfailed ?? 0),
    nrtotal: Number(j.nrtotal ?? 0),
    lastcheckedtime: numOrNull(j.lastcheckedtime),
    starttime: numOrNull(j.starttime),
    checkinterval: Number(j.checkinterval ?? 0),
    triggertime: numOrNull(j.triggertime),
    haserrormsg: Boolean(j.haserrormsg),
  }));
}

export function asQueue(v: unknown): HydraQueueItem[] {
  if (!Array.isArray(v)) fail('/api/queue', 'not an array');
  return v.filter((q): q is Record<string, unknown> => isObj(q) && isNum(q.id)).map((q) => ({
    id: q.id as number,
    project: String(q.project ?? ''),
    jobset: String(q.jobset ?? ''),
    job: String(q.job ?? ''),
    system: String(q.system ?? ''),
    finished: Number(q.finished ?? 0),
    buildstatus: numOrNull(q.buildstatus),
  }));
}

/** The 40-hex revision of the eval's main input (nixpkgs by default, else any git input). */
export function evalRevision(e: HydraEval, inputName: string): { revision: string | null; uri: string | null } {
  const main = e.jobsetevalinputs[inputName] ?? Object.values(e.jobsetevalinputs).find((i) => i.type === 'git' && i.revision);
  return { revision: main?.revision ?? null, uri: main?.uri ?? null };
}

/** The short shape of `/api/latestbuilds`: finished builds, no derivation or outputs. */
export interface HydraShortBuild extends HydraQueueItem {
  nixname: string | null;
  timestamp: number | null;
}

export function asLatestBuilds(v: unknown): HydraShortBuild[] {
  if (!Array.isArray(v)) fail('/api/latestbuilds', 'not an array');
  return v.filter((q): q is Record<string, unknown> => isObj(q) && isNum(q.id) && typeof q.job === 'string').map((q) => ({
    id: q.id as number,
    project: String(q.project ?? ''),
    jobset: String(q.jobset ?? ''),
    job: q.job as string,
    system: String(q.system ?? ''),
    finished: Number(q.finished ?? 1),
    buildstatus: numOrNull(q.buildstatus),
    nixname: typeof q.nixname === 'string' ? q.nixname : null,
    timestamp: isNum(q.timestamp) ? q.timestamp : null,
  }));
}
