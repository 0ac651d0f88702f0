/**
 * The channel's packages.json as channels.nixos.org serves it (ECOSYSTEM-FORMATS.md, "Channel
 * packages.json"): `/channel/<channel>/packages.json.br` redirects to the release folder of the
 * channel's revision, whose file is brotli with `Content-Encoding: br` (`?raw=1`: raw brotli
 * without it, as a client that does not decode sees it; `packages.json`: plain JSON).
 *
 * Packages are the jobs of the newest eval of the channel's jobset (job name without the system;
 * aggregates have no entry), with maintainers assigned deterministically from the attribute path:
 * `simMaintainersOf` tells a test who maintains what without reading the file.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { hashString, splitJob, type HydraData } from './model.ts';
import type { Counters, Faults } from './server.ts';

export interface SimMaintainer {
  name: string;
  email?: string;
  github?: string;
  githubId?: number;
  matrix?: string;
}

export interface SimTeam {
  shortName: string;
  scope: string;
  githubTeams: string[];
  members: SimMaintainer[];
}

/** Twenty maintainers; the last two have no GitHub account (name and e-mail only). */
export const SIM_MAINTAINERS: SimMaintainer[] = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy',
  'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor',
].map((login, i): SimMaintainer => ({ name: login[0]!.toUpperCase() + login.slice(1), email: `${login}@example.org`, github: login, githubId: 1000 + i, ...(i % 3 === 0 ? { matrix: `@${login}:matrix.org` } : {}) }))
  .concat([{ name: 'Walter Offline', email: 'walter@example.org' }, { name: 'Zoe Noaccount' }]);

export const SIM_TEAMS: SimTeam[] = [
  { shortName: 'GNOME', scope: 'Maintain GNOME desktop environment and platform.', githubTeams: ['gnome'], members: [SIM_MAINTAINERS[2]!, SIM_MAINTAINERS[5]!] },
  { shortName: 'Python', scope: 'Maintain the Python interpreter and related packages.', githubTeams: ['python'], members: [SIM_MAINTAINERS[7]!] },
];

/** Who maintains `attrPath` in the simulated channel: 0-3 maintainers (a team's members included), 0-1 team. */
export function simMaintainersOf(attrPath: string): { maintainers: SimMaintainer[]; teams: SimTeam[] } {
  const h = hashString(attrPath);
  const n = h % 7 === 0 ? 0 : 1 + (h >>> 3) % 3; // one package in seven has none
  const picked = new Set<SimMaintainer>();
  for (let k = 0; k < n; k++) picked.add(SIM_MAINTAINERS[(h >>> (5 + 4 * k)) % SIM_MAINTAINERS.length]!);
  const teams = (h >>> 20) % 5 === 0 ? [SIM_TEAMS[(h >>> 24) % SIM_TEAMS.length]!] : [];
  for (const t of teams) for (const m of t.members) picked.add(m);
  return { maintainers: [...picked], teams };
}

const PLATFORMS = ['aarch64-darwin', 'aarch64-linux', 'armv5tel-linux', 'armv6l-linux', 'armv7a-linux', 'armv7l-linux', 'i686-linux',
  'loongarch64-linux', 'm68k-linux', 'microblaze-linux', 'mips-linux', 'mips64-linux', 'mips64el-linux', 'mipsel-linux',
  'powerpc64-linux', 'powerpc64le-linux', 'riscv32-linux', 'riscv64-linux', 's390-linux', 's390x-linux', 'x86_64-darwin', 'x86_64-linux'];

const LICENSE = {
  deprecated: false, free: true, fullName: 'MIT License', redistributable: true, shortName: 'mit', spdxId: 'MIT', url: 'https://spdx.org/licenses/MIT.html',
};

/** A Nix attribute path as packages.json spells it: components that are not plain identifiers double-quoted. */
function quoted(attrPath: string): string {
  return attrPath.split('.').map((p) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(p) ? p : JSON.stringify(p))).join('.');
}

