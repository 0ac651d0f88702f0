/**
 * The rest of the Hydra instance: hydra.nixos.org builds many projects and jobsets besides the
 * ones a client follows, and its queue (`/api/queue`, ordered by priority DESC then id) often
 * holds 100k+ of their builds. `withOtherJobsets(data, opts)` adds that load to any `HydraData`:
 * a steady stream of other jobsets' builds, created at a constant rate and each finishing after
 * its own duration, so that about `queued` of them are unfinished at any moment of the clock.
 * Their ids lie below the wrapped data's (they are older, so at equal priority they come first
 * in the queue); a few have a higher priority. They are served by `/build/{id}`,
 * `/api/queue` and `/api/latestbuilds`; their jobsets are not listed anywhere else.
 *
 *   const gen = new GeneratedHydra({ jobsPerEval: 250_000, lifecycle: true });
 *   const sim = await startHydraSim(withOtherJobsets(gen, { queued: 100_000 }));
 */
import { type HydraData, type SimBuild, SYSTEMS, hash4, storeHash, unit4 } from './model.ts';

export interface OtherJobsetsOptions {
  /** Unfinished builds of other jobsets at any time (default 100_000). */
  queued?: number;
  /** Shortest and longest time (s) such a build stays unfinished (default 1 h and 3 days). */
  minDurationSec?: number;
  maxDurationSec?: number;
  /** Share of them with priority 200 instead of 100 (default 0.02). */
  highPriorityFraction?: number;
  /** Id of the first such build (default 100_000_000, below the simulator's own ids). */
  firstBuildId?: number;
  /** How far back (s) from the clock at wrapping the stream started (default 30 days). */
  historySec?: number;
  seed?: number;
}

const PROJECTS = ['nixos', 'nixpkgs', 'home-manager', 'nix', 'hydra', 'patchelf', 'disnix', 'nixos-hardware'];
const JOBSETS = ['release-25.05', 'release-25.11', 'staging-25.11', 'release-26.05', 'pr-checks', 'master', 'flake', 'small', 'nightly', 'aarch64'];
const PKGS = ['firefox', 'chromium', 'linux', 'glibc', 'llvm', 'rustc', 'ghc', 'qtwebengine', 'libreoffice', 'texlive', 'gcc', 'python3', 'nodejs', 'tests.boot', 'tests.installer'];

