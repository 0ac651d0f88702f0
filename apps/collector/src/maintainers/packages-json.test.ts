import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packagesJsonChunks, simMaintainersOf } from '@zhf/sim';
import { TruncatedJsonError } from '../hydra/json-stream.ts';
import { PackagesJsonError, quoteAttrPath, readPackagesJson, unquoteAttrPath } from './packages-json.ts';

const PATHS = ['hello', 'python3Packages.requests', 'foo.1bar', 'nixos-artwork', 'zlib', ...Array.from({ length: 500 }, (_, i) => `pkg${i}`)];

function text(opts: Parameters<typeof packagesJsonChunks>[1] = {}) {
  return [...packagesJsonChunks(PATHS, opts)].join('');
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const plain = (t: string) => new TextEncoder().encode(t);
const brotli = (t: string) => new Uint8Array(zlib.brotliCompressSync(Buffer.from(t), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }));

describe('readPackagesJson', () => {
  it.each([
    ['plain, version "2"', () => plain(text({ version: '2' }))],
    ['plain, version 2 (a number)', () => plain(text({ version: 2 }))],
    ['raw brotli (no Content-Encoding)', () => brotli(text())],
    ['pretty-printed', () => plain(JSON.stringify(JSON.parse(text()), null, 2))],
  ])('reads every package of a real-shaped file: %s', async (_, bytes) => {
    for (const size of [1 << 16, 777]) {
      const file = await readPackagesJson(chunked(bytes(), size));
      expect(file.version).toBe('2');
      expect(file.packages).toBe(PATHS.length);
      const byPath = new Map(file.attributed.map((a) => [a.attrPath, a]));
      for (const p of PATHS) {
        const want = simMaintainersOf(p);
        const got = byPath.get(p);
        if (want.maintainers.length === 0 && want.teams.length === 0) {
          expect(got).toBeUndefined();
          continue;
        }
        expect(got?.maintainers).toEqual(want.maintainers.map((m) => ({ github: m.github ?? null, githubId: m.githubId ?? null, name: m.name })));
        expect(got?.teams).toEqual(want.teams.map((t) => t.shortName));
      }
    }
  });

  it('keeps maintainers without a GitHub account, and unquotes quoted attribute paths', async () => {
    const file = await readPackagesJson(chunked(plain(JSON.stringify({
      version: '2',
      packages: {
        'foo."1bar"': { name: 'x', pname: 'x', version: '1', system: 'x86_64-linux', outputName: 'out', outputs: ['out', 'dev'],
          meta: { maintainers: [{ name: 'No Account', email: 'n@example.org' }, { name: 'A', github: 'a', githubId: 7 }, { name: 'A again', github: 'A', githubId: 7 }], unknownKey: { deep: [1] } } },
        bare: { name: 'y', meta: {} },
        teamOnly: { name: 'z', outputs: { out: null }, meta: { teams: [{ shortName: 'GNOME', members: [] }, 'rust'] } },
      },
    })), 5));
    expect(file.packages).toBe(3);
    expect(file.attributed).toEqual([
      { attrPath: 'foo.1bar', maintainers: [{ github: null, githubId: null, name: 'No Account' }, { github: 'a', githubId: 7, name: 'A' }], teams: [] },
      { attrPath: 'teamOnly', maintainers: [], teams: ['GNOME', 'rust'] },
    ]);
  });

  it('rejects a body cut short, plain or brotli, with a clear error', async () => {
    const t = text();
    const cutPlain = plain(t).subarray(0, Math.floor(t.length / 2));
    await expect(readPackagesJson(chunked(cutPlain, 4096))).rejects.toThrow(TruncatedJsonError);
    await expect(readPackagesJson(chunked(cutPlain, 4096))).rejects.toThrow(/truncated/);
    const b = brotli(t);
    await expect(readPackagesJson(chunked(b.subarray(0, Math.floor(b.length / 2)), 4096))).rejects.toThrow(/unexpected end of file/i);
    await expect(readPackagesJson(chunked(new Uint8Array(0), 1))).rejects.toThrow(/empty body/);
  });

  it('refuses a format version it does not know rather than guessing', async () => {
    await expect(readPackagesJson(chunked(plain('{"version":"3","packages":{}}'), 4))).rejects.toThrow(PackagesJsonError);
    await expect(readPackagesJson(chunked(plain('{"packages":{}}'), 4))).rejects.toThrow(/version null/);
  });
});

describe('attribute paths', () => {
  it.each([
    ['hello', 'hello'],
    ['foo."1bar"', 'foo.1bar'],
    ['foo."1bar".baz', 'foo.1bar.baz'],
    ['"a.b".c', 'a.b.c'],
  ])('%s is Hydra job path %s', (key, path) => {
    expect(unquoteAttrPath(key)).toBe(path);
  });
  it('quotes non-identifiers', () => {
    expect(quoteAttrPath('foo.1bar.baz')).toBe('foo."1bar".baz');
  });
});
