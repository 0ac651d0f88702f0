/**
 * The data model the simulated Hydra serves. Two implementations exist: `ScriptedHydra`
 * (script.ts, exact hand-written histories for tests) and `GeneratedHydra` (generator.ts, a
 * lazily computed nixpkgs-scale history). The HTTP server (server.ts) reads only this interface,
 * always "as of" `now()`, so moving a clock is all it takes to make builds finish or evals appear.
 */

export interface SimBuildOutput {
  path: string | null;
}

export interface SimBuildProduct {
  type: string;
  subtype: string;
  name: string;
  filesize: number | null;
  sha256hash: string | null;
  path: string;
  defaultpath: string;
}

export interface SimBuildMetric {
  value: number;
  unit: string | null;
}

/** One Hydra build as `/build/{id}` serializes it (the 18 keys), at the data's `now()`. */
export interface SimBuild {
  id: number;
  finished: 0 | 1;
  timestamp: number;
  starttime: number | null;
  stoptime: number | null;
  project: string;
  jobset: string;
  job: string;
  nixname: string | null;
  system: string;
  priority: number;
  buildstatus: number | null;
  releasename: string | null;
  drvpath: string;
  jobsetevals: number[];
  buildoutputs: Record<string, SimBuildOutput>;
  buildproducts: Record<string, SimBuildProduct>;
  buildmetrics: Record<string, SimBuildMetric>;
}

export interface SimEvalInput {
  type: string;
  uri: string | null;
  revision: string | null;
  value: string | null;
  dependency: number | null;
}

export interface SimEval {
  id: number;
  project: string;
  jobset: string;
  timestamp: number;
  checkouttime: number;
  evaltime: number;
  hasnewbuilds: 0 | 1;
  flake: string | null;
  inputs: Record<string, SimEvalInput>;
  /** Every member build id (new and reused); order is not meaningful. */
  buildIds(): Iterable<number>;
  buildCount: number;
}

export interface SimProject {
  name: string;
  displayname: string;
  description: string;
  homepage: string;
  owner: string;
  enabled: boolean;
  hidden: boolean;
  enable_dynamic_run_command: boolean;
  jobsets: string[];
}

/** A jobset input as `/jobset/{p}/{j}` serializes it (JobsetInputs.as_json in Hydra). */
export interface SimJobsetInput {
  name: string;
  type: string;
  value: string;
  emailresponsible: boolean;
}

/** `/jobset/{p}/{j}` fields (HYDRA-API.md): strings never null (null becomes ""). */
export interface SimJobset {
  name: string;
  project: string;
  description: string;
  nixexprinput: string;
  nixexprpath: string;
  emailoverride: string;
  fetcherrormsg: string;
  flake: string;
  errormsg: string;
  errortime: number | null;
  lastcheckedtime: number | null;
  triggertime: number | null;
  starttime: number | null;
  /** 0 off, 1 on, 2 one-shot, 3 one-at-a-time */
  enabled: number;
  keepnr: number;
  checkinterval: number;
  schedulingshares: number;
  /** 0 legacy, 1 flake */
  type: number;
  enableemail: boolean;
  enable_dynamic_run_command: boolean;
  visible: boolean;
  inputs: Record<string, SimJobsetInput>;
}

/** One row of the HTML build page's "Failed build steps" table. */
export interface SimFailedStep {
  nr: number;
  /** Output paths of the step's derivation (what the table's Step cell shows). */
  outputs: string[];
  status: string;
  /** The build where the failing dependency was built ("propagated from build P"). */
  propagatedFrom?: number;
  /** The step's derivation (the step page's `Derivation:` row); default: the propagating build's drvpath. */
  drvpath?: string;
  /** The build whose log the step's log is (default: propagatedFrom, else this build). */
  stepBuildId?: number;
  errorMsg?: string;
  machine?: string;
  /** Seconds. */
  duration?: number;
}

export interface HydraData {
  /** Simulated clock, epoch seconds. */
  now(): number;
  projects(): SimProject[];
  jobset(project: string, name: string): SimJobset | undefined;
  /** Visible evals at now(), newest (highest id) first, including hasnewbuilds=0 ones. */
  evalIds(project: string, jobset: string): number[];
  /** undefined if unknown or not visible yet at now(). */
  getEval(id: number): SimEval | undefined;
  /** The build's state at now(); undefined if unknown or not visible yet. */
  getBuild(id: number): SimBuild | undefined;
  /**
   * Just the build's state at now(), where the source can tell it without building the whole
   * object: what the server counts 250k of per /api/jobsets answer (counts Hydra keeps stored).
   */
  buildState?(id: number): Pick<SimBuild, 'finished' | 'buildstatus'> | undefined;
  /** Member build ids of an aggregate build ([] for ordinary builds). */
  constituents(buildId: number): number[];
  /** Highest build id that may exist (for /api/latestbuilds scans). */
  maxBuildId(): number;
  /** Unfinished builds at now(); if absent the server scans ids downward from maxBuildId(). */
  unfinishedBuildIds?(): Iterable<number>;
  /** Unfinished builds with their priorities, cheaper than whole builds (the queue sorts on these). */
  queued?(): Iterable<{ id: number; priority: number }>;
  /** New name of a renamed jobset (the server answers 301), if any. */
  renamedJobset?(project: string, name: string): string | undefined;
  /** The HTML build page's failed steps (dependency failures), if the model knows them. */
  failedSteps?(buildId: number): SimFailedStep[];
  /** Every build id, newest (highest) first: what /api/latestbuilds walks (else ids downward from maxBuildId()). */
  buildIdsDescending?(): Iterable<number>;
  /** The build whose current drvpath is `drvpath` (for /log), if the model can tell. */
  buildOfDrv?(drvpath: string): number | undefined;
  /** The build's log text, if the model has its own (else the server writes one from the build). */
  buildLog?(buildId: number): string | undefined;
}

