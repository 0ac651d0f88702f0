/**
 * ScriptedHydra: exact, hand-written Hydra histories for tests.
 *
 *   const sim = new ScriptedHydra({ start: Date.UTC(2026, 10, 2) / 1000 });
 *   const js = sim.jobset('nixpkgs', 'unstable');
 *   const e1 = sim.eval(js, { jobs: { 'hello.x86_64-linux': 'success', 'foo.x86_64-linux': { status: 1 } } });
 *   const e2 = sim.eval(js, { jobs: { 'hello.x86_64-linux': 'reuse', 'foo.x86_64-linux': 'pending' } });
 *   sim.finish(e2.buildOf('foo.x86_64-linux'), 0);
 *
 * Job values: 'success' (0) | 'failure' (1) | 'dep' (2) | 'pending' | 'reuse' (the build this job
 * had in the jobset's previous eval) | JobSpec. A finished status without `finishAt` is finished
 * when the eval appears; with `finishAt` it is pending until then. Eval ids are global and
 * increasing; build ids too. All times are epoch seconds on the simulated clock.
 */
import {
  type HydraData,
  type SimBuild,
  type SimBuildMetric,
  type SimBuildProduct,
  type SimEval,
  type SimFailedStep,
  type SimJobset,
  type SimProject,
  defaultJobset,
  defaultProject,
  hashString,
  hexRevision,
  splitJob,
  storeHash,
} from './model.ts';

export interface JobSpec {
  /** null = pending until `sim.finish`. */
  status: number | null;
  /** Pending until this time, then finished with `status`. */
  finishAt?: number;
  drv?: string;
  /** output name -> store path; default `{ out: <derived path> }`. */
  outputs?: Record<string, string>;
  nixname?: string;
  products?: Record<string, SimBuildProduct>;
  metrics?: Record<string, SimBuildMetric>;
  /** For status 2: the build whose failure propagated (shown on the HTML build page). */
  depFailedOn?: number;
  /** The HTML build page's failed steps as given (several rows, no propagated link, …), instead of `depFailedOn`'s. */
  failedSteps?: SimFailedStep[];
  /** Hydra's scheduling priority (default 100); /api/queue orders by it, highest first. */
  priority?: number;
}

export type JobValue = 'success' | 'failure' | 'dep' | 'pending' | 'reuse' | JobSpec;

export interface JobsetHandle {
  project: string;
  name: string;
}

export interface EvalHandle {
  id: number;
  revision: string;
  timestamp: number;
  jobset: JobsetHandle;
  /** Build id of `job` in this eval; throws if the job is not a member. */
  buildOf(job: string): number;
  jobs(): string[];
}

export interface EvalOptions {
  jobs: Record<string, JobValue>;
  revision?: string;
  /** Creation time; an eval in the future stays invisible until the clock reaches it. */
  at?: number;
  /** Aggregate jobs created with the eval: name -> constituent job names (status success). */
  aggregates?: Record<string, string[]>;
  /** Override the computed flag (1 when the eval created at least one build). */
  hasnewbuilds?: 0 | 1;
}

// One state of a build from time `from` on; a build's state at t is its last phase with from <= t.
interface Phase {
  from: number;
  finished: 0 | 1;
  status: number | null;
  start: number | null;
  stop: number | null;
  drv: string;
}

interface ScriptBuild {
  id: number;
  project: string;
  jobset: string;
  job: string;
  system: string;
  nixname: string;
  timestamp: number;
  outputs: Record<string, string>;
  products: Record<string, SimBuildProduct>;
  metrics: Record<string, SimBuildMetric>;
  phases: Phase[];
  evals: number[];
  constituents: number[];
  depFailedOn?: number;
  failedSteps?: SimFailedStep[];
  priority: number;
}

interface ScriptEval {
  id: number;
  project: string;
  jobset: string;
  at: number;
  revision: string;
  members: Map<string, number>;
  hasnewbuilds: 0 | 1;
}

export interface ScriptedHydraOptions {
  /** Initial clock, epoch seconds. */
  start: number;
  firstEvalId?: number;
  firstBuildId?: number;
}

export class ScriptedHydra {
  /** What the server reads (`startHydraSim(sim, ...)` accepts the sim itself too). */
  readonly data: HydraData;
  private clock: number;
  private nextEvalId: number;
  private nextBuildId: number;
  private readonly projectsMap = new Map<string, { project: SimProject; jobsets: Map<string, SimJobset> }>();
  private readonly renames = new Map<string, string>();
  private readonly evals = new Map<number, ScriptEval>();
  private readonly builds = new Map<number, ScriptBuild>();
  private readonly lastEvalOf = new Map<string, ScriptEval>();
  private readonly logs = new Map<number, string>();

