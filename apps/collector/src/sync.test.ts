import { describe, expect, it } from 'vitest';
import { chooseFetchMode, splitRef } from './sync.ts';

describe('chooseFetchMode', () => {
  it.each([
    // unknown, eval size, rps, expected
    [0, 250_000, 1, 'single'],
    [50, 100, 1, 'single'], // a handful never goes bulk, even in a tiny eval
    [51, 100, 1, 'bulk'], // half of a small eval: the bulk list is cheaper for Hydra
    [5_000, 250_000, 1, 'single'], // steady 2% churn: ~83 min of single requests, 50x fewer server queries
    [8_000, 250_000, 1, 'bulk'], // singles would take over 2 h at 1 req/s
    [8_000, 250_000, 2, 'single'],
    [83_333, 250_000, 1000, 'single'], // just under a third
    [83_334, 250_000, 1000, 'bulk'], // a third or more (mass rebuild, first ingest)
    [250_000, 250_000, 1, 'bulk'],
  ] as const)('%i unknown of %i at %i req/s → %s', (unknown, size, rps, expected) => {
    expect(chooseFetchMode(unknown, size, rps)).toBe(expected);
  });
});

describe('splitRef', () => {
  it('splits project/jobset and rejects anything else', () => {
    expect(splitRef('nixpkgs/unstable')).toEqual(['nixpkgs', 'unstable']);
    for (const bad of ['nixpkgs', '/x', 'x/', '']) expect(() => splitRef(bad)).toThrow(/project\/jobset/);
  });
});
