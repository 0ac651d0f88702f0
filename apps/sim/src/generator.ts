/**
 * GeneratedHydra: a seeded, deterministic, nixpkgs-like Hydra history computed lazily.
 *
 * Nothing is materialized per response: every job, build and status derives from
 * (seed, track, job index, eval index) by integer hashing; construction keeps only compact typed
 * arrays (per eval: the job indices that got a new build, their first-run status, the last eval
 * containing each build) plus a checkpoint of "current build per job" every 8 evals. 250,000
 * jobs x 100 evals takes ~1.4 M builds and a few tens of MB.
 *
 * Options (all optional):
 *   seed (1)                 everything derives from it
 *   jobsPerEval (2000)       jobs in the first eval, `name.system` over 4 systems, plus aggregates
 *   evals (30)               evals of the main jobset (`project`/`jobset`, default nixpkgs/unstable)
 *   end                      epoch s; the newest eval is ~1 h before it (default 2026-11-20T00:00Z)
 *   now (end)                initial simulated clock; move it with setClock/advance
 *   intervalSec (21600)      time between evals (+-30 min jitter)
 *   churn (0.02)             chance that a job gets a new derivation in an eval
 *   massRebuilds             eval indices that rebuild `massRebuildFraction` of jobs (default [E/3, 2E/3])
 *   massRebuildFraction (0.6)
 *   failureRate (0.02)       chance a new build fails (status 1; some 6/11/12)
 *   infraRate (0.004)        chance of 3/4/7/9/10
 *   dependentFraction (0.3)  jobs depending on a "core" package (first 1% of packages) of their system
 *   cascadeRate (0.9)        chance a dependent's build is status 2 when its core package failed
 *   restartRate (0.15)       chance a failed/infra build is restarted later (then 50% succeeds)
 *   repointRate (0.003)      chance a build still current in the next eval is re-pointed then
 *   addRate (0.002)          jobs added per eval (fraction of jobsPerEval); removeRate (0.001) removed
 *   maxBuildSec (36000)      builds finish between 5 min and this after their eval appears
 *   noNewBuildsEvals ([])    eval indices with hasnewbuilds = 0 (every build reused)
 *   firstEvalId (1800000), firstBuildId (300000000)
 *   lifecycle (false)        hydra.nixos.org's lifecycle: restarts days after the failure
 *                            (restartDelaySec [86400, 432000]), re-pointing moments after the next eval
 *                            commits (repointDelaySec [30, 900]) and dependency chains (depChains)
 *   restartDelaySec          [min, max] from a failure to its restart (default [600, 22200])
 *   repointDelaySec          [min, max] from the next eval to the re-pointing (default [0, 0])
 *   depChains (false)        some dependents depend on a dependent of a core package, so a
 *                            failure propagates dep -> dep -> direct (the build pages chain)
 *   staging                  false (default) or { name: 'staging-next', evals: 3, rebuildFraction: 0.3,
 *                            failureRate: 0.04, churn: 0.01, intervalSec: 28800 }: a second jobset
 *                            of the same project over the same packages, branched from the main
 *                            jobset's eval just before its first eval; jobs in its rebuild set get
 *                            new derivations/outputs, the rest share the main jobset's drv, outputs
 *                            and final status (as Hydra would find the same result).
 *
 * Aggregates `tested` (core packages on x86_64-linux) and `unstable` (the first 15 packages on all
 * systems) are rebuilt in every eval; finished when all constituents are, status 0 iff all are 0.
 * `groundTruth` exposes what the model knows (members, statuses, categories per SPEC section 3,
 * rebuild sets) without going through HTTP.
 */
import {
  type HydraData,
  type Outcome,
  type SimBuild,
  type SimBuildProduct,
  type SimEval,
  type SimFailedStep,
  type SimJobset,
  type SimProject,
  SYSTEMS,
  INFRA_STATUSES,
  defaultJobset,
  defaultProject,
  hash4,
  hexRevision,
  outcomeOf,
  storeHash,
  unit4,
} from './model.ts';

export interface StagingOptions {
  name?: string;
  evals?: number;
  rebuildFraction?: number;
  failureRate?: number;
  churn?: number;
  intervalSec?: number;
}

export interface GeneratorOptions {
  seed?: number;
  project?: string;
  jobset?: string;
  jobsPerEval?: number;
  evals?: number;
  end?: number;
  now?: number;
  intervalSec?: number;
  churn?: number;
  massRebuilds?: number[];
  massRebuildFraction?: number;
  failureRate?: number;
  infraRate?: number;
  dependentFraction?: number;
  cascadeRate?: number;
  restartRate?: number;
  repointRate?: number;
  addRate?: number;
  removeRate?: number;
  maxBuildSec?: number;
  noNewBuildsEvals?: number[];
  firstEvalId?: number;
  firstBuildId?: number;
  staging?: false | StagingOptions;
  lifecycle?: boolean;
  restartDelaySec?: [number, number];
  repointDelaySec?: [number, number];
  depChains?: boolean;
}

export type Category =
  | 'new_failure' | 'still_failing' | 'fixed' | 'still_succeeding' | 'new_job_failing' | 'new_job'
  | 'failing' | 'succeeding' | 'pending' | 'infra' | 'removed';

export interface CategoryResult {
  category: Category | null; // null: job is neither in E nor in the eval before it
  buildId: number | null;
  baseline: { evalId: number; buildId: number; outcome: Outcome } | null;
}

