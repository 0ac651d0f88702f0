// Mass-rebuild preflight (SPEC section 6): which jobs a candidate rebuilds, nixpkgs' labels for
// that, and what it means against the base eval's current outcomes. Linear in the job count.

import type { ChangedPaths } from './changed-paths.ts';
import { rebuildLabels, type Kernel } from './labels.ts';
import type { FailureKind, Outcome } from '@zhf/db/verdict';

export interface PreflightJob {
  job: string;
  system: string;
  /** Output store paths; empty when unknown. */
  outputs: string[];
  drvpath: string | null;
  outcome: Outcome | null;
  kind?: FailureKind | null;
  buildId?: number | null;
}

export interface PreflightItem {
  job: string;
  system: string;
  package: string;
  baseBuildId: number | null;
  candidateBuildId: number | null;
  baseOutcome: Outcome | null;
  candidateOutcome: Outcome | null;
  /** The candidate's failure kind when it fails, else the base's. */
  kind: FailureKind | null;
}

export interface KernelReport {
  systems: string[];
  /** Distinct package names rebuilt on any of the kernel's systems: the label count. */
  packages: number;
  labels: string[];
}

/** The impact lists of a report, in the order a slice's `truncated` names them. */
export const PREFLIGHT_LISTS = ['newlyBroken', 'newlyFixed', 'stillFailing', 'atRisk', 'mayFix', 'pending', 'infra', 'new'] as const;
export type PreflightList = (typeof PREFLIGHT_LISTS)[number];

export interface PreflightImpact {
  /** Rebuilt jobs green in the base now. */
  atRisk: PreflightItem[];
  /** Rebuilt jobs failing in the base now. */
  mayFix: PreflightItem[];
  /** Rebuilt jobs whose base build has no result yet (or an unknown one). */
  pending: PreflightItem[];
  /** Rebuilt jobs whose base build was aborted, timed out… */
  infra: PreflightItem[];
  /** Rebuilt jobs absent from the base. */
  new: PreflightItem[];
  /** Among rebuilt jobs where both sides have a verdict: base success → candidate failure. */
  newlyBroken: PreflightItem[];
  newlyFixed: PreflightItem[];
  stillFailing: PreflightItem[];
}

export interface PreflightReport {
  mode: 'evals' | 'changed-paths';
  /** Every system of either side (sorted), with its number of rebuilt jobs. */
  rebuildsBySystem: Record<string, number>;
  byKernel: Record<Kernel, KernelReport>;
  /**
   * Linux labels then darwin labels, then (for a changed-paths.json) the labels the file sets
   * beyond the counts: `10.rebuild-<kernel>-stdenv`, `10.rebuild-nixos-tests`.
   */
  labels: string[];
  /** Whether any candidate job has a success or failure, i.e. newlyBroken/newlyFixed/stillFailing mean something. */
  candidateResults: boolean;
  impact: PreflightImpact;
  /**
   * candidateJobs is null for a changed-paths.json, which lists only rebuilds. `unknownOutputs`:
   * candidate jobs neither rebuilt nor unchanged because a build of theirs on either side is
   * known only from its short record (no outputs, no derivation) so far; always 0 for a
   * changed-paths.json.
   */
  totals: { baseJobs: number; candidateJobs: number | null; rebuilt: number; unknownOutputs: number } & Record<keyof PreflightImpact, number>;
  notes: string[];
}

export function kernelOf(system: string): Kernel | null {
  if (system.endsWith('-linux')) return 'linux';
  if (system.endsWith('-darwin')) return 'darwin';
  return null;
}

/** `hello.x86_64-linux` → `hello`; aggregates such as `tested` have no suffix to strip. */
export function packageOf(job: string, system: string): string {
  const suffix = `.${system}`;
  return job.endsWith(suffix) ? job.slice(0, -suffix.length) : job;
}

/** A rebuilt job as either mode finds it; `candidate` is null when only its name is known. */
interface Rebuilt {
  job: string;
  system: string;
  package: string;
  candidate: PreflightSide | null;
  /** The base's job of that name (null: the base lacks it). */
  base: PreflightSide | null;
}

/** What the report needs of one side's job once the rebuild rule has been applied. */
export type PreflightSide = Pick<PreflightJob, 'job' | 'system' | 'outcome' | 'kind' | 'buildId'>;

/** A candidate job that rebuilds, with the base's job of the same name (null when the base lacks it). */
export interface RebuiltPair {
  candidate: PreflightSide;
  base: PreflightSide | null;
}