  constructor(opts: ScriptedHydraOptions) {
    this.clock = opts.start;
    this.nextEvalId = opts.firstEvalId ?? 1_800_000;
    this.nextBuildId = opts.firstBuildId ?? 300_000_000;
    // HydraData.jobset(p, n) reads; the scripting `jobset(p, n)` creates: hence a separate view.
    this.data = {
      now: () => this.now(),
      projects: () => this.projects(),
      jobset: (p, n) => this.jobsetInfo(p, n),
      evalIds: (p, j) => this.evalIds(p, j),
      getEval: (id) => this.getEval(id),
      getBuild: (id) => this.getBuild(id),
      constituents: (id) => this.constituents(id),
      maxBuildId: () => this.maxBuildId(),
      renamedJobset: (p, n) => this.renamedJobset(p, n),
      failedSteps: (id) => this.failedSteps(id),
      unfinishedBuildIds: () => [...this.builds.values()].filter((b) => this.getBuild(b.id)?.finished === 0).map((b) => b.id),
      buildIdsDescending: () => [...this.builds.keys()].sort((a, b) => b - a),
      buildOfDrv: (drv) => this.buildOfDrv(drv),
      buildLog: (id) => this.logs.get(id),
    };
  }

  // ---- scripting API ----

  /** Creates (or returns) a project/jobset with a git input `nixpkgs`. */
  jobset(project: string, name: string, over: Partial<SimJobset> = {}): JobsetHandle {
    let p = this.projectsMap.get(project);
    if (!p) {
      p = { project: defaultProject(project, []), jobsets: new Map() };
      this.projectsMap.set(project, p);
    }
    if (!p.jobsets.has(name)) {
      p.jobsets.set(name, defaultJobset(project, name, { lastcheckedtime: this.clock, ...over }));
      p.project.jobsets.push(name);
    }
    return { project, name };
  }

  /** Renames a jobset: the old name answers 301 to the new one; its evals and builds follow. */
  renameJobset(js: JobsetHandle, newName: string): JobsetHandle {
    const p = this.projectsMap.get(js.project)!;
    const j = p.jobsets.get(js.name)!;
    p.jobsets.delete(js.name);
    j.name = newName;
    p.jobsets.set(newName, j);
    p.project.jobsets = p.project.jobsets.map((n) => (n === js.name ? newName : n));
    this.renames.set(`${js.project}/${js.name}`, newName);
    for (const e of this.evals.values()) if (e.project === js.project && e.jobset === js.name) e.jobset = newName;
    for (const b of this.builds.values()) if (b.project === js.project && b.jobset === js.name) b.jobset = newName;
    const last = this.lastEvalOf.get(`${js.project}/${js.name}`);
    if (last) this.lastEvalOf.set(`${js.project}/${newName}`, last);
    js.name = newName;
    return js;
  }

  /** Sets a jobset's fields (e.g. checkinterval: 0 to pause it). */
  updateJobset(js: JobsetHandle, over: Partial<SimJobset>): void {
    Object.assign(this.projectsMap.get(js.project)!.jobsets.get(js.name)!, over);
  }

  eval(js: JobsetHandle, opts: EvalOptions): EvalHandle {
    const key = `${js.project}/${js.name}`;
    const prev = this.lastEvalOf.get(key);
    const at = opts.at ?? this.clock;
    const e: ScriptEval = {
      id: this.nextEvalId++,
      project: js.project,
      jobset: js.name,
      at,
      revision: opts.revision ?? hexRevision(this.nextEvalId - 1, 0x7e5),
      members: new Map(),
      hasnewbuilds: 0,
    };
    this.evals.set(e.id, e);
    let created = false;
    for (const [job, value] of Object.entries(opts.jobs)) {
      if (value === 'reuse') {
        const id = prev?.members.get(job);
        if (id === undefined) throw new Error(`reuse: ${job} is not in the previous eval of ${key}`);
        e.members.set(job, id);
        this.builds.get(id)!.evals.push(e.id);
      } else {
        e.members.set(job, this.createBuild(e, job, value).id);
        created = true;
      }
    }
    for (const [name, jobs] of Object.entries(opts.aggregates ?? {})) {
      this.addAggregate(e, name, jobs, 'success');
      created = true;
    }
    e.hasnewbuilds = opts.hasnewbuilds ?? (created ? 1 : 0);
    this.lastEvalOf.set(key, e);
    return this.handle(e);
  }

  /** Adds an aggregate job (e.g. `tested`) to an existing eval, with the given constituents. */
  aggregate(ev: EvalHandle, name: string, jobs: string[], value: JobValue = 'success'): number {
    const e = this.evals.get(ev.id)!;
    const id = this.addAggregate(e, name, jobs, value);
    e.hasnewbuilds = 1;
    return id;
  }

