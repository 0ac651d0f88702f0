// nixpkgs CI's changed-paths.json (ECOSYSTEM-FORMATS.md), every historical variant.
// Keys unknown to us are ignored so that newer files still parse.

import { isObject, Malformed, parseWith, type ParseResult } from './parsing.ts';

export interface AttrDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Absent keys are null: older files carry fewer of them. */
export interface ChangedPaths {
  attrdiff: AttrDiff | null;
  attrdiffByKernel: Record<string, AttrDiff> | null;
  attrdiffByPlatform: Record<string, AttrDiff> | null;
  /** system → attribute names (without the system) with an output path new to the base. */
  rebuildsByPlatform: Record<string, string[]> | null;
  /** kernel (`linux`, `darwin`) → attribute names; the oldest form has only this. */
  rebuildsByKernel: Record<string, string[]> | null;
  rebuildCountByKernel: Record<string, number> | null;
  /** The labels the file sets, whether it wrote them as `{label: true}` or as a list. */
  labels: string[] | null;
}

export function parseChangedPaths(json: unknown): ParseResult<ChangedPaths> {
  return parseWith(() => {
    if (!isObject(json)) throw new Malformed('changed-paths.json must be a JSON object');
    const value: ChangedPaths = {
      attrdiff: json.attrdiff === undefined ? null : attrDiff(json.attrdiff, 'attrdiff'),
      attrdiffByKernel: optionalRecord(json, 'attrdiffByKernel', attrDiff),
      attrdiffByPlatform: optionalRecord(json, 'attrdiffByPlatform', attrDiff),
      rebuildsByPlatform: optionalRecord(json, 'rebuildsByPlatform', attrNames),
      rebuildsByKernel: optionalRecord(json, 'rebuildsByKernel', attrNames),
      rebuildCountByKernel: optionalRecord(json, 'rebuildCountByKernel', count),
      labels: json.labels === undefined ? null : labels(json.labels),
    };
    if (!value.attrdiff && !value.rebuildsByPlatform && !value.rebuildsByKernel) {
      throw new Malformed(
        'not a changed-paths.json: it has none of attrdiff, rebuildsByPlatform, rebuildsByKernel',
      );
    }
    return value;
  });
}

function optionalRecord<T>(
  parent: Record<string, unknown>,
  key: string,
  item: (v: unknown, path: string) => T,
): Record<string, T> | null {
  const v = parent[key];
  if (v === undefined) return null;
  if (!isObject(v)) throw new Malformed(`${key} must be an object`);
  const out: Record<string, T> = {};
  for (const [k, entry] of Object.entries(v)) out[k] = item(entry, `${key}.${k}`);
  return out;
}

function attrNames(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new Malformed(`${path} must be an array of attribute names`);
  }
  return v;
}

function attrDiff(v: unknown, path: string): AttrDiff {
  if (!isObject(v)) throw new Malformed(`${path} must be an object with added, changed, removed`);
  // A diff that omits a list has nothing in it.
  const list = (k: string) => (v[k] === undefined ? [] : attrNames(v[k], `${path}.${k}`));
  return { added: list('added'), changed: list('changed'), removed: list('removed') };
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Malformed(`${path} must be a non-negative integer`);
  }
  return v;
}

function labels(v: unknown): string[] {
  if (Array.isArray(v)) {
    if (!v.every((s) => typeof s === 'string')) throw new Malformed('labels must be an array of label names');
    return v;
  }
  if (!isObject(v)) throw new Malformed('labels must be an object of label → boolean or an array of label names');
  const set: string[] = [];
  for (const [label, on] of Object.entries(v)) {
    if (typeof on !== 'boolean') throw new Malformed(`labels.${label} must be a boolean`);
    if (on) set.push(label);
  }
  return set;
}
