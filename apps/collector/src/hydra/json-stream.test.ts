import { describe, expect, it } from 'vitest';
import { parseJsonArrayStream, streamArrayField, streamObjectFieldPicks, TruncatedJsonError } from './json-stream.ts';

async function* chunked(text: string, sizes: () => number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes());
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

async function collect(text: string, sizes: () => number = () => 7) {
  const out: unknown[] = [];
  for await (const batch of parseJsonArrayStream(chunked(text, sizes))) out.push(...batch);
  return out;
}

describe('parseJsonArrayStream', () => {
  const value = [
    { id: 1, job: 'hello.x86_64-linux', s: 'a,b]}{"\\"', nested: { a: [1, 2, { b: '[' }] } },
    { id: 2, job: 'ünïcödé-🙂.aarch64-darwin', s: '' },
    [1, 2, 3],
    'plain',
    42,
    null,
  ];
  const text = ` \n${JSON.stringify(value, null, 1)}\n `;

  it.each([1, 2, 3, 7, 64, 4096])('yields every element whatever the chunk size (%i bytes)', async (size) => {
    expect(await collect(text, () => size)).toEqual(value);
  });

  it('handles random chunking, including splits inside multibyte characters and escapes', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 11;
    for (let i = 0; i < 50; i++) expect(await collect(text, rnd)).toEqual(value);
  });

  it('accepts an empty array', async () => {
    expect(await collect('[]')).toEqual([]);
    expect(await collect(' [ ] ')).toEqual([]);
  });

  it('rejects a truncated body, garbage, trailing data and non-arrays', async () => {
    await expect(collect(text.slice(0, text.length / 2))).rejects.toBeInstanceOf(TruncatedJsonError);
    await expect(collect('')).rejects.toBeInstanceOf(TruncatedJsonError);
    await expect(collect('<html>bot check</html>')).rejects.toThrow(/expected a JSON array/);
    await expect(collect('{"error":"x"}')).rejects.toThrow(/expected a JSON array/);
    await expect(collect('[{"a":1},{"a":2]]')).rejects.toThrow(SyntaxError);
    await expect(collect('[1,2] x')).rejects.toThrow(/after the JSON array/);
  });
});

describe('streamArrayField', () => {
  const evals = [
    { id: 30, builds: [5, 6, 7], inputs: { nixpkgs: { revision: 'abc', note: 'a "quoted" ],} value' } } },
    { id: 20, builds: [], 'évals': ['ünïcödé-🙂'] },
    { id: 10, builds: [1, 2], evals: [{ id: 'nested key of the same name' }] },
  ];
  // The field among other keys, on both sides, with a decoy string value equal to the field's name.
  const page = { first: '?page=1', decoy: 'evals', evals, 'escaped\\"evals': [1], next: '?page=2', last: '?page=4' };
  const text = ` ${JSON.stringify(page, null, 1)} `;

  async function run(body: string, sizes: () => number, stopAt?: (e: { id: number }) => boolean) {
    const seen: unknown[] = [];
    const res = await streamArrayField(chunked(body, sizes), 'evals', (e) => {
      seen.push(e);
      return stopAt?.(e as { id: number });
    });
    return { seen, ...res };
  }

  it.each([1, 2, 5, 64, 100_000])('hands over each element and returns the other keys (%i-byte chunks)', async (size) => {
    const r = await run(text, () => size);
    expect(r.seen).toEqual(evals);
    expect(r.stopped).toBe(false);
    expect(r.rest).toEqual({ ...page, evals: [] });
  });

  it('handles random chunking, including splits inside multibyte characters and escapes', async () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 13;
    for (let i = 0; i < 50; i++) expect((await run(text, rnd)).seen).toEqual(evals);
  });

  it('stops at the element the callback names and reads no further', async () => {
    let pulled = 0;
    const bytes = new TextEncoder().encode(text);
    async function* counted() {
      for (let i = 0; i < bytes.length; i += 16) {
        pulled += 16;
        yield bytes.subarray(i, i + 16);
      }
    }
    const seen: unknown[] = [];
    const r = await streamArrayField(counted(), 'evals', (e) => {
      seen.push(e);
      return (e as { id: number }).id === 20;
    });
    expect(r).toEqual({ stopped: true, rest: null });
    expect(seen).toEqual(evals.slice(0, 2));
    expect(pulled).toBeLessThan(text.indexOf('"id": 10') + 32);
  });

  it('accepts an empty or absent field', async () => {
    expect(await run('{"evals":[],"last":"?page=0"}', () => 3)).toEqual({ seen: [], stopped: false, rest: { evals: [], last: '?page=0' } });
    expect(await run('{"last":"?page=0"}', () => 3)).toEqual({ seen: [], stopped: false, rest: { last: '?page=0' } });
  });

  it('rejects a truncated body, garbage, trailing data and non-objects', async () => {
    await expect(run(text.slice(0, text.length / 2), () => 7)).rejects.toBeInstanceOf(TruncatedJsonError);
    await expect(run('', () => 7)).rejects.toBeInstanceOf(TruncatedJsonError);
    await expect(run('<html>bot check</html>', () => 7)).rejects.toThrow(/expected a JSON object/);
    await expect(run('[1,2]', () => 7)).rejects.toThrow(/expected a JSON object/);
    await expect(run('{"evals":[{"id":1},{"id":2]]}', () => 7)).rejects.toThrow(SyntaxError);
    await expect(run('{"evals":[]} x', () => 7)).rejects.toThrow(/after the JSON object/);
  });
});