const FAMOUS = [
  'hello', 'glibc', 'openssl', 'curl', 'python313Packages.requests', 'haskellPackages.aeson', 'linuxPackages.nvidia_x11',
  'nixosTests.nginx', 'firefox', 'gcc', 'systemd', 'git', 'python313Packages.numpy', 'haskellPackages.pandoc', 'nodejs',
  'rustc', 'go', 'llvm', 'perl', 'ffmpeg', 'qt6.qtbase', 'gtk4', 'nixosTests.firefox', 'linuxPackages.zfs',
  'python313Packages.django', 'emacs', 'vim', 'postgresql', 'nginx', 'openssh',
];
const PREFIXES = [
  '', '', '', '', '', '', 'python313Packages.', 'python312Packages.', 'haskellPackages.', 'perlPackages.', 'linuxPackages.',
  'nixosTests.', 'rPackages.', 'ocamlPackages.', 'nodePackages.', 'rubyPackages.', 'emacsPackages.', 'vimPlugins.',
];
const SYLLABLES = [
  'lib', 'xo', 'ra', 'qu', 'ne', 'to', 'mi', 'ka', 'sel', 'vor', 'dan', 'pix', 'zu', 'bel', 'tri', 'fon',
  'gra', 'hel', 'jup', 'kel', 'lum', 'mar', 'nox', 'pal', 'rin', 'sim', 'tor', 'ul', 've', 'wis', 'yal', 'zor',
];
const TESTED = 'tested';
const UNSTABLE = 'unstable';
const NEVER = 0xffff;
const AGG_STATUS = 254; // marker: aggregate, computed from constituents
const CHECKPOINT_EVERY = 8;
// Salts for independent hash streams.
const S_CHURN = 11, S_MASS = 12, S_STATUS = 13, S_KIND = 14, S_CASCADE = 15, S_DEP = 16, S_PARENT = 17, S_ADD = 18,
  S_REMOVE = 19, S_DUR = 20, S_RESTART = 21, S_REPOINT = 22, S_OUT = 23, S_RB = 24, S_VER = 25, S_TS = 26, S_DEVOUT = 27;

interface Track {
  t: number;
  project: string;
  name: string;
  evals: number; // E
  ts: number[]; // per eval index
  g: number[]; // global eval slot per eval index
  churn: number;
  failureRate: number;
  mass: Set<number>;
  massFraction: number;
  noNew: Set<number>;
  checkpoints: Int32Array[]; // refs after eval k = c * CHECKPOINT_EVERY
  revisionSalt: number;
  jobsetInfo: SimJobset;
}

// A build reference packs (global eval slot, rank in that eval's new-build list).
const REF_SHIFT = 2 ** 21;
const refOf = (g: number, r: number) => g * REF_SHIFT + r;

export class GeneratedHydra implements HydraData {
  readonly opts: Required<Omit<GeneratorOptions, 'staging' | 'now' | 'lifecycle'>> & { staging: false | Required<StagingOptions> };
  readonly data: HydraData = this;
  /** Job indices >= U are aggregates: U = tested, U+1 = unstable. */
  readonly universe: number;
  private clock: number;
  private readonly seed: number;
  private readonly nPkgs: number;
  private readonly coreCount: number;
  private readonly addedAt: Uint16Array; // main-jobset eval index
  private readonly removedAt: Uint16Array;
  private readonly parent: Int32Array; // core job this job depends on, or -1
  private readonly tracks: Track[] = [];
  // Per global eval slot g:
  private slotTrack: number[] = [];
  private slotK: number[] = [];
  private changed: Uint32Array[] = []; // job indices with a new build, ascending
  private status: Uint8Array[] = []; // first-run status of each new build
  private endK: Uint16Array[] = []; // last eval index (of the track) containing each new build
  private memberCount: number[] = [];
  private idBase: number[] = [];
  private maxId = 0;
  private stagingBaseK = -1; // main eval the staging jobset branched from
  private stagingBaseRef: Int32Array | null = null; // main build ref per job at that eval
  private readonly tested: number[];
  private readonly unstableAgg: number[];
  private listCache = new Map<number, Int32Array>(); // g -> member refs (small LRU)
  private nameIndex: Map<string, number> | null = null;
  private readonly maxGap: number;

