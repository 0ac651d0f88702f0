// nixpkgs-review's report.json (ECOSYSTEM-FORMATS.md): the multi-system form (since 2024-10) and
// the older single-system form, where every key but the lists may be missing.

import { isObject, Malformed, parseWith, type ParseResult } from './parsing.ts';

export type ReviewStatus = 'failed' | 'built' | 'broken' | 'blacklisted' | 'non-existent' | 'tests';

export interface ReviewPackage {
  /** nixpkgs attribute path without the system; the Hydra job is `${attr}.${system}`. */
  attr: string;
  system: string;
  status: ReviewStatus;
  /** Other names of the same package (development versions since mid-2026); usually empty. */
  aliases: string[];
}

export interface ReviewReport {
  pr: number | null;
  commit: string | null;
  /**
   * The package set built (`--pkgs`, nixpkgs-review 3.8+: `pkgsCross.<platform>`, `pkgsMusl`,
   * `pkgsStatic`); null for the native set (`pkgs`, or a file that does not say).
   */
  pkgs: string | null;
  systems: string[];
  packages: ReviewPackage[];
}

const STATUSES: readonly ReviewStatus[] = ['failed', 'built', 'broken', 'blacklisted', 'non-existent', 'tests'];
/** The key spelled "non-existant" before 2023-08. */
const MISSPELLED_NON_EXISTENT = 'non-existant';

/**
 * `defaultSystem` is used for a single-system file that does not say which system it was built
 * on; without it such a file is rejected, since a package without a system names no Hydra job.
 */
export function parseReviewReport(
  json: unknown,
  opts: { defaultSystem?: string } = {},
): ParseResult<ReviewReport> {
  return parseWith(() => {
    if (!isObject(json)) throw new Malformed('report.json must be a JSON object');
    const pr = json.pr ?? null;
    if (pr !== null && !(typeof pr === 'number' && Number.isInteger(pr) && pr > 0)) {
      throw new Malformed('pr must be a pull-request number or null');
    }
    const commit = json.commit ?? null;
    if (commit !== null && typeof commit !== 'string') throw new Malformed('commit must be a string or null');
    const pkgs = packageSetOf(json.pkgs);

    if (json.result !== undefined) {
      if (!isObject(json.result)) throw new Malformed('result must be an object of system → lists');
      const listed = json.systems === undefined ? [] : stringList(json.systems, 'systems');
      // Systems in the order the file lists them, then any only present in result.
      const systems = [...new Set([...listed, ...Object.keys(json.result)])];
      const packages: ReviewPackage[] = [];
      for (const system of systems) {
        const lists = json.result[system];
        if (lists === undefined) continue;
        if (!isObject(lists)) throw new Malformed(`result.${system} must be an object of lists`);
        packages.push(...packagesOf(lists, system, `result.${system}.`));
      }
      return { pr, commit, pkgs, systems, packages };
    }

    const hasList = [...STATUSES, MISSPELLED_NON_EXISTENT].some((k) => json[k] !== undefined);
    if (!hasList) {
      throw new Malformed('not a nixpkgs-review report.json: it has neither result nor failed/built lists');
    }
    const system = json.system ?? opts.defaultSystem;
    if (system === undefined) {
      throw new Malformed('report.json has no "system" key: pass the system it was built on');
    }
    if (typeof system !== 'string' || system === '') throw new Malformed('system must be a system name such as x86_64-linux');
    return { pr, commit, pkgs, systems: [system], packages: packagesOf(json, system, '') };
  });
}

const PACKAGE_SET = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z0-9_'-]+)*$/;

/** `pkgs` (or a missing key, null, "") is the native package set: null. */
export function packageSetOf(v: unknown): string | null {
  if (v === undefined || v === null || v === '' || v === 'pkgs') return null;
  if (typeof v !== 'string' || v.length > 200 || !PACKAGE_SET.test(v)) {
    throw new Malformed('pkgs must be a package set such as pkgsCross.aarch64-multiplatform, pkgsMusl or null');
  }
  return v;
}

function stringList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Malformed(`${path} must be an array of strings`);
  return v;
}

function packagesOf(lists: Record<string, unknown>, system: string, prefix: string): ReviewPackage[] {
  const out: ReviewPackage[] = [];
  for (const status of STATUSES) {
    const keys = status === 'non-existent' ? [status, MISSPELLED_NON_EXISTENT] : [status];
    for (const key of keys) {
      const list = lists[key];
      if (list === undefined) continue;
      const path = `${prefix}${key}`;
      if (!Array.isArray(list)) throw new Malformed(`${path} must be an array of attribute names or {name, aliases} entries`);
      for (const entry of list) out.push({ ...entryOf(entry, path), system, status });
    }
  }
  return out;
}

/** An entry is a plain attribute name, or `{name, aliases}` in nixpkgs-review's development version. */
function entryOf(entry: unknown, path: string): { attr: string; aliases: string[] } {
  if (typeof entry === 'string') return { attr: entry, aliases: [] };
  if (isObject(entry) && typeof entry.name === 'string') {
    const aliases = entry.aliases === undefined ? [] : stringList(entry.aliases, `${path}[].aliases`);
    return { attr: entry.name, aliases };
  }
  throw new Malformed(`${path} must be an array of attribute names or {name, aliases} entries`);
}
