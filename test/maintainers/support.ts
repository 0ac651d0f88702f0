import type { JobsetHandle, ScriptedHydra } from '@zhf/sim';
import { newJobset } from '../support/collector.ts';

const X = 'x86_64-linux';
const A = 'aarch64-linux';

export interface PackagesJobset {
  /** A project name no other run shares: these tests read rows by project in a shared database. */
  project: string;
  sim: ScriptedHydra;
  js: JobsetHandle;
  /** pkg0, pkg1, … and python3Packages.requests (a nested attribute path). */
  pkgs: string[];
  /** One succeeding job per package on each of x86_64-linux and aarch64-linux. */
  jobs: Record<string, 'success'>;
}

/** A new sim whose jobset `project/unstable` builds `count` packages and python3Packages.requests on two systems. */
export function packagesJobset(start: number, prefix: string, count: number): PackagesJobset {
  const project = `${prefix}${process.pid % 1000}x${Math.floor(Math.random() * 1e6)}`;
  const { sim, js } = newJobset(start, project);
  const pkgs = Array.from({ length: count }, (_, i) => `pkg${i}`).concat(['python3Packages.requests']);
  const jobs = Object.fromEntries(pkgs.flatMap((p) => [[`${p}.${X}`, 'success' as const], [`${p}.${A}`, 'success' as const]]));
  return { project, sim, js, pkgs, jobs };
}