/** One `packages` entry in the real file's shape (outputs as an object or, in older files, a list). */
export function simPackageEntry(
  attrPath: string, i: number, opts: { outputsAsList?: boolean; maintainersOf?: typeof simMaintainersOf } = {},
): Record<string, unknown> {
  const pname = attrPath.split('.').pop()!;
  const version = `${1 + (i % 9)}.${i % 17}.${i % 5}`;
  const { maintainers, teams } = (opts.maintainersOf ?? simMaintainersOf)(attrPath);
  const outs = i % 4 === 0 ? ['out', 'dev', 'man'] : ['out'];
  const meta: Record<string, unknown> = {
    available: true, broken: false, description: `The ${pname} package, simulated`, homepage: `https://example.org/${pname}`,
    insecure: false, license: LICENSE, longDescription: `${pname} does what ${pname} does.\nIt is one of the packages of the simulated channel.`,
    mainProgram: pname, name: `${pname}-${version}`, outputsToInstall: ['out'], platforms: PLATFORMS,
    position: `pkgs/by-name/${pname.slice(0, 2)}/${pname}/package.nix:${10 + (i % 40)}`, unfree: false, unsupported: false,
  };
  if (maintainers.length) meta.maintainers = maintainers;
  if (teams.length) meta.teams = teams;
  return {
    meta, name: `${pname}-${version}`, outputName: 'out',
    outputs: opts.outputsAsList ? outs : Object.fromEntries(outs.map((o) => [o, null])),
    pname, system: 'x86_64-linux', version,
  };
}

export interface PackagesJsonOptions {
  version?: '2' | 2;
  /** Every n-th entry lists `outputs` as an array (older files), the others as `{out: null}`; 0: never. */
  listOutputsEvery?: number;
  /** Entries per yielded string. */
  chunkEntries?: number;
  /** Who maintains what (default simMaintainersOf: twenty people, for tests). */
  maintainersOf?: typeof simMaintainersOf;
}

/** The file's text, streamed in chunks: `{"packages":{...},"version":"2"}` as the channel writes it. */
export function* packagesJsonChunks(attrPaths: Iterable<string>, opts: PackagesJsonOptions = {}): Generator<string> {
  const every = opts.listOutputsEvery ?? 3;
  const per = opts.chunkEntries ?? 200;
  let out = '{"packages":{';
  let i = 0;
  for (const p of attrPaths) {
    const entry = simPackageEntry(p, i, { outputsAsList: every > 0 && i % every === every - 1, maintainersOf: opts.maintainersOf });
    out += `${i === 0 ? '' : ','}${JSON.stringify(quoted(p))}:${JSON.stringify(entry)}`;
    i++;
    if (i % per === 0) {
      yield out;
      out = '';
    }
  }
  yield `${out}},"version":${JSON.stringify(opts.version ?? '2')}}`;
}

/**
 * Maintainers as nixpkgs has them, for benchmarks: `people` GitHub accounts (one in forty without
 * one), one package in three unmaintained, and a skewed load (a few people maintain thousands).
 */
export function nixpkgsLikeMaintainers(people = 3000): typeof simMaintainersOf {
  const pool: SimMaintainer[] = Array.from({ length: people }, (_, i) => (i % 40 === 39
    ? { name: `Person ${i}`, email: `p${i}@example.org` }
    : { name: `Person ${i}`, email: `p${i}@example.org`, github: `maint${i}`, githubId: 100_000 + i }));
  return (attrPath) => {
    const h = hashString(attrPath);
    if (h % 3 === 0) return { maintainers: [], teams: [] };
    const n = 1 + (h >>> 2) % 3;
    const picked = new Set<SimMaintainer>();
    for (let k = 0; k < n; k++) {
      const u = (hashString(`${attrPath}#${k}`) % 1_000_000) / 1_000_000;
      picked.add(pool[Math.floor(people * u ** 3)]!);
    }
    return { maintainers: [...picked], teams: [] };
  };
}

/** `count` attribute paths shaped like nixpkgs' (package sets, a quoted component now and then). */
export function* simAttrPaths(count: number): Generator<string> {
  const sets = ['', 'python3Packages.', 'haskellPackages.', 'perlPackages.', 'nodePackages.', 'rubyPackages.', 'ocamlPackages.'];
  for (let i = 0; i < count; i++) yield `${sets[i % sets.length]}pkg${i}${i % 997 === 5 ? '.1variant' : ''}`;
}

/** Which jobset's newest eval a channel follows. */
const CHANNELS: Record<string, [string, string]> = {
  'nixpkgs-unstable': ['nixpkgs', 'unstable'],
  'nixos-unstable': ['nixos', 'unstable'],
};

function channelJobset(data: HydraData, channel: string): [string, string] | null {
  const mapped = CHANNELS[channel];
  if (mapped && data.jobset(...mapped)) return mapped;
  const m = channel.match(/^([^-]+)-(.+)$/); // `<project>-<jobset>`
  return m && data.jobset(m[1]!, m[2]!) ? [m[1]!, m[2]!] : null;
}

