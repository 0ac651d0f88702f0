// Where each jobset's packages.json comes from (SPEC section 9, ZHF_PACKAGES_JSON), and how the
// channel's current revision is told apart from the one already read.

import type { HydraClient } from '../hydra/client.ts';
import { readPackagesJson, type PackagesFile } from './packages-json.ts';

export const DEFAULT_PACKAGES_JSON: Record<string, string> = {
  nixpkgs: 'https://channels.nixos.org/nixpkgs-unstable/packages.json.br',
  nixos: 'https://channels.nixos.org/nixos-unstable/packages.json.br',
};

/** One rule of ZHF_PACKAGES_JSON: `project/jobset` (either part may be `*`), or every jobset. */
export interface PackagesJsonRule {
  project: string;
  jobset: string;
  url: string;
}

export class PackagesJsonConfigError extends Error {}

/** Parses `project/jobset=URL,...` (a bare URL applies to every jobset). */
export function parsePackagesJsonSetting(value: string): PackagesJsonRule[] {
  const rules: PackagesJsonRule[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const ref = eq === -1 ? '*/*' : part.slice(0, eq).trim();
    const url = eq === -1 ? part : part.slice(eq + 1).trim();
    const m = ref.match(/^([A-Za-z0-9_.*-]+)\/([A-Za-z0-9_.*-]+)$/);
    if (!m) throw new PackagesJsonConfigError(`"${ref}" is not project/jobset`);
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw new PackagesJsonConfigError(`"${url}" is not an http(s) URL (for ${ref})`);
    rules.push({ project: m[1]!, jobset: m[2]!, url });
  }
  return rules;
}

/**
 * The URL for `project/jobset`: the most specific matching rule, else the channel default for its
 * project, else none. `null` rules: no packages.json at all (a Hydra other than hydra.nixos.org).
 */
export function packagesJsonUrlFor(rules: PackagesJsonRule[] | null, ref: string): string | null {
  if (rules === null) return null;
  const [project, jobset] = ref.split('/') as [string, string];
  const score = (r: PackagesJsonRule) => (r.project === project ? 2 : r.project === '*' ? 0 : -9) + (r.jobset === jobset ? 1 : r.jobset === '*' ? 0 : -9);
  let best: PackagesJsonRule | null = null;
  for (const r of rules) if (score(r) >= 0 && (best === null || score(r) > score(best))) best = r;
  return best?.url ?? DEFAULT_PACKAGES_JSON[project] ?? null;
}

/** What identifies one revision of the file: the release folder the channel URL redirects to. */
export interface FileRevision {
  /** The URL actually read (the release folder's file when the channel redirects). */
  url: string;
  /** `url`, plus the validator when the server did not redirect to a per-revision folder. */
  key: string;
  /** The channel release name (`nixpkgs-26.05pre912345.abc123def456`) when the URL shows one. */
  release: string | null;
}

export type FetchResult =
  | { kind: 'unchanged'; revision: FileRevision }
  | { kind: 'read'; revision: FileRevision; file: PackagesFile };

function releaseOf(url: string): string | null {
  const parts = new URL(url).pathname.split('/').filter(Boolean);
  return parts.length >= 2 ? decodeURIComponent(parts[parts.length - 2]!) : null;
}

/**
 * Reads the file at `url` unless it is the revision `knownKey` already read. The channel URL
 * redirects to its revision's folder: one request without following tells whether the channel
 * moved, and only then is the file (tens of MB of brotli) downloaded and streamed.
 */
export async function fetchPackagesJson(client: HydraClient, url: string, knownKey: string | null): Promise<FetchResult> {
  const first = await client.fetchFile(url, async (res) => {
    if (res.status >= 300 && res.status < 400) {
      res.cancel();
      const loc = res.headers.get('location');
      if (!loc) throw new Error(`redirect without Location from ${url}`);
      const target = new URL(loc, res.url).toString();
      return { kind: 'redirect' as const, revision: { url: target, key: target, release: releaseOf(target) } };
    }
    const validator = res.headers.get('etag') ?? res.headers.get('last-modified');
    const revision = { url: res.url, key: validator ? `${res.url}#${validator}` : res.url, release: null };
    if (validator && revision.key === knownKey) {
      res.cancel();
      return { kind: 'unchanged' as const, revision };
    }
    return { kind: 'read' as const, revision, file: await readPackagesJson(res.body) };
  }, 'manual');
  if (first.kind !== 'redirect') return first;
  if (first.revision.key === knownKey) return { kind: 'unchanged', revision: first.revision };
  const file = await client.fetchFile(first.revision.url, (res) => readPackagesJson(res.body));
  return { kind: 'read', revision: first.revision, file };
}