  constructor(o: GeneratorOptions = {}) {
    const evals = o.evals ?? 30;
    this.opts = {
      seed: o.seed ?? 1,
      project: o.project ?? 'nixpkgs',
      jobset: o.jobset ?? 'unstable',
      jobsPerEval: o.jobsPerEval ?? 2000,
      evals,
      end: o.end ?? Date.UTC(2026, 10, 20) / 1000,
      intervalSec: o.intervalSec ?? 6 * 3600,
      churn: o.churn ?? 0.02,
      massRebuilds: o.massRebuilds ?? (evals >= 6 ? [Math.floor(evals / 3), Math.floor((2 * evals) / 3)] : []),
      massRebuildFraction: o.massRebuildFraction ?? 0.6,
      failureRate: o.failureRate ?? 0.02,
      infraRate: o.infraRate ?? 0.004,
      dependentFraction: o.dependentFraction ?? 0.3,
      cascadeRate: o.cascadeRate ?? 0.9,
      restartRate: o.restartRate ?? 0.15,
      repointRate: o.repointRate ?? 0.003,
      addRate: o.addRate ?? 0.002,
      removeRate: o.removeRate ?? 0.001,
      maxBuildSec: o.maxBuildSec ?? 36000,
      noNewBuildsEvals: o.noNewBuildsEvals ?? [],
      firstEvalId: o.firstEvalId ?? 1_800_000,
      firstBuildId: o.firstBuildId ?? 300_000_000,
      restartDelaySec: o.restartDelaySec ?? (o.lifecycle ? [86400, 5 * 86400] : [600, 600 + 6 * 3600]),
      repointDelaySec: o.repointDelaySec ?? (o.lifecycle ? [30, 900] : [0, 0]),
      depChains: o.depChains ?? o.lifecycle ?? false,
      staging: o.staging
        ? { name: 'staging-next', evals: 3, rebuildFraction: 0.3, failureRate: 0.04, churn: 0.01, intervalSec: 8 * 3600, ...o.staging }
        : false,
    };
    const O = this.opts;
    if (evals < 1 || evals >= NEVER) throw new Error('evals out of range');
    this.seed = O.seed >>> 0;
    this.clock = o.now ?? O.end;

    // Universe: first-eval jobs, then jobs added later (whole packages, 4 systems each).
    const added = Math.round(O.addRate * O.jobsPerEval * Math.max(0, evals - 1));
    this.universe = O.jobsPerEval + added;
    const U = this.universe;
    this.nPkgs = Math.ceil(U / 4);
    this.coreCount = Math.max(4, Math.min(this.nPkgs, Math.round(this.nPkgs * 0.01)));
    const protectedPkgs = Math.max(this.coreCount, 30); // core and constituents are never removed

    // Main-track timestamps, then the staging track's, then one global id order by time.
    const main = this.makeTrack(0, O.jobset, evals, O.intervalSec, O.churn, O.failureRate, O.massRebuilds, O.noNewBuildsEvals, O.end - 3600);
    this.tracks.push(main);
    if (O.staging) {
      const S = O.staging;
      this.tracks.push(this.makeTrack(1, S.name, S.evals, S.intervalSec, S.churn, S.failureRate, [], [], O.end - 2 * 3600));
    }
    const all: { t: number; k: number; ts: number }[] = [];
    for (const tr of this.tracks) for (let k = 0; k < tr.evals; k++) all.push({ t: tr.t, k, ts: tr.ts[k] });
    all.sort((a, b) => a.ts - b.ts || a.t - b.t);
    all.forEach((s, g) => {
      this.tracks[s.t].g[s.k] = g;
      this.slotTrack[g] = s.t;
      this.slotK[g] = s.k;
    });
    let gap = 0;
    for (const tr of this.tracks) for (let k = 1; k < tr.evals; k++) gap = Math.max(gap, tr.ts[k] - tr.ts[k - 1]);
    this.maxGap = gap;

    // Membership intervals (main-jobset eval indices) and dependencies.
    this.addedAt = new Uint16Array(U);
    this.removedAt = new Uint16Array(U).fill(NEVER);
    this.parent = new Int32Array(U).fill(-1);
    for (let i = 0; i < U; i++) {
      const pkg = i >> 2;
      if (i >= O.jobsPerEval) {
        let a = 1 + (hash4(this.seed, i, S_ADD) % Math.max(1, evals - 1));
        while (main.noNew.has(a) && a < evals - 1) a++; // a job is added with a new build
        this.addedAt[i] = Math.min(a, evals - 1);
      }
      if (pkg >= protectedPkgs && unit4(this.seed, i, S_REMOVE) < O.removeRate * evals) {
        const from = this.addedAt[i] + 1;
        if (from < evals) this.removedAt[i] = from + (hash4(this.seed, i, S_REMOVE, 1) % (evals - from));
      }
      if (pkg >= this.coreCount && unit4(this.seed, i, S_DEP) < O.dependentFraction) {
        this.parent[i] = (hash4(this.seed, i, S_PARENT) % this.coreCount) * 4 + (i & 3);
        // Chains: past the "mid" packages (the next 2%), a third of dependents hang off a dependent mid job.
        const mid = this.coreCount * 3;
        if (O.depChains && pkg >= mid && this.nPkgs > mid && unit4(this.seed, i, S_PARENT, 1) < 0.35) {
          const m = (this.coreCount + (hash4(this.seed, i, S_PARENT, 2) % (mid - this.coreCount))) * 4 + (i & 3);
          if (this.parent[m] >= 0) this.parent[i] = m;
        }
      }
    }
    this.tested = [];
    for (let p = 0; p < 30 && p * 4 < O.jobsPerEval; p++) this.tested.push(p * 4); // x86_64-linux of the first packages
    this.unstableAgg = [];
    for (let i = 0; i < Math.min(60, O.jobsPerEval); i++) this.unstableAgg.push(i);

    if (O.staging) this.stagingBaseK = this.mainEvalBefore(this.tracks[1].ts[0]);
    for (const tr of this.tracks) this.runTrack(tr);
    // Build ids in global time order, with small gaps as if other jobsets built in between.
    let id = O.firstBuildId;
    for (let g = 0; g < this.changed.length; g++) {
      this.idBase[g] = id;
      id += this.changed[g].length + 3;
    }
    this.maxId = id - 4;
  }

  // ---------------- construction ----------------

  private makeTrack(t: number, name: string, E: number, interval: number, churn: number, failureRate: number, mass: number[], noNew: number[], newest: number): Track {
    const ts: number[] = [];
    for (let k = 0; k < E; k++) {
      const jitter = k === E - 1 ? 0 : Math.floor((unit4(this.seed, t, k, S_TS) - 0.5) * 3600);
      ts.push(Math.floor(newest - (E - 1 - k) * interval + jitter));
    }
    const O = this.opts;
    const jobsetInfo = defaultJobset(O.project, name, {
      description: t === 0 ? 'master branch' : `${name} branch`,
      // Left to the server: it stamps the jobset with its newest eval visible on the clock.
      lastcheckedtime: null,
      checkinterval: t === 0 ? 28800 : 43200,
      inputs: {
        nixpkgs: { name: 'nixpkgs', type: 'git', value: `https://github.com/nixos/nixpkgs.git${t === 0 ? '' : ' ' + name}`, emailresponsible: false },
        officialRelease: { name: 'officialRelease', type: 'boolean', value: 'false', emailresponsible: false },
      },
    });
    return {
      t, project: O.project, name, evals: E, ts, g: [], churn, failureRate, mass: new Set(mass), massFraction: O.massRebuildFraction,
      noNew: new Set(noNew), checkpoints: [], revisionSalt: 0x1000 + t, jobsetInfo,
    };
  }

  /** Is job i (or an aggregate) a member of track tr's eval k? */
  private member(tr: Track, i: number, k: number): boolean {
    if (i >= this.universe) return true;
    if (tr.t === 0) return this.addedAt[i] <= k && k < this.removedAt[i];
    const b = this.stagingBaseK;
    return this.addedAt[i] <= b && b < this.removedAt[i];
  }

  private firstK(tr: Track, i: number): number {
    return tr.t === 0 && i < this.universe ? this.addedAt[i] : 0;
  }

  /** Staging's rebuild set: a random fraction of jobs, plus every dependent of a core job in it. */
  inStagingRebuildSet(i: number): boolean {
    const S = this.opts.staging;
    if (!S || i >= this.universe) return i >= this.universe;
    if (unit4(this.seed, i, S_RB) < S.rebuildFraction) return true;
    for (let p = this.parent[i]; p >= 0; p = this.parent[p]) if (unit4(this.seed, p, S_RB) < S.rebuildFraction) return true;
    return false;
  }