/** The channel's revision and its packages: the newest eval of its jobset. */
function channelState(data: HydraData, channel: string): { revision: string; attrPaths: () => string[] } | null {
  const js = channelJobset(data, channel);
  if (!js) return null;
  const evalId = data.evalIds(...js)[0];
  const e = evalId === undefined ? undefined : data.getEval(evalId);
  if (!e) return null;
  const input = Object.values(e.inputs)[0] as { revision?: string } | undefined;
  const revision = (input?.revision ?? String(e.id)).slice(0, 12);
  return {
    revision: `${e.id}.${revision}`,
    attrPaths() {
      const seen = new Set<string>();
      for (const id of e.buildIds()) {
        const b = data.getBuild(id);
        if (!b) continue;
        const { pkg, system } = splitJob(b.job);
        if (system !== null) seen.add(pkg); // aggregates (no system) have no entry
      }
      return [...seen].sort();
    },
  };
}

/**
 * Mounts the channel routes on the simulated Hydra's app. Faults registered for these paths
 * apply: `truncate` and `cut` end the body (compressed or not) early, `status` answers instead.
 */
export function mountChannelFiles(app: Hono<{ Bindings: HttpBindings }>, data: HydraData, deps: { counters: Counters; faults: Faults }): void {
  const cache = new Map<string, string[]>();
  app.get('/channel/:channel/:file', (c) => {
    const { channel, file } = c.req.param();
    const counter = deps.counters.get('/channel/:channel/:file');
    counter.requests++;
    const state = channelState(data, channel);
    if (!state || (file !== 'packages.json.br' && file !== 'packages.json')) return notFound(c, counter);
    const url = new URL(c.req.url);
    counter.statuses[302] = (counter.statuses[302] ?? 0) + 1;
    return c.redirect(`${url.origin}/channel/${channel}/${channel}-${state.revision}/${file}${url.search}`, 302);
  });
  app.get('/channel/:channel/:release/:file', (c) => {
    const { channel, release, file } = c.req.param();
    const url = new URL(c.req.url);
    const counter = deps.counters.get('/channel/:channel/:release/:file');
    counter.requests++;
    const state = channelState(data, channel);
    // Only the channel's current release is served (older folders exist on the real mirror; tests need none).
    if (!state || release !== `${channel}-${state.revision}` || (file !== 'packages.json.br' && file !== 'packages.json')) return notFound(c, counter);
    const fired = deps.faults.take(url.pathname + url.search, url.pathname);
    const status = fired.find((f) => f.kind === 'status');
    if (status?.kind === 'status') {
      counter.statuses[status.status] = (counter.statuses[status.status] ?? 0) + 1;
      return c.text('simulated fault', status.status);
    }
    const cutAt = fired.map((f) => (f.kind === 'truncate' ? f.bytes ?? 4096 : f.kind === 'cut' ? f.afterBytes : null)).find((n) => n !== null) ?? null;
    let paths = cache.get(state.revision);
    if (!paths) cache.set(state.revision, (paths = state.attrPaths()));
    const text = Readable.from(packagesJsonChunks(paths), { objectMode: false });
    const brotli = file.endsWith('.br');
    let body: Readable = brotli
      ? text.pipe(zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }))
      : text;
    if (cutAt !== null) body = limitBytes(body, cutAt);
    const headers: Record<string, string> = { 'content-type': brotli ? 'application/octet-stream' : 'application/json' };
    if (brotli && url.searchParams.get('raw') !== '1') {
      headers['content-type'] = 'application/json';
      headers['content-encoding'] = 'br';
    }
    counter.statuses[200] = (counter.statuses[200] ?? 0) + 1;
    const stream = Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>;
    return new Response(stream, { status: 200, headers });
  });
}

function notFound(c: Context, counter: { statuses: Record<number, number> }): Response {
  counter.statuses[404] = (counter.statuses[404] ?? 0) + 1;
  return c.text('Not Found', 404);
}

/** The first `n` bytes of `src`, then a clean end: a body cut short. */
function limitBytes(src: Readable, n: number): Readable {
  let left = n;
  return Readable.from((async function* () {
    for await (const chunk of src) {
      const b = chunk as Buffer;
      if (left <= 0) break;
      const part = b.subarray(0, left);
      left -= part.length;
      yield part;
    }
    src.destroy();
  })());
}