/**
 * The rebuild rule: a candidate job rebuilds when one of its output paths is found nowhere in
 * the base (whatever job built it there); without known outputs, when the base lacks the job or
 * has another derivation for it. `findRebuilds` is the in-memory form; the database computes
 * the same set in SQL (`preflightRebuildRows`), and a test holds the two equal.
 */
export function findRebuilds(base: PreflightJob[], candidate: PreflightJob[]): RebuiltPair[] {
  return classifyRebuilds(base, candidate).rebuilt;
}

/**
 * Whether a job's build says anything to compare: its outputs or at least its derivation. A
 * build known only from a short record (`/api/latestbuilds`: job and status, drvpath '') has
 * neither until its full record is fetched.
 */
export function isKnownBuild(j: Pick<PreflightJob, 'outputs' | 'drvpath'>): boolean {
  return j.outputs.length > 0 || !!j.drvpath;
}

/**
 * The rebuild rule, and the jobs it cannot decide yet: a candidate job present in the base
 * whose build on either side is not known (`isKnownBuild`) is neither rebuilt nor unchanged,
 * unless its own outputs are all found in the base (then it is unchanged whatever the base's
 * job of that name is). Short records compare as "no outputs, derivation ''" and would count
 * as rebuilt against any full record.
 */
export function classifyRebuilds(base: PreflightJob[], candidate: PreflightJob[]): { rebuilt: RebuiltPair[]; unknown: number } {
  const baseOutputs = new Set<string>();
  for (const b of base) for (const out of b.outputs) baseOutputs.add(out);
  const baseByJob = indexByJob(base);
  const rebuilt: RebuiltPair[] = [];
  let unknown = 0;
  for (const c of candidate) {
    const b = baseByJob.get(c.job);
    const rebuilds =
      c.outputs.length > 0 ? c.outputs.some((o) => !baseOutputs.has(o)) : b === undefined || b.drvpath !== c.drvpath;
    // Undecided: the rule would have to read a record zhf does not have yet.
    if (b !== undefined && (c.outputs.length === 0 || rebuilds) && (!isKnownBuild(c) || !isKnownBuild(b))) unknown++;
    else if (rebuilds) rebuilt.push({ candidate: c, base: b ?? null });
  }
  return { rebuilt, unknown };
}

export function computePreflight(input: { base: PreflightJob[]; candidate: PreflightJob[] }): PreflightReport {
  const { base, candidate } = input;
  const { rebuilt, unknown } = classifyRebuilds(base, candidate);
  return computePreflightFromRebuilds({
    rebuilt,
    unknown,
    baseJobs: base.length,
    candidateJobs: candidate.length,
    systems: [...systemsOf(base), ...systemsOf(candidate)],
    candidateResults: candidate.some((c) => c.outcome === 'success' || c.outcome === 'failure'),
  });
}

/**
 * The report of two evals from their rebuilt jobs alone (plus each side's size and systems, and
 * whether the candidate has any result): what the database hands over, so 250k-job evals never
 * travel whole.
 */
export function computePreflightFromRebuilds(input: {
  rebuilt: RebuiltPair[];
  /** Candidate jobs the rule cannot decide yet (`classifyRebuilds`); 0 when omitted. */
  unknown?: number;
  baseJobs: number;
  candidateJobs: number;
  /** Every system of either side. */
  systems: Iterable<string>;
  /** Whether any candidate job has a success or failure. */
  candidateResults: boolean;
}): PreflightReport {
  const rebuilt: Rebuilt[] = input.rebuilt.map(({ candidate: c, base: b }) => (
    { job: c.job, system: c.system, package: packageOf(c.job, c.system), candidate: c, base: b }));
  const notes = input.candidateResults
    ? []
    : ['The candidate eval has no build results yet: newly broken, newly fixed and still failing are empty.'];
  const unknown = input.unknown ?? 0;
  if (unknown > 0) {
    notes.push(`${unknown} jobs are not known yet: a build of theirs on either side has no outputs stored yet (only its short record), so they are counted neither as rebuilt nor as unchanged. Their full records follow at the polite budget.`);
  }
  return report({
    unknown,
    mode: 'evals',
    baseJobs: input.baseJobs,
    rebuilt,
    systems: input.systems,
    candidateJobs: input.candidateJobs,
    candidateResults: input.candidateResults,
    notes,
  });
}

