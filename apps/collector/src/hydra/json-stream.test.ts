import { describe, expect, it } from 'vitest';
import { parseJsonArrayStream, TruncatedJsonError } from './json-stream.ts';

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