  /** Does job i's own derivation change in eval k (before dependency propagation)? */
  private ownChange(tr: Track, i: number, k: number): boolean {
    if (k === 0 || tr.noNew.has(k)) return false;
    if (i >= this.universe) return true; // aggregates change every eval
    if (tr.t === 1 && !this.inStagingRebuildSet(i)) return false;
    if (unit4(this.seed ^ (tr.t * 0x51ed), i, k, S_CHURN) < tr.churn) return true;
    return tr.mass.has(k) && unit4(this.seed ^ (tr.t * 0x51ed), i, k, S_MASS) < tr.massFraction;
  }

  private changes(tr: Track, i: number, k: number): boolean {
    if (!this.member(tr, i, k)) return false;
    if (k === this.firstK(tr, i) && !tr.noNew.has(k)) return true;
    if (this.ownChange(tr, i, k)) return true;
    // A new derivation anywhere up the dependency chain is a new derivation here.
    for (let p = i < this.universe ? this.parent[i] : -1; p >= 0; p = this.parent[p]) if (this.ownChange(tr, p, k)) return true;
    return false;
  }

  private runTrack(tr: Track): void {
    const U = this.universe;
    const N = U + 2;
    const cur = new Int32Array(N).fill(-1);
    const O = this.opts;
    for (let k = 0; k < tr.evals; k++) {
      const g = tr.g[k];
      const list: number[] = [];
      let members = 0;
      for (let i = 0; i < N; i++) {
        const m = this.member(tr, i, k);
        if (m) members++;
        // Close the previous build of a job that leaves the jobset.
        if (!m && cur[i] >= 0) {
          this.setEnd(cur[i], k - 1);
          cur[i] = -1;
        }
        if (m && this.changes(tr, i, k)) list.push(i);
      }
      const changed = Uint32Array.from(list);
      const status = new Uint8Array(changed.length);
      const endK = new Uint16Array(changed.length).fill(tr.evals - 1);
      this.changed[g] = changed;
      this.status[g] = status;
      this.endK[g] = endK;
      this.memberCount[g] = members;
      // First pass: point jobs at their new builds (core jobs must be current before dependents look).
      for (let r = 0; r < changed.length; r++) {
        const i = changed[r];
        if (cur[i] >= 0) this.setEnd(cur[i], k - 1);
        cur[i] = refOf(g, r);
      }
      for (let r = 0; r < changed.length; r++) {
        const i = changed[r];
        if (i >= U) {
          status[r] = AGG_STATUS;
          continue;
        }
        const shared = this.sharedMainRef(tr.t, i);
        if (shared >= 0) {
          // Same derivation as the main jobset's build: Hydra would find the same result.
          status[r] = this.stateAt(Math.floor(shared / REF_SHIFT), shared % REF_SHIFT, Number.MAX_SAFE_INTEGER).final;
          continue;
        }
        const p = this.parent[i];
        const salt = this.seed ^ (tr.t * 0x51ed);
        const ps = p >= 0 && cur[p] >= 0 ? this.statusOfRef(cur[p]) : -1;
        if ((ps === 1 || (O.depChains && ps === 2)) && unit4(salt, i, k, S_CASCADE) < O.cascadeRate) {
          status[r] = 2;
          continue;
        }
        const u = unit4(salt, i, k, S_STATUS);
        if (u < tr.failureRate) {
          const h = hash4(salt, i, k, S_KIND) % 40;
          status[r] = h === 0 ? 6 : h === 1 ? 11 : h === 2 ? 12 : 1;
        } else if (u < tr.failureRate + O.infraRate) status[r] = INFRA_STATUSES[hash4(salt, i, k, S_KIND) % INFRA_STATUSES.length];
        else status[r] = 0;
      }
      if (tr.t === 0 && k === this.stagingBaseK) this.stagingBaseRef = cur.slice(0, U);
      if (k % CHECKPOINT_EVERY === 0) tr.checkpoints[k / CHECKPOINT_EVERY] = cur.slice();
    }
  }

  /** Index of the newest main-jobset eval at or before time t (0 if none). */
  private mainEvalBefore(t: number): number {
    const m = this.tracks[0];
    let k = 0;
    while (k + 1 < m.evals && m.ts[k + 1] <= t) k++;
    return k;
  }

  private setEnd(ref: number, k: number): void {
    this.endK[Math.floor(ref / REF_SHIFT)][ref % REF_SHIFT] = k;
  }

  private statusOfRef(ref: number): number {
    return this.status[Math.floor(ref / REF_SHIFT)][ref % REF_SHIFT];
  }

  private idOfRef(ref: number): number {
    return this.idBase[Math.floor(ref / REF_SHIFT)] + (ref % REF_SHIFT);
  }

  /** Member build refs of global eval slot g (cached for a few evals). */
  private memberRefs(g: number): Int32Array {
    const hit = this.listCache.get(g);
    if (hit) {
      this.listCache.delete(g);
      this.listCache.set(g, hit);
      return hit;
    }
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    const c = Math.floor(k / CHECKPOINT_EVERY);
    const cur = tr.checkpoints[c].slice();
    for (let kk = c * CHECKPOINT_EVERY + 1; kk <= k; kk++) {
      const gg = tr.g[kk];
      const ch = this.changed[gg];
      for (let r = 0; r < ch.length; r++) cur[ch[r]] = refOf(gg, r);
    }
    const out = new Int32Array(this.memberCount[g]);
    let n = 0;
    for (let i = 0; i < cur.length; i++) if (cur[i] >= 0 && this.member(tr, i, k)) out[n++] = cur[i];
    this.listCache.set(g, out);
    if (this.listCache.size > 4) this.listCache.delete(this.listCache.keys().next().value!);
    return out;
  }

  // ---------------- names and paths ----------------

  pkgName(p: number): string {
    if (p < FAMOUS.length) return FAMOUS[p];
    const prefix = PREFIXES[hash4(this.seed, p, 0x9f) % PREFIXES.length];
    // Four base-32 digits of p as syllables: injective, so names never collide.
    let base = '';
    for (let d = 0, x = p; d < 4; d++, x >>>= 5) base += SYLLABLES[x & 31];
    return prefix + base;
  }