export function computePreflightFromChangedPaths(input: { base: PreflightJob[]; changed: ChangedPaths }): PreflightReport {
  const { base, changed } = input;
  const baseByJob = indexByJob(base);
  const baseSystems = systemsOf(base);
  const notes = ['changed-paths.json carries no build results: newly broken, newly fixed and still failing are empty.'];
  const rebuilt: Rebuilt[] = [];
  const systems = new Set(baseSystems);
  const kernelPackages: Partial<Record<Kernel, Set<string>>> = {};

  if (changed.rebuildsByPlatform) {
    for (const [system, attrs] of Object.entries(changed.rebuildsByPlatform)) {
      systems.add(system);
      for (const attr of new Set(attrs)) rebuilt.push(rebuiltAttr(attr, system));
    }
  } else if (changed.rebuildsByKernel) {
    // Oldest form: the kernel's list is authoritative for the label count, but which of its
    // systems rebuild is only known through the base jobset.
    const unplaced = new Set<string>();
    for (const [kernel, attrs] of Object.entries(changed.rebuildsByKernel)) {
      if (kernel !== 'linux' && kernel !== 'darwin') continue;
      kernelPackages[kernel] = new Set(attrs);
      const found = expand(kernelPackages[kernel], [...baseSystems].filter((s) => kernelOf(s) === kernel));
      for (const attr of kernelPackages[kernel]) if (!found.has(attr)) unplaced.add(attr);
    }
    notes.push(
      'changed-paths.json has no rebuildsByPlatform (oldest form): each kernel\'s rebuilds were expanded to the ' +
        'base jobset\'s systems of that kernel where <attr>.<system> exists.',
    );
    if (unplaced.size > 0) {
      notes.push(`${unplaced.size} rebuilt attributes exist on none of the base's systems: counted in the labels only.`);
    }
  } else if (changed.attrdiff) {
    const attrs = new Set([...changed.attrdiff.changed, ...changed.attrdiff.added]);
    const found = expand(attrs, [...baseSystems]);
    notes.push(
      'changed-paths.json has no rebuild lists: rebuilds approximated by the changed and added attributes of attrdiff ' +
        'on every base system where <attr>.<system> exists.',
    );
    if (found.size < attrs.size) {
      notes.push(`${attrs.size - found.size} changed or added attributes exist in no base system and are not counted.`);
    }
  }

  const missing = [...systems].filter((s) => !baseSystems.has(s)).sort();
  if (missing.length > 0) {
    notes.push(`The base jobset does not build ${missing.join(', ')}: those rebuilds are counted but have no impact listed.`);
  }
  const r = report({
    mode: 'changed-paths',
    baseJobs: baseByJob.size,
    rebuilt,
    systems,
    candidateJobs: null,
    candidateResults: false,
    notes,
    kernelPackages,
    impactSystems: baseSystems,
  });
  return withFileLabels(r, changed.labels ?? []);

  function rebuiltAttr(attr: string, system: string): Rebuilt {
    const job = `${attr}.${system}`;
    return { job, system, package: attr, candidate: null, base: baseByJob.get(job) ?? null };
  }

  /** Adds `<attr>.<system>` for every given system where the base has that job; returns the attrs placed. */
  function expand(attrs: Set<string>, onSystems: string[]): Set<string> {
    const found = new Set<string>();
    for (const attr of attrs) {
      for (const system of onSystems) {
        if (!baseByJob.has(`${attr}.${system}`)) continue;
        rebuilt.push(rebuiltAttr(attr, system));
        found.add(attr);
      }
    }
    return found;
  }
}

/** A rebuild-count label (`10.rebuild-linux: 11-100`): zhf counts these itself. */
const COUNT_LABEL = /^10\.rebuild-(linux|darwin): /;

/**
 * The labels the file sets that no count gives: `10.rebuild-<kernel>-stdenv` (the PR rebuilds
 * stdenv) and `10.rebuild-nixos-tests` (it rebuilds NixOS tests), which nixpkgs CI decides from
 * what it evaluated. They join the report's labels (and their kernel's); when the file's own
 * count labels differ from the counted ones, a note says so.
 */
function withFileLabels(r: PreflightReport, fileLabels: string[]): PreflightReport {
  const flags = [...new Set(fileLabels.filter((l) => l.startsWith('10.rebuild-') && !COUNT_LABEL.test(l)))].sort();
  const notes = [...r.notes];
  for (const kernel of ['linux', 'darwin'] as const) {
    const theirs = fileLabels.filter((l) => l.startsWith(`10.rebuild-${kernel}: `)).sort();
    const ours = [...r.byKernel[kernel].labels].sort();
    if (theirs.length && theirs.join() !== ours.join()) {
      notes.push(`changed-paths.json sets ${theirs.join(', ')}; counted from its lists: ${ours.join(', ')}.`);
    }
  }
  const byKernel = { ...r.byKernel };
  for (const kernel of ['linux', 'darwin'] as const) {
    const own = flags.filter((l) => l.startsWith(`10.rebuild-${kernel}-`));
    if (own.length) byKernel[kernel] = { ...byKernel[kernel], labels: [...byKernel[kernel].labels, ...own] };
  }
  return { ...r, byKernel, labels: [...r.labels, ...flags], notes };
}

