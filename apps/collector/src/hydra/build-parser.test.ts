import { describe, expect, it } from 'vitest';
import { parseBuildsOffThread } from './build-parser.ts';
import { parseJsonArrayStream, TruncatedJsonError } from './json-stream.ts';
import { asBuild, HydraShapeError, toBuildRecord, type HydraBuildRecord } from './types.ts';

/** Builds as Hydra lists them: shuffled keys, fields the collector ignores, odd characters. */
function buildList(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const system = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'][i % 4]!;
    const b: Record<string, unknown> = {
      id: 500_000 + i, job: `pkg${i}${i % 7 === 0 ? '-ünï "q" 🙂' : ''}.${system}`, system, project: 'nixpkgs', jobset: 'unstable',
      finished: i % 5 === 0 ? 0 : 1, buildstatus: i % 5 === 0 ? null : i % 9, priority: 100, releasename: null,
      drvpath: `/nix/store/${String(i).padStart(32, 'a')}-pkg${i}.drv`, nixname: i % 11 === 0 ? null : `pkg${i}-1.0`,
      timestamp: 1_700_000_000 + i, starttime: i % 5 === 0 ? null : 1_700_000_100, stoptime: i % 5 === 0 ? null : 1_700_000_200,
      jobsetevals: [42], buildmetrics: {}, buildproducts: { 1: { path: `/nix/store/x-${i}`, type: 'nix-build' } },
      buildoutputs: i % 3 === 0 ? { out: { path: `/nix/store/o${i}` }, dev: { path: `/nix/store/d${i}` } } : { out: { path: `/nix/store/o${i}` } },
    };
    const keys = Object.keys(b).sort((x, y) => ((x.length * 31 + i) % 7) - ((y.length * 31 + i) % 7));
    out.push(Object.fromEntries(keys.map((k) => [k, b[k]])));
  }
  return out;
}

function bytesOf(value: unknown): Uint8Array {
  return new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
}

async function* chunked(bytes: Uint8Array, size: number, seen?: { pulled: number }): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    if (seen) seen.pulled++;
    yield bytes.subarray(i, i + size);
  }
}

async function offThread(bytes: Uint8Array, size: number): Promise<HydraBuildRecord[]> {
  const out: HydraBuildRecord[] = [];
  for await (const batch of parseBuildsOffThread(chunked(bytes, size))) out.push(...batch);
  return out;
}

async function inThread(bytes: Uint8Array, size: number): Promise<HydraBuildRecord[]> {
  const out: HydraBuildRecord[] = [];
  for await (const batch of parseJsonArrayStream(chunked(bytes, size))) out.push(...batch.map((v) => toBuildRecord(asBuild(v))));
  return out;
}

describe('parseBuildsOffThread', () => {
  const list = buildList(3000);
  const bytes = bytesOf(list);

  it.each([1000, 65536, 1 << 22])('yields what the in-thread parser yields, in order (%i-byte chunks)', async (size) => {
    const expected = await inThread(bytes, size);
    expect(expected).toHaveLength(3000);
    expect(expected[0]!.outputs).toEqual(['/nix/store/o0', '/nix/store/d0']);
    expect(await offThread(bytes, size)).toEqual(expected);
  });

  it('handles one-byte chunks (splits inside every multibyte character and escape)', async () => {
    const small = bytesOf(buildList(15));
    expect(await offThread(small, 1)).toEqual(await inThread(small, 1));
  });

  it('accepts an empty list', async () => {
    expect(await offThread(bytesOf('[]'), 1)).toEqual([]);
  });

  it.each([
    ['a truncated body', JSON.stringify(buildList(20)).slice(0, -300), TruncatedJsonError],
    ['an empty body', '', TruncatedJsonError],
    ['malformed JSON', JSON.stringify(buildList(20)).replace('"finished"', '"finished"::'), SyntaxError],
    ['data after the array', `${JSON.stringify(buildList(2))} x`, SyntaxError],
    ['a build without an id', JSON.stringify([...buildList(5), { job: 'x', system: 'y' }]), HydraShapeError],
  ])('reports %s with the in-thread parser\'s error class', async (_name, text, cls) => {
    const b = bytesOf(text);
    await expect(inThread(b, 64)).rejects.toBeInstanceOf(cls);
    await expect(offThread(b, 64)).rejects.toBeInstanceOf(cls);
  });

  it('reads the body at most a window of chunks ahead of its consumer', async () => {
    const seen = { pulled: 0 };
    let batches = 0;
    for await (const _ of parseBuildsOffThread(chunked(bytes, 1000, seen))) {
      if (++batches > 1) continue;
      // A consumer busy with its first batch: the parser may not read the body on meanwhile.
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.pulled).toBeLessThanOrEqual(40);
    }
    expect(seen.pulled).toBe(Math.ceil(bytes.length / 1000));
    expect(seen.pulled).toBeGreaterThan(1000);
  });

  it('stops the worker and the body when its consumer stops early, or the body fails', async () => {
    let closed = 0;
    async function* body(fail: boolean): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < bytes.length; i += 4096) {
          if (fail && i > 100_000) throw new Error('socket hang up');
          yield bytes.subarray(i, i + 4096);
        }
      } finally {
        closed++;
      }
    }
    let batches = 0;
    for await (const _ of parseBuildsOffThread(body(false))) if (++batches === 2) break;
    expect(closed).toBe(1);
    await expect((async () => {
      for await (const _ of parseBuildsOffThread(body(true))) { /* read on */ }
    })()).rejects.toThrow('socket hang up');
    expect(closed).toBe(2);
  });
});