  /** Job name of index i (`pkg.system`, or the aggregate's plain name). */
  jobName(i: number): string {
    if (i === this.universe) return TESTED;
    if (i === this.universe + 1) return UNSTABLE;
    return `${this.pkgName(i >> 2)}.${SYSTEMS[i & 3]}`;
  }

  jobIndex(name: string): number | undefined {
    if (!this.nameIndex) {
      this.nameIndex = new Map();
      for (let i = 0; i < this.universe + 2; i++) this.nameIndex.set(this.jobName(i), i);
    }
    return this.nameIndex.get(name);
  }

  private nixname(i: number): string {
    if (i >= this.universe) return this.jobName(i);
    const p = i >> 2;
    const short = this.pkgName(p).split('.').pop()!;
    const h = hash4(this.seed, p, S_VER);
    return `${short}-${1 + (h % 9)}.${(h >>> 4) % 20}.${(h >>> 9) % 10}`;
  }

  /** For a staging job outside the rebuild set: the main build whose derivation it shares, else -1. */
  private sharedMainRef(t: number, i: number): number {
    if (t !== 1 || i >= this.universe || !this.stagingBaseRef || this.inStagingRebuildSet(i)) return -1;
    return this.stagingBaseRef[i];
  }

  /** The (track, job, eval) whose derivation a build of track t created at k really has. */
  private derivationKey(t: number, i: number, k: number): [number, number, number] {
    if (t === 1 && i < this.universe && !this.inStagingRebuildSet(i) && this.stagingBaseRef) {
      // Shares the main jobset's derivation at the branch point.
      const ref = this.stagingBaseRef[i];
      if (ref >= 0) return [0, i, this.slotK[Math.floor(ref / REF_SHIFT)]];
    }
    return [t, i, k];
  }

  private outputsOf(t: number, i: number, k: number): Record<string, string> {
    const [dt, di, dk] = this.derivationKey(t, i, k);
    const name = this.nixname(i);
    const h = hash4(this.seed, dt, di, S_OUT);
    const outs: Record<string, string> = { out: `/nix/store/${storeHash(h, dk, 1)}-${name}` };
    if (i < this.universe && unit4(this.seed, i, S_DEVOUT) < 0.25) outs.dev = `/nix/store/${storeHash(h, dk, 2)}-${name}-dev`;
    return outs;
  }

  private drvOf(t: number, i: number, k: number, repointed: boolean): string {
    const [dt, di, dk] = this.derivationKey(t, i, k);
    return `/nix/store/${storeHash(hash4(this.seed, dt, di, S_OUT), dk, repointed ? 0xd2 : 0xd1)}-${this.nixname(i)}.drv`;
  }

  // ---------------- build state over time ----------------