function report(args: {
  mode: PreflightReport['mode'];
  /** Candidate jobs neither rebuilt nor unchanged: a side's build is not known yet. */
  unknown?: number;
  baseJobs: number;
  rebuilt: Rebuilt[];
  systems: Iterable<string>;
  candidateJobs: number | null;
  candidateResults: boolean;
  notes: string[];
  /** Label counts given by the input instead of derived from the rebuilt jobs. */
  kernelPackages?: Partial<Record<Kernel, Set<string>>>;
  /** Only rebuilt jobs of these systems get an impact (default: all). */
  impactSystems?: Set<string>;
}): PreflightReport {
  const { rebuilt } = args;
  const rebuildsBySystem: Record<string, number> = {};
  for (const s of [...new Set(args.systems)].sort()) rebuildsBySystem[s] = 0;
  const derived: Record<Kernel, Set<string>> = { linux: new Set(), darwin: new Set() };
  const impact: PreflightImpact = {
    atRisk: [], mayFix: [], pending: [], infra: [], new: [], newlyBroken: [], newlyFixed: [], stillFailing: [],
  };

  for (const r of rebuilt) {
    rebuildsBySystem[r.system] = (rebuildsBySystem[r.system] ?? 0) + 1;
    const kernel = kernelOf(r.system);
    if (kernel) derived[kernel].add(r.package);
    if (args.impactSystems && !args.impactSystems.has(r.system)) continue;

    const b = r.base;
    const c = r.candidate;
    const item: PreflightItem = {
      job: r.job,
      system: r.system,
      package: r.package,
      baseBuildId: b?.buildId ?? null,
      candidateBuildId: c?.buildId ?? null,
      baseOutcome: b?.outcome ?? null,
      candidateOutcome: c?.outcome ?? null,
      kind: (c?.outcome === 'failure' ? c.kind : b?.outcome === 'failure' ? b.kind : null) ?? null,
    };
    if (!b) impact.new.push(item);
    else if (b.outcome === 'success') impact.atRisk.push(item);
    else if (b.outcome === 'failure') impact.mayFix.push(item);
    else if (b.outcome === 'infra') impact.infra.push(item);
    else impact.pending.push(item);

    if (b?.outcome === 'success' && c?.outcome === 'failure') impact.newlyBroken.push(item);
    else if (b?.outcome === 'failure' && c?.outcome === 'success') impact.newlyFixed.push(item);
    else if (b?.outcome === 'failure' && c?.outcome === 'failure') impact.stillFailing.push(item);
  }

  const systems = Object.keys(rebuildsBySystem);
  const kernelReport = (kernel: Kernel): KernelReport => {
    const packages = (args.kernelPackages?.[kernel] ?? derived[kernel]).size;
    return { systems: systems.filter((s) => kernelOf(s) === kernel), packages, labels: rebuildLabels(kernel, packages) };
  };
  const byKernel = { linux: kernelReport('linux'), darwin: kernelReport('darwin') };

  for (const list of Object.values(impact)) list.sort(byJob);
  const totals = {
    baseJobs: args.baseJobs,
    candidateJobs: args.candidateJobs,
    rebuilt: rebuilt.length,
    unknownOutputs: args.unknown ?? 0,
    atRisk: impact.atRisk.length,
    mayFix: impact.mayFix.length,
    pending: impact.pending.length,
    infra: impact.infra.length,
    new: impact.new.length,
    newlyBroken: impact.newlyBroken.length,
    newlyFixed: impact.newlyFixed.length,
    stillFailing: impact.stillFailing.length,
  };
  return {
    mode: args.mode,
    rebuildsBySystem,
    byKernel,
    labels: [...byKernel.linux.labels, ...byKernel.darwin.labels],
    candidateResults: args.candidateResults,
    impact,
    totals,
    notes: args.notes,
  };
}

function indexByJob(jobs: PreflightJob[]): Map<string, PreflightJob> {
  const map = new Map<string, PreflightJob>();
  for (const j of jobs) map.set(j.job, j);
  return map;
}

function systemsOf(jobs: PreflightJob[]): Set<string> {
  const systems = new Set<string>();
  for (const j of jobs) systems.add(j.system);
  return systems;
}

// Code-unit order: deterministic and locale-independent, and fast on 250k items.
function byJob(a: PreflightItem, b: PreflightItem): number {
  return a.job < b.job ? -1 : a.job > b.job ? 1 : a.system < b.system ? -1 : a.system > b.system ? 1 : 0;
}