export const SYSTEMS = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'] as const;

/** Codes that SPEC section 3 calls infra (aborted, cancelled, timed out, unsupported, log limit). */
export const INFRA_STATUSES = [3, 4, 7, 9, 10] as const;

export type Outcome = 'pending' | 'success' | 'failure' | 'infra';

/** SPEC section 3 outcome of a build state. */
export function outcomeOf(b: Pick<SimBuild, 'finished' | 'buildstatus'>): Outcome {
  if (b.finished === 0 || b.buildstatus === null) return 'pending';
  if (b.buildstatus === 0) return 'success';
  if ((INFRA_STATUSES as readonly number[]).includes(b.buildstatus)) return 'infra';
  return 'failure';
}

/** Splits `hello.x86_64-linux` into package and system; aggregates have no system suffix. */
export function splitJob(job: string): { pkg: string; system: string | null } {
  for (const s of SYSTEMS) if (job.endsWith('.' + s)) return { pkg: job.slice(0, -s.length - 1), system: s };
  return { pkg: job, system: null };
}

// Nix's base-32 alphabet (no e, o, u, t), used for fake store paths.
const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** 32-bit mixing hash (lowbias32); deterministic, fast, good avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of up to four integers, in [0, 2^32). */
export function hash4(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32(a ^ 0x9e3779b9);
  h = mix32(h ^ (b + 0x632be5ab));
  h = mix32(h ^ (c + 0x85ebca6b));
  return mix32(h ^ (d + 0xc2b2ae35));
}

/** Hash of up to four integers, uniform in [0, 1). */
export function unit4(a: number, b = 0, c = 0, d = 0): number {
  return hash4(a, b, c, d) / 4294967296;
}

/** Stable 32-bit hash of a string (FNV-1a then mixed). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/** A 32-character nix-base32 hash part derived from a key. */
export function storeHash(a: number, b = 0, c = 0): string {
  let out = '';
  for (let k = 0; out.length < 32; k++) {
    let h = hash4(a, b, c, k + 7);
    for (let j = 0; j < 6 && out.length < 32; j++) {
      out += NIX32[h & 31];
      h >>>= 5;
    }
  }
  return out;
}

/** A 40-hex git revision derived from a key. */
export function hexRevision(a: number, b = 0): string {
  let out = '';
  for (let k = 0; k < 5; k++) out += hash4(a, b, k, 0x5eed).toString(16).padStart(8, '0');
  return out;
}

/** Seeded PRNG (mulberry32) for key shuffles and probabilistic faults. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function defaultJobset(project: string, name: string, over: Partial<SimJobset> = {}): SimJobset {
  return {
    name,
    project,
    description: `${project} ${name}`,
    nixexprinput: 'nixpkgs',
    nixexprpath: 'pkgs/top-level/release.nix',
    emailoverride: '',
    fetcherrormsg: '',
    flake: '',
    errormsg: '',
    errortime: null,
    lastcheckedtime: null,
    triggertime: null,
    starttime: null,
    enabled: 1,
    keepnr: 3,
    checkinterval: 28800,
    schedulingshares: 2000,
    type: 0,
    enableemail: false,
    enable_dynamic_run_command: false,
    visible: true,
    inputs: {
      nixpkgs: { name: 'nixpkgs', type: 'git', value: 'https://github.com/NixOS/nixpkgs.git', emailresponsible: false },
      officialRelease: { name: 'officialRelease', type: 'boolean', value: 'false', emailresponsible: false },
    },
    ...over,
  };
}

export function defaultProject(name: string, jobsets: string[]): SimProject {
  return {
    name,
    displayname: name === 'nixpkgs' ? 'Nixpkgs' : name === 'nixos' ? 'NixOS' : name,
    description: `${name} (simulated)`,
    homepage: 'https://nixos.org/',
    owner: 'sim',
    enabled: true,
    hidden: false,
    enable_dynamic_run_command: false,
    jobsets,
  };
}