  /** Finishes a build now with `status` (drops any scheduled finish). */
  finish(buildId: number, status: number): void {
    const b = this.mustBuild(buildId);
    const cur = this.truncate(b);
    b.phases.push({ from: this.clock, finished: 1, status, start: cur.finished ? this.clock : (cur.start ?? this.clock), stop: this.clock, drv: cur.drv });
  }

  /**
   * Restarts a build now: finished 0, keeping its old status and times until the rebuild ends.
   * With `status` the rebuild ends at `finishAt` (default now + 60 s); without, call `finish`.
   */
  restart(buildId: number, opts: { status?: number; finishAt?: number } = {}): void {
    const b = this.mustBuild(buildId);
    const cur = this.truncate(b);
    b.phases.push({ ...cur, from: this.clock, finished: 0 });
    if (opts.status !== undefined) {
      const t = opts.finishAt ?? this.clock + 60;
      b.phases.push({ from: t, finished: 1, status: opts.status, start: this.clock, stop: t, drv: cur.drv });
    }
  }

  /** Re-points a reused build now: same id and outputs, new drvpath, finished 0, status null. */
  repoint(buildId: number, opts: { drv?: string; status?: number; finishAt?: number } = {}): string {
    const b = this.mustBuild(buildId);
    this.truncate(b);
    const drv = opts.drv ?? `/nix/store/${storeHash(hashString(b.job), b.phases.length, 0xd7)}-${b.nixname}.drv`;
    b.phases.push({ from: this.clock, finished: 0, status: null, start: null, stop: null, drv });
    if (opts.status !== undefined) {
      const t = opts.finishAt ?? this.clock + 60;
      b.phases.push({ from: t, finished: 1, status: opts.status, start: this.clock, stop: t, drv });
    }
    return drv;
  }

  advance(seconds: number): void {
    this.clock += seconds;
  }

  setClock(t: number): void {
    this.clock = t;
  }

  // ---- HydraData ----

  now(): number {
    return this.clock;
  }

  projects(): SimProject[] {
    return [...this.projectsMap.values()].map((p) => p.project);
  }

  jobsetInfo(project: string, name: string): SimJobset | undefined {
    return this.projectsMap.get(project)?.jobsets.get(name);
  }

  evalIds(project: string, jobset: string): number[] {
    const ids: number[] = [];
    for (const e of this.evals.values()) if (e.project === project && e.jobset === jobset && e.at <= this.clock) ids.push(e.id);
    return ids.sort((a, b) => b - a);
  }

  getEval(id: number): SimEval | undefined {
    const e = this.evals.get(id);
    if (!e || e.at > this.clock) return undefined;
    const ids = [...e.members.values()];
    return {
      id: e.id,
      project: e.project,
      jobset: e.jobset,
      timestamp: e.at,
      checkouttime: 2,
      evaltime: 30,
      hasnewbuilds: e.hasnewbuilds,
      flake: null,
      inputs: {
        nixpkgs: { type: 'git', uri: 'https://github.com/NixOS/nixpkgs.git', revision: e.revision, value: null, dependency: null },
        officialRelease: { type: 'boolean', uri: null, revision: null, value: 'false', dependency: null },
      },
      buildIds: () => ids,
      buildCount: ids.length,
    };
  }

  getBuild(id: number): SimBuild | undefined {
    const b = this.builds.get(id);
    if (!b) return undefined;
    const evals = b.evals.filter((e) => this.evals.get(e)!.at <= this.clock).sort((x, y) => x - y);
    if (evals.length === 0) return undefined;
    const p = this.phaseAt(b, this.clock);
    const outputs: SimBuild['buildoutputs'] = {};
    for (const [name, path] of Object.entries(b.outputs)) outputs[name] = { path };
    return {
      id: b.id,
      finished: p.finished,
      timestamp: b.timestamp,
      starttime: p.start,
      stoptime: p.stop,
      project: b.project,
      jobset: b.jobset,
      job: b.job,
      nixname: b.nixname,
      system: b.system,
      priority: b.priority,
      buildstatus: p.status,
      releasename: null,
      drvpath: p.drv,
      jobsetevals: evals,
      buildoutputs: outputs,
      buildproducts: p.finished ? b.products : {},
      buildmetrics: p.finished ? b.metrics : {},
    };
  }

  constituents(buildId: number): number[] {
    return this.builds.get(buildId)?.constituents ?? [];
  }

  maxBuildId(): number {
    return this.nextBuildId - 1;
  }

  renamedJobset(project: string, name: string): string | undefined {
    return this.renames.get(`${project}/${name}`);
  }

