// Reads the channel's packages.json (ECOSYSTEM-FORMATS.md, "Channel packages.json") as a stream
// and keeps only what attribution needs: per attribute path, its maintainers and teams.

import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { streamObjectFieldPicks } from '../hydra/json-stream.ts';

export interface Maintainer {
  /** GitHub login as the file spells it; null for maintainers without a GitHub account. */
  github: string | null;
  /** Stable GitHub user id: preferred for matching, logins get renamed. */
  githubId: number | null;
  name: string | null;
}

export interface PackageAttribution {
  /** Attribute path with quoted components unquoted (`foo."1bar"` is `foo.1bar`), as Hydra names jobs. */
  attrPath: string;
  maintainers: Maintainer[];
  teams: string[];
}

export interface PackagesFile {
  version: string;
  /** How many packages the file lists (with or without maintainers). */
  packages: number;
  /** Packages with at least one maintainer or team. */
  attributed: PackageAttribution[];
}

export class PackagesJsonError extends Error {}

const SUPPORTED_VERSIONS = new Set(['2']);

/**
 * The body, brotli-decoded when it is still compressed: a server that sends the `.br` file
 * without `Content-Encoding: br` hands over raw brotli, whose first byte is never `{`.
 */
export async function* decodeIfBrotli(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest = (async function* () {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  })();
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09 || head[i] === 0xef || head[i] === 0xbb || head[i] === 0xbf)) i++;
  if (i < head.length && head[i] === 0x7b /* { */) {
    yield* rest;
    return;
  }
  const out = pipeline(Readable.from(rest), zlib.createBrotliDecompress(), () => {});
  for await (const c of out) yield c as Uint8Array;
}

const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/** `foo."1bar".baz` to `foo.1bar.baz`; keys without quotes are returned as they are. */
export function unquoteAttrPath(key: string): string {
  if (!key.includes('"')) return key;
  const parts: string[] = [];
  let i = 0;
  while (i <= key.length) {
    if (key[i] === '"') {
      let s = '';
      i++;
      while (i < key.length && key[i] !== '"') {
        if (key[i] === '\\' && i + 1 < key.length) i++;
        s += key[i];
        i++;
      }
      parts.push(s);
      i += 2; // closing quote and the dot after it
    } else {
      const dot = key.indexOf('.', i);
      const end = dot === -1 ? key.length : dot;
      parts.push(key.slice(i, end));
      i = end + 1;
    }
  }
  return parts.join('.');
}

/** The quoted spelling of a Hydra job's attribute path (`foo.1bar` to `foo."1bar"`), for lookups by key. */
export function quoteAttrPath(path: string): string {
  return path.split('.').map((p) => (PLAIN_IDENT.test(p) ? p : JSON.stringify(p))).join('.');
}

function asMaintainer(v: unknown): Maintainer | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const github = typeof o.github === 'string' && o.github.trim() !== '' ? o.github.trim() : null;
  const id = typeof o.githubId === 'number' ? o.githubId : typeof o.githubId === 'string' ? Number(o.githubId) : NaN;
  const githubId = Number.isSafeInteger(id) && id > 0 ? id : null;
  const name = typeof o.name === 'string' && o.name !== '' ? o.name : null;
  if (github === null && githubId === null && name === null) return null;
  return { github, githubId, name };
}

/** A team's name: `lib.teams` entries carry `shortName` (and `github` for the GitHub team); some files list plain strings. */
function teamName(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  for (const k of ['shortName', 'github', 'name']) {
    const s = o[k];
    if (typeof s === 'string' && s.trim() !== '') return s.trim();
  }
  return null;
}

/**
 * The attribution of one `packages` entry from its `meta.maintainers` and `meta.teams` (undefined
 * when absent), or null when it names no maintainer and no team.
 */
export function attributionOf(key: string, rawMaintainers: unknown, rawTeams: unknown, intern?: Map<string, Maintainer>): PackageAttribution | null {
  const maintainers: Maintainer[] = [];
  const seen = new Set<string>();
  if (Array.isArray(rawMaintainers)) {
    for (const raw of rawMaintainers) {
      const x = asMaintainer(raw);
      if (!x) continue;
      const id = x.githubId !== null ? `#${x.githubId}` : x.github !== null ? `@${x.github.toLowerCase()}` : `=${x.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      // The same few thousand people recur across 144k packages: one object each.
      const key = `${id}\u0000${x.github ?? ''}\u0000${x.name ?? ''}`;
      const shared = intern?.get(key) ?? x;
      if (shared === x) intern?.set(key, x);
      maintainers.push(shared);
    }
  }
  const teams = Array.isArray(rawTeams) ? [...new Set(rawTeams.map(teamName).filter((t): t is string => t !== null))] : [];
  if (maintainers.length === 0 && teams.length === 0) return null;
  return { attrPath: unquoteAttrPath(key), maintainers, teams };
}

/**
 * Reads a packages.json body (plain or brotli) entry by entry and returns the attribution of
 * every package that names a maintainer or team. Only those compact records are kept in memory,
 * never the file. A body cut short throws (TruncatedJsonError, or zlib's error for brotli).
 */
export async function readPackagesJson(body: AsyncIterable<Uint8Array>): Promise<PackagesFile> {
  const attributed: PackageAttribution[] = [];
  let packages = 0;
  const intern = new Map<string, Maintainer>();
  // Of each entry only meta.maintainers and meta.teams are parsed: the rest is most of the bytes.
  const rest = await streamObjectFieldPicks(decodeIfBrotli(body), 'packages', [['meta', 'maintainers'], ['meta', 'teams']], (key, [m, t]) => {
    packages++;
    const a = attributionOf(key, m, t, intern);
    if (a) attributed.push(a);
  });
  const version = rest.version;
  if (!((typeof version === 'string' || typeof version === 'number') && SUPPORTED_VERSIONS.has(String(version)))) {
    throw new PackagesJsonError(`unsupported packages.json version ${JSON.stringify(version ?? null)} (expected "2")`);
  }
  if (!('packages' in rest)) throw new PackagesJsonError('packages.json has no "packages" object');
  return { version: String(version), packages, attributed };
}