describe('streamObjectFieldPicks', () => {
  // Entries of every shape the scanner must walk past or into: strings holding brackets, commas,
  // quotes and escapes; names with escapes; the picked names at the wrong depth, inside arrays
  // or in a non-object meta; picked values that are primitives, empty, or absent.
  const entry = (i: number): unknown => {
    switch (i % 9) {
      case 0: return { meta: { s: 'a,b]}{"\\"', n: [i, { k: '{' }], maintainers: [{ github: `u${i}`, x: [1, { y: '}' }] }], teams: ['t'] } };
      case 1: return { maintainers: ['not under meta'], meta: { teams: [{ shortName: 'x]"' }] } };
      case 2: return { meta: 'not an object', teams: [1] };
      case 3: return null;
      case 4: return { meta: { inner: { maintainers: ['too deep'] }, list: [{ maintainers: ['in an array'] }], maintainers: null } };
      case 5: return { meta: { 'mainta\u0069ners': 0, teams: [] }, outputs: ['out', 'dev'] };
      case 6: return { meta: { maintainers: 'x,y}' } };
      case 7: return [{ meta: { maintainers: ['an array entry'] } }];
      default: return { meta: { description: '\\', maintainers: [], teams: 7 }, tail: {} };
    }
  };
  const value = { version: '2', packages: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [i % 5 ? `p${i}."x,}"` : `p\u00e9${i}\\`, entry(i)])), tail: [1] };
  const expected = Object.entries(value.packages).map(([k, e]) => {
    const meta = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { meta?: unknown }).meta : undefined;
    const m = typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta as Record<string, unknown> : {};
    return [k, [m.maintainers, m.teams]];
  });

  it.each([1, 3, 64, 4096])('hands over every entry with the picked values, whatever the chunk size (%i bytes)', async (size) => {
    for (const indent of [0, 1]) {
      const got: [string, unknown[]][] = [];
      const rest = await streamObjectFieldPicks(chunked(JSON.stringify(value, null, indent), () => size), 'packages',
        [['meta', 'maintainers'], ['meta', 'teams']], (k, v) => got.push([k, [...v]]));
      expect(got).toEqual(expected);
      expect(rest).toEqual({ version: '2', packages: {}, tail: [1] });
    }
  });

  it('matches member names written with escapes', async () => {
    const got: unknown[][] = [];
    await streamObjectFieldPicks(chunked('{"packages":{"a\\"b":{"m\\u0065ta":{"te\\u0061ms":[1],"x":"\\"","maintainers":[2]}}}}', () => 3), 'packages',
      [['meta', 'maintainers'], ['meta', 'teams']], (k, v) => got.push([k, ...v]));
    expect(got).toEqual([['a"b', [2], [1]]]);
  });

  it('reports a truncated object and mismatched brackets', async () => {
    const t = JSON.stringify(value);
    await expect(streamObjectFieldPicks(chunked(t.slice(0, t.length - 30), () => 100), 'packages', [['meta']], () => {})).rejects.toThrow(TruncatedJsonError);
    await expect(streamObjectFieldPicks(chunked('{"packages":{"a":{"meta":[1}}}', () => 5), 'packages', [['meta']], () => {})).rejects.toThrow(SyntaxError);
  });
});