  private locate(id: number): { g: number; r: number } | undefined {
    let lo = 0, hi = this.idBase.length - 1;
    if (hi < 0 || id < this.idBase[0]) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.idBase[mid] <= id) lo = mid;
      else hi = mid - 1;
    }
    const r = id - this.idBase[lo];
    return r < this.changed[lo].length ? { g: lo, r } : undefined;
  }

  /** Whether a build gets restarted after its first run, or re-pointed when the next eval reuses it. */
  private fate(g: number, r: number): { restarted: boolean; repointed: boolean } {
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    const i = this.changed[g][r];
    if (i >= this.universe || this.sharedMainRef(tr.t, i) >= 0) return { restarted: false, repointed: false };
    const salt = this.seed ^ (tr.t * 0x51ed);
    const restarted = this.status[g][r] !== 0 && unit4(salt, i, k, S_RESTART) < this.opts.restartRate;
    const repointed = !restarted && this.endK[g][r] > k && unit4(salt, i, k, S_REPOINT) < this.opts.repointRate;
    return { restarted, repointed };
  }

  /** Time-dependent state of an ordinary build (see the file header for the model). */
  private stateAt(g: number, r: number, now: number) {
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    const i = this.changed[g][r];
    const salt = this.seed ^ (tr.t * 0x51ed);
    const s1 = this.status[g][r];
    const ts = tr.ts[k];
    const d1 = 300 + Math.floor(unit4(salt, i, k, S_DUR) * (this.opts.maxBuildSec - 300));
    const stop1 = ts + d1;
    const start1 = stop1 - Math.min(d1, 60 + (hash4(salt, i, k, S_DUR + 100) % 3600));
    const { restarted, repointed } = this.fate(g, r);
    const d2 = 300 + Math.floor(unit4(salt, i, k, S_DUR + 1) * 7200);
    type St = { finished: 0 | 1; status: number | null; start: number | null; stop: number | null; repointed: boolean };
    const first: St = now < stop1 ? { finished: 0, status: null, start: null, stop: null, repointed: false } : { finished: 1, status: s1, start: start1, stop: stop1, repointed: false };
    if (restarted) {
      const [rMin, rMax] = this.opts.restartDelaySec;
      const tR = stop1 + rMin + Math.floor(unit4(salt, i, k, S_RESTART + 100) * (rMax - rMin));
      const s2 = unit4(salt, i, k, S_RESTART + 200) < 0.5 ? 0 : s1;
      if (now < tR) return { ...first, final: s2 };
      // Restarted: finished 0 but the old status and times stay until the rebuild ends.
      if (now < tR + d2) return { finished: 0 as const, status: s1, start: start1, stop: stop1, repointed: false, final: s2 };
      return { finished: 1 as const, status: s2, start: tR, stop: tR + d2, repointed: false, final: s2 };
    }
    if (repointed) {
      // Re-pointing happens after the next eval's transaction commits: moments after it appears.
      const [pMin, pMax] = this.opts.repointDelaySec;
      const tP = tr.ts[k + 1] + pMin + Math.floor(unit4(salt, i, k, S_REPOINT + 100) * (pMax - pMin));
      if (now < tP) return { ...first, final: s1 };
      if (now < tP + d2) return { finished: 0 as const, status: null, start: null, stop: null, repointed: true, final: s1 };
      return { finished: 1 as const, status: s1, start: tP, stop: tP + d2, repointed: true, final: s1 };
    }
    return { ...first, final: s1 };
  }

  private evalVisible(g: number): boolean {
    return this.tracks[this.slotTrack[g]].ts[this.slotK[g]] <= this.clock;
  }

  // ---------------- HydraData ----------------

  now(): number {
    return this.clock;
  }

  setClock(t: number): void {
    this.clock = t;
  }

  advance(seconds: number): void {
    this.clock += seconds;
  }

  projects(): SimProject[] {
    return [defaultProject(this.opts.project, this.tracks.map((t) => t.name))];
  }

  jobset(project: string, name: string): SimJobset | undefined {
    return this.trackOf(project, name)?.jobsetInfo;
  }

  private trackOf(project: string, name: string): Track | undefined {
    return project === this.opts.project ? this.tracks.find((t) => t.name === name) : undefined;
  }

  evalIds(project: string, jobset: string): number[] {
    const tr = this.trackOf(project, jobset);
    if (!tr) return [];
    const ids: number[] = [];
    for (let k = tr.evals - 1; k >= 0; k--) if (tr.ts[k] <= this.clock) ids.push(this.evalIdOf(tr.g[k]));
    return ids;
  }

  private evalIdOf(g: number): number {
    return this.opts.firstEvalId + g * 2; // gaps: other jobsets' evals
  }

  private slotOfEvalId(id: number): number | undefined {
    const d = id - this.opts.firstEvalId;
    if (d < 0 || d % 2 !== 0 || d / 2 >= this.slotTrack.length) return undefined;
    return d / 2;
  }

  getEval(id: number): SimEval | undefined {
    const g = this.slotOfEvalId(id);
    if (g === undefined || !this.evalVisible(g)) return undefined;
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    return {
      id,
      project: tr.project,
      jobset: tr.name,
      timestamp: tr.ts[k],
      checkouttime: 3 + (hash4(this.seed, g, 1) % 40),
      evaltime: 600 + (hash4(this.seed, g, 2) % 900),
      hasnewbuilds: this.changed[g].length > 0 ? 1 : 0,
      flake: null,
      inputs: {
        nixpkgs: { type: 'git', uri: 'https://github.com/NixOS/nixpkgs.git', revision: this.revision(g), value: null, dependency: null },
        officialRelease: { type: 'boolean', uri: null, revision: null, value: 'false', dependency: null },
      },
      buildIds: () => this.buildIdsOf(g),
      buildCount: this.memberCount[g],
    };
  }

  private *buildIdsOf(g: number): Generator<number> {
    const refs = this.memberRefs(g);
    for (let n = 0; n < refs.length; n++) yield this.idOfRef(refs[n]);
  }

  private revision(g: number): string {
    const tr = this.tracks[this.slotTrack[g]];
    // An eval with no new builds still has a new commit (its inputs changed).
    return hexRevision(this.seed ^ tr.revisionSalt, this.slotK[g]);
  }

  buildState(id: number): Pick<SimBuild, 'finished' | 'buildstatus'> | undefined {
    const loc = this.locate(id);
    if (!loc || !this.evalVisible(loc.g)) return undefined;
    const s = this.changed[loc.g][loc.r] >= this.universe ? this.aggregateState(loc.g, loc.r) : this.stateAt(loc.g, loc.r, this.clock);
    return { finished: s.finished, buildstatus: s.status };
  }

  getBuild(id: number): SimBuild | undefined {
    const loc = this.locate(id);
    if (!loc || !this.evalVisible(loc.g)) return undefined;
    const { g, r } = loc;
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    const i = this.changed[g][r];
    const evals: number[] = [];
    for (let kk = k; kk <= this.endK[g][r]; kk++) if (tr.ts[kk] <= this.clock) evals.push(this.evalIdOf(tr.g[kk]));
    const outs = this.outputsOf(tr.t, i, k);
    const buildoutputs: SimBuild['buildoutputs'] = {};
    for (const [n, p] of Object.entries(outs)) buildoutputs[n] = { path: p };
    let finished: 0 | 1, status: number | null, start: number | null, stop: number | null, repointed = false;
    if (i >= this.universe) {
      ({ finished, status, start, stop } = this.aggregateState(g, r));
    } else {
      const s = this.stateAt(g, r, this.clock);
      ({ finished, status, start, stop, repointed } = s);
    }
    const name = this.nixname(i);
    const products: Record<string, SimBuildProduct> = {};
    if (finished && i < this.universe) {
      const isTest = this.pkgName(i >> 2).startsWith('nixosTests.');
      products['1'] = isTest
        ? { type: 'report', subtype: 'testlog', name: '', filesize: null, sha256hash: null, path: outs.out, defaultpath: 'log.html' }
        : { type: 'nix-build', subtype: '', name, filesize: null, sha256hash: null, path: outs.out, defaultpath: '' };
    }
    return {
      id,
      finished,
      timestamp: tr.ts[k],
      starttime: start,
      stoptime: stop,
      project: tr.project,
      jobset: tr.name,
      job: this.jobName(i),
      nixname: name,
      system: i >= this.universe ? 'x86_64-linux' : SYSTEMS[i & 3],
      priority: 100,
      buildstatus: status,
      releasename: null,
      drvpath: this.drvOf(tr.t, i, k, repointed),
      jobsetevals: evals,
      buildoutputs,
      buildproducts: products,
      buildmetrics: {},
    };
  }

  private aggregateState(g: number, r: number): { finished: 0 | 1; status: number | null; start: number | null; stop: number | null } {
    let all = true, ok = true, stop = 0;
    for (const id of this.constituentsAt(g, r)) {
      const b = this.getBuild(id);
      if (!b || !b.finished) {
        all = false;
        break;
      }
      if (b.buildstatus !== 0) ok = false;
      stop = Math.max(stop, b.stoptime ?? 0);
    }
    const ts = this.tracks[this.slotTrack[g]].ts[this.slotK[g]];
    if (!all) return { finished: 0, status: null, start: null, stop: null };
    return { finished: 1, status: ok ? 0 : 1, start: Math.max(ts, stop), stop: Math.max(ts, stop) + 5 };
  }

  private constituentsAt(g: number, r: number): number[] {
    const i = this.changed[g][r];
    const jobs = i === this.universe ? this.tested : this.unstableAgg;
    const tr = this.tracks[this.slotTrack[g]];
    const k = this.slotK[g];
    const out: number[] = [];
    for (const j of jobs) {
      const ref = this.currentRef(tr, j, k);
      if (ref >= 0) out.push(this.idOfRef(ref));
    }
    return out;
  }

  /** The build ref job i has in track tr's eval k (-1 if not a member). */
  private currentRef(tr: Track, i: number, k: number): number {
    if (!this.member(tr, i, k)) return -1;
    const c = Math.floor(k / CHECKPOINT_EVERY);
    let ref = tr.checkpoints[c][i];
    for (let kk = c * CHECKPOINT_EVERY + 1; kk <= k; kk++) {
      if (!this.changes(tr, i, kk)) continue;
      const gg = tr.g[kk];
      const ch = this.changed[gg];
      let lo = 0, hi = ch.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ch[mid] < i) lo = mid + 1;
        else hi = mid;
      }
      ref = refOf(gg, lo);
    }
    return ref;
  }

  constituents(buildId: number): number[] {
    const loc = this.locate(buildId);
    if (!loc || this.changed[loc.g][loc.r] < this.universe) return [];
    return this.constituentsAt(loc.g, loc.r);
  }

  maxBuildId(): number {
    return this.maxId;
  }

  *unfinishedBuildIds(): Generator<number> {
    // Builds can be unfinished only for a bounded time after their eval (first run, restart, re-point).
    const horizon = this.clock - (this.opts.maxBuildSec + this.opts.restartDelaySec[1] + this.opts.repointDelaySec[1] + 3 * 3600 + this.maxGap);
    for (let g = 0; g < this.changed.length; g++) {
      const tr = this.tracks[this.slotTrack[g]];
      const ts = tr.ts[this.slotK[g]];
      if (ts < horizon || ts > this.clock) continue;
      for (let r = 0; r < this.changed[g].length; r++) {
        const id = this.idBase[g] + r;
        const i = this.changed[g][r];
        const finished = i >= this.universe ? this.aggregateState(g, r).finished : this.stateAt(g, r, this.clock).finished;
        if (!finished) yield id;
      }
    }
  }

  failedSteps(buildId: number): SimFailedStep[] {
    const loc = this.locate(buildId);
    if (!loc || this.status[loc.g][loc.r] !== 2) return [];
    const tr = this.tracks[this.slotTrack[loc.g]];
    const k = this.slotK[loc.g];
    const p = this.parent[this.changed[loc.g][loc.r]];
    const ref = this.currentRef(tr, p, k);
    if (ref < 0) return [];
    const pid = this.idOfRef(ref);
    // The failing derivation is at the end of the chain: follow dependency failures up to the
    // build that failed itself (dep -> dep -> direct); the row propagates from the direct parent.
    let root = { ref, job: p };
    for (let n = 0; n < 8 && this.statusOfRef(root.ref) === 2; n++) {
      const gp = this.parent[root.job];
      const rg = Math.floor(root.ref / REF_SHIFT);
      const up = gp >= 0 ? this.currentRef(tr, gp, this.slotK[rg]) : -1;
      if (up < 0) break;
      root = { ref: up, job: gp };
    }
    const rg = Math.floor(root.ref / REF_SHIFT);
    const rootId = this.idOfRef(root.ref);
    return [
      {
        nr: 1,
        outputs: Object.values(this.outputsOf(tr.t, root.job, this.slotK[rg])),
        status: 'Cached failure',
        propagatedFrom: pid,
        drvpath: this.getBuild(rootId)?.drvpath,
        stepBuildId: rootId,
      },
    ];
  }

  /** Every build id, newest first. */
  *buildIdsDescending(): Generator<number> {
    for (let g = this.changed.length - 1; g >= 0; g--) {
      if (!this.evalVisible(g)) continue;
      for (let r = this.changed[g].length - 1; r >= 0; r--) yield this.idBase[g] + r;
    }
  }

  private shortNameIndex: Map<string, number[]> | null = null;

  /** The build whose current derivation is `drv`: from the name to the package, then its few builds. */
  buildOfDrv(drv: string): number | undefined {
    const m = /^\/nix\/store\/[0-9a-z]{32}-(.+)-\d+\.\d+\.\d+\.drv$/.exec(drv);
    if (!m) return undefined;
    if (!this.shortNameIndex) {
      this.shortNameIndex = new Map();
      for (let p = 0; p < this.nPkgs; p++) {
        const short = this.pkgName(p).split('.').pop()!;
        const list = this.shortNameIndex.get(short);
        if (list) list.push(p);
        else this.shortNameIndex.set(short, [p]);
      }
    }
    for (const p of this.shortNameIndex.get(m[1]) ?? []) {
      for (let i = p * 4; i < p * 4 + 4 && i < this.universe; i++) {
        for (const tr of this.tracks) {
          for (let k = 0; k < tr.evals; k++) {
            if (!this.changes(tr, i, k)) continue;
            const ref = this.currentRef(tr, i, k);
            if (ref < 0) continue;
            const id = this.idOfRef(ref);
            if (this.getBuild(id)?.drvpath === drv) return id;
          }
        }
      }
    }
    return undefined;
  }

  // ---------------- ground truth for tests ----------------

  readonly groundTruth = {
    /** Main and staging jobset names. */
    jobsets: () => this.tracks.map((t) => `${t.project}/${t.name}`),
    /** Eval ids of a jobset in creation order (all, visible or not). */
    allEvalIds: (jobset: string) => {
      const tr = this.tracks.find((t) => t.name === jobset)!;
      return tr.g.map((g) => this.evalIdOf(g));
    },
    evalTimestamp: (evalId: number) => {
      const g = this.slotOfEvalId(evalId)!;
      return this.tracks[this.slotTrack[g]].ts[this.slotK[g]];
    },
    /** job name -> build id, for every member of the eval (visible or not). */
    members: (evalId: number): Map<string, number> => {
      const g = this.slotOfEvalId(evalId)!;
      const m = new Map<string, number>();
      for (const ref of this.memberRefs(g)) {
        const gg = Math.floor(ref / REF_SHIFT);
        m.set(this.jobName(this.changed[gg][ref % REF_SHIFT]), this.idOfRef(ref));
      }
      return m;
    },
    buildOf: (evalId: number, job: string): number | undefined => {
      const g = this.slotOfEvalId(evalId);
      const i = this.jobIndex(job);
      if (g === undefined || i === undefined) return undefined;
      const ref = this.currentRef(this.tracks[this.slotTrack[g]], i, this.slotK[g]);
      return ref >= 0 ? this.idOfRef(ref) : undefined;
    },
    /** Status once every restart / re-point has ended (aggregates: from constituents' final statuses). */
    finalStatus: (buildId: number): number => {
      const loc = this.locate(buildId)!;
      if (this.changed[loc.g][loc.r] >= this.universe)
        return this.constituentsAt(loc.g, loc.r).every((c) => this.groundTruth.finalStatus(c) === 0) ? 0 : 1;
      return this.stateAt(loc.g, loc.r, Number.MAX_SAFE_INTEGER).final;
    },
    /** First-run status (before any restart). */
    firstStatus: (buildId: number): number => {
      const loc = this.locate(buildId)!;
      return this.status[loc.g][loc.r];
    },
    isRestarted: (buildId: number) => {
      const loc = this.locate(buildId)!;
      return this.fate(loc.g, loc.r).restarted;
    },
    isRepointed: (buildId: number) => {
      const loc = this.locate(buildId)!;
      return this.fate(loc.g, loc.r).repointed;
    },
    /** Job names whose outputs the staging jobset changes (its rebuild set, among its members). */
    stagingRebuildSet: (): Set<string> => {
      const out = new Set<string>();
      const main = this.tracks[0];
      for (let i = 0; i < this.universe; i++) if (this.inStagingRebuildSet(i) && this.member(main, i, this.stagingBaseK)) out.add(this.jobName(i));
      return out;
    },
    /** Main-jobset eval id the staging jobset branched from. */
    stagingBaseEvalId: (): number | undefined => (this.stagingBaseK >= 0 ? this.evalIdOf(this.tracks[0].g[this.stagingBaseK]) : undefined),
    /** SPEC section 6: candidate jobs with an output path not among the base eval's output paths. */
    rebuilds: (candidateEvalId: number, baseEvalId: number): Set<string> => {
      const basePaths = new Set<string>();
      for (const id of this.groundTruth.members(baseEvalId).values()) for (const p of this.outputsOfBuild(id)) basePaths.add(p);
      const out = new Set<string>();
      for (const [job, id] of this.groundTruth.members(candidateEvalId)) if (this.outputsOfBuild(id).some((p) => !basePaths.has(p))) out.add(job);
      return out;
    },
    /** Jobs whose final status is a failure in the candidate and success in the base (and the reverse). */
    newlyFailingAndFixed: (candidateEvalId: number, baseEvalId: number) => {
      const base = this.groundTruth.members(baseEvalId);
      const newlyFailing: string[] = [], newlyFixed: string[] = [];
      for (const [job, id] of this.groundTruth.members(candidateEvalId)) {
        const b = base.get(job);
        if (b === undefined) continue;
        const oc = outcomeOf({ finished: 1, buildstatus: this.groundTruth.finalStatus(id) });
        const ob = outcomeOf({ finished: 1, buildstatus: this.groundTruth.finalStatus(b) });
        if (oc === 'failure' && ob === 'success') newlyFailing.push(job);
        if (oc === 'success' && ob === 'failure') newlyFixed.push(job);
      }
      return { newlyFailing, newlyFixed };
    },
    /**
     * SPEC section 3 category of `job` in `evalId`, from the builds' states at now(). Evals
     * considered are the jobset's visible hasnewbuilds=1 evals from `oldestIngestedEvalId`
     * (default: the oldest visible one).
     */
    categoryOf: (evalId: number, job: string, opts: { oldestIngestedEvalId?: number } = {}): CategoryResult => {
      const g = this.slotOfEvalId(evalId)!;
      const tr = this.tracks[this.slotTrack[g]];
      const ingested = this.evalIds(tr.project, tr.name)
        .filter((id) => this.getEval(id)!.hasnewbuilds === 1 && id >= (opts.oldestIngestedEvalId ?? 0))
        .sort((a, b) => a - b);
      const pos = ingested.indexOf(evalId);
      if (pos < 0) throw new Error(`eval ${evalId} is not an ingested eval of ${tr.name}`);
      const buildId = this.groundTruth.buildOf(evalId, job);
      if (buildId === undefined) {
        const prev = pos > 0 ? this.groundTruth.buildOf(ingested[pos - 1], job) : undefined;
        return { category: prev === undefined ? null : 'removed', buildId: prev ?? null, baseline: null };
      }
      const o = outcomeOf(this.getBuild(buildId)!);
      let baseline: CategoryResult['baseline'] = null;
      for (let p = pos - 1; p >= 0 && !baseline; p--) {
        const b = this.groundTruth.buildOf(ingested[p], job);
        if (b === undefined) continue;
        const ob = outcomeOf(this.getBuild(b)!);
        if (ob === 'success' || ob === 'failure') baseline = { evalId: ingested[p], buildId: b, outcome: ob };
      }
      let category: Category;
      if (o === 'pending' || o === 'infra') category = o;
      else if (baseline) category = o === 'failure' ? (baseline.outcome === 'success' ? 'new_failure' : 'still_failing') : baseline.outcome === 'failure' ? 'fixed' : 'still_succeeding';
      else if (pos === 0) category = o === 'failure' ? 'failing' : 'succeeding';
      else category = o === 'failure' ? 'new_job_failing' : 'new_job';
      return { category, buildId, baseline };
    },
  };

  private outputsOfBuild(id: number): string[] {
    const loc = this.locate(id)!;
    const tr = this.tracks[this.slotTrack[loc.g]];
    return Object.values(this.outputsOf(tr.t, this.changed[loc.g][loc.r], this.slotK[loc.g]));
  }
}