/** `data` plus the other jobsets' builds; everything else is `data`'s own. */
export function withOtherJobsets(source: HydraData | { data: HydraData }, opts: OtherJobsetsOptions = {}): HydraData {
  const data: HydraData = typeof (source as HydraData).getBuild === 'function' ? (source as HydraData) : (source as { data: HydraData }).data;
  const queued = opts.queued ?? 100_000;
  const minD = opts.minDurationSec ?? 3600;
  const maxD = opts.maxDurationSec ?? 3 * 86400;
  const high = opts.highPriorityFraction ?? 0.02;
  const base = opts.firstBuildId ?? 100_000_000;
  const seed = (opts.seed ?? 0x07e5) >>> 0;
  const origin = data.now() - (opts.historySec ?? 30 * 86400);
  // Arrivals every dt seconds, each unfinished for its duration: on average queued = meanDuration / dt.
  const dt = queued > 0 ? (minD + maxD) / 2 / queued : Infinity;
  const createdAt = (j: number) => origin + j * dt;
  const duration = (j: number) => minD + unit4(seed, j, 1) * (maxD - minD);
  const lastCreated = (t: number) => (queued > 0 ? Math.floor((t - origin) / dt) : -1);
  // Every id below the wrapped data's first (ids beyond are its own).
  const limit = Math.max(0, Math.min(lowestId(data) - base, 50_000_000));

  function foreign(id: number): SimBuild | undefined {
    const j = id - base;
    const t = data.now();
    if (j < 0 || j >= limit || j > lastCreated(t)) return undefined;
    const c = Math.floor(createdAt(j));
    const finished = c + duration(j) <= t;
    const h = hash4(seed, j, 2);
    const pkg = PKGS[h % PKGS.length];
    const system = SYSTEMS[(h >>> 8) & 3];
    const name = `${pkg.split('.').pop()}-${1 + ((h >>> 12) % 9)}.${(h >>> 16) % 10}`;
    const stop = Math.floor(c + duration(j));
    const status = finished ? (unit4(seed, j, 3) < 0.05 ? 1 : 0) : null;
    return {
      id,
      finished: finished ? 1 : 0,
      timestamp: c,
      starttime: finished ? stop - Math.min(3600, Math.floor(duration(j))) : null,
      stoptime: finished ? stop : null,
      project: PROJECTS[(h >>> 20) % PROJECTS.length],
      jobset: JOBSETS[(h >>> 24) % JOBSETS.length],
      job: `${pkg}.${system}`,
      nixname: name,
      system,
      priority: unit4(seed, j, 4) < high ? 200 : 100,
      buildstatus: status,
      releasename: null,
      drvpath: `/nix/store/${storeHash(seed, j, 0xd1)}-${name}.drv`,
      jobsetevals: [1_000_001 + 2 * Math.floor(j / 20_000)],
      buildoutputs: { out: { path: `/nix/store/${storeHash(seed, j, 1)}-${name}` } },
      buildproducts: {},
      buildmetrics: {},
    };
  }

  function* foreignUnfinished(): Generator<number> {
    const t = data.now();
    const hi = Math.min(lastCreated(t), limit - 1);
    const lo = Math.max(0, Math.floor((t - origin - maxD) / dt));
    for (let j = lo; j <= hi; j++) if (createdAt(j) + duration(j) > t) yield base + j;
  }

  function* foreignDescending(): Generator<number> {
    for (let j = Math.min(lastCreated(data.now()), limit - 1); j >= 0; j--) yield base + j;
  }

  function* ownDescending(): Generator<number> {
    if (data.buildIdsDescending) yield* data.buildIdsDescending();
    else for (let id = data.maxBuildId(); id >= base + limit && id > data.maxBuildId() - 2_000_000; id--) yield id;
  }

  function* merged(): Generator<number> {
    const a = ownDescending(), b = foreignDescending();
    let x = a.next(), y = b.next();
    while (!x.done || !y.done) {
      if (y.done || (!x.done && x.value > y.value)) {
        yield x.value as number;
        x = a.next();
      } else {
        yield y.value;
        y = b.next();
      }
    }
  }

  const isForeign = (id: number) => id >= base && id < base + limit;
  return {
    now: () => data.now(),
    projects: () => data.projects(),
    jobset: (p, n) => data.jobset(p, n),
    evalIds: (p, j) => data.evalIds(p, j),
    getEval: (id) => data.getEval(id),
    getBuild: (id) => (isForeign(id) ? foreign(id) : data.getBuild(id)),
    buildState: (id) => {
      if (isForeign(id)) return foreign(id);
      return data.buildState ? data.buildState(id) : data.getBuild(id);
    },
    constituents: (id) => (isForeign(id) ? [] : data.constituents(id)),
    maxBuildId: () => data.maxBuildId(),
    unfinishedBuildIds: function* () {
      yield* foreignUnfinished();
      if (data.unfinishedBuildIds) yield* data.unfinishedBuildIds();
      else for (const id of ownDescending()) if (data.getBuild(id)?.finished === 0) yield id;
    },
    queued: function* () {
      for (const id of foreignUnfinished()) yield { id, priority: unit4(seed, id - base, 4) < high ? 200 : 100 };
      if (data.queued) yield* data.queued();
      else if (data.unfinishedBuildIds) for (const id of data.unfinishedBuildIds()) yield { id, priority: data.getBuild(id)?.priority ?? 100 };
      else for (const id of ownDescending()) {
        const b = data.getBuild(id);
        if (b?.finished === 0) yield { id, priority: b.priority };
      }
    },
    renamedJobset: data.renamedJobset ? (p, n) => data.renamedJobset!(p, n) : undefined,
    failedSteps: data.failedSteps ? (id) => (isForeign(id) ? [] : data.failedSteps!(id)) : undefined,
    buildIdsDescending: () => merged(),
    buildOfDrv: data.buildOfDrv ? (drv) => data.buildOfDrv!(drv) : undefined,
    buildLog: data.buildLog ? (id) => data.buildLog!(id) : undefined,
    // Clock controls pass through, so /_sim/clock and tests move the wrapped data's clock.
    ...clockOf(source),
  } as HydraData;
}

function lowestId(data: HydraData): number {
  // The wrapped data's ids start above its maxBuildId minus its count; the generator and the
  // script both start at firstBuildId (300M by default): use the lowest id it serves.
  let lo = data.maxBuildId();
  if (data.buildIdsDescending) for (const id of data.buildIdsDescending()) lo = id;
  return lo;
}

function clockOf(data: object): { advance?: (s: number) => void; setClock?: (t: number) => void } {
  const d = data as { advance?: (s: number) => void; setClock?: (t: number) => void };
  const out: { advance?: (s: number) => void; setClock?: (t: number) => void } = {};
  if (typeof d.advance === 'function') out.advance = (s) => d.advance!(s);
  if (typeof d.setClock === 'function') out.setClock = (t) => d.setClock!(t);
  return out;
}