  failedSteps(buildId: number): SimFailedStep[] {
    const b = this.builds.get(buildId);
    if (b?.failedSteps) return b.failedSteps;
    if (!b || b.depFailedOn === undefined) return [];
    const dep = this.builds.get(b.depFailedOn);
    // The failing derivation is the one at the end of the chain (dep -> dep -> the build that failed itself).
    let root = dep;
    for (let n = 0; root?.depFailedOn !== undefined && n < 100; n++) root = this.builds.get(root.depFailedOn);
    const drv = root ? this.phaseAt(root, this.clock).drv : undefined;
    return [{ nr: 1, outputs: root ? Object.values(root.outputs) : [], status: 'Cached failure', propagatedFrom: b.depFailedOn, drvpath: drv, stepBuildId: root?.id }];
  }

  /** Gives a build its own log text (otherwise the server writes one from the build). */
  setLog(buildId: number, text: string): void {
    this.logs.set(buildId, text);
  }

  /** The build whose derivation (now) is `drv`. */
  buildOfDrv(drv: string): number | undefined {
    for (const b of this.builds.values()) if (this.phaseAt(b, this.clock).drv === drv) return b.id;
    return undefined;
  }

  // ---- internals ----

  private handle(e: ScriptEval): EvalHandle {
    return {
      id: e.id,
      revision: e.revision,
      timestamp: e.at,
      jobset: { project: e.project, name: e.jobset },
      buildOf: (job) => {
        const id = e.members.get(job);
        if (id === undefined) throw new Error(`${job} is not a member of eval ${e.id}`);
        return id;
      },
      jobs: () => [...e.members.keys()],
    };
  }

  private createBuild(e: ScriptEval, job: string, value: Exclude<JobValue, 'reuse'>): ScriptBuild {
    const spec: JobSpec =
      value === 'success' ? { status: 0 } : value === 'failure' ? { status: 1 } : value === 'dep' ? { status: 2 } : value === 'pending' ? { status: null } : value;
    const id = this.nextBuildId++;
    const { pkg, system } = splitJob(job);
    const nixname = spec.nixname ?? `${pkg.split('.').pop()}-1.0`;
    const drv = spec.drv ?? `/nix/store/${storeHash(hashString(job), id, 0xd7)}-${nixname}.drv`;
    const outputs = spec.outputs ?? { out: `/nix/store/${storeHash(hashString(job), id)}-${nixname}` };
    const phases: Phase[] = [];
    if (spec.status === null) phases.push({ from: e.at, finished: 0, status: null, start: null, stop: null, drv });
    else if (spec.finishAt !== undefined && spec.finishAt > e.at) {
      phases.push({ from: e.at, finished: 0, status: null, start: null, stop: null, drv });
      phases.push({ from: spec.finishAt, finished: 1, status: spec.status, start: e.at, stop: spec.finishAt, drv });
    } else phases.push({ from: e.at, finished: 1, status: spec.status, start: e.at, stop: e.at, drv });
    const b: ScriptBuild = {
      id,
      project: e.project,
      jobset: e.jobset,
      job,
      system: system ?? 'x86_64-linux',
      nixname,
      timestamp: e.at,
      outputs,
      products: spec.products ?? {},
      metrics: spec.metrics ?? {},
      phases,
      evals: [e.id],
      constituents: [],
      depFailedOn: spec.depFailedOn,
      failedSteps: spec.failedSteps,
      priority: spec.priority ?? 100,
    };
    this.builds.set(id, b);
    return b;
  }

  private addAggregate(e: ScriptEval, name: string, jobs: string[], value: JobValue): number {
    const constituents = jobs.map((j) => {
      const id = e.members.get(j);
      if (id === undefined) throw new Error(`aggregate ${name}: ${j} is not a member of eval ${e.id}`);
      return id;
    });
    const spec = value === 'reuse' ? 'success' : value;
    const b = this.createBuild(e, name, typeof spec === 'string' ? spec : { nixname: name, ...spec });
    b.nixname = name;
    b.constituents = constituents;
    e.members.set(name, b.id);
    return b.id;
  }

  private mustBuild(id: number): ScriptBuild {
    const b = this.builds.get(id);
    if (!b) throw new Error(`no build ${id}`);
    return b;
  }

  /** Drops phases scheduled after now (a new action overrides them); returns the state now. */
  private truncate(b: ScriptBuild): Phase {
    const cur = this.phaseAt(b, this.clock);
    b.phases = b.phases.filter((p) => p.from <= this.clock);
    return cur;
  }

  private phaseAt(b: ScriptBuild, t: number): Phase {
    let cur = b.phases[0];
    for (const p of b.phases) if (p.from <= t) cur = p;
    return cur;
  }
}

