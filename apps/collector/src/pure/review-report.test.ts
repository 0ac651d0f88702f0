import { describe, expect, it } from 'vitest';
import { currentReviewReport } from '../../../../test/fixtures/review-report.ts';
import { parseReviewReport } from './review-report.ts';

// Samples written from the documented shapes (ECOSYSTEM-FORMATS.md); keys sorted as the tool writes them
// (currentReviewReport adds the current form's keys that these samples leave at their defaults).
const multiSystem2025 = currentReviewReport({
  commit: '3f2a9c1e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a39',
  pr: 412345,
  result: {
    'aarch64-darwin': { blacklisted: [], broken: ['python313Packages.jaxlib'], built: ['hello'], failed: [], 'non-existent': ['nixosTests.nginx'], tests: [] },
    'x86_64-linux': { blacklisted: ['chromium'], broken: [], built: ['hello', 'python313Packages.requests'], failed: ['python3Packages.optax'], 'non-existent': [], tests: ['nixosTests.nginx'] },
  },
  systems: ['x86_64-linux', 'aarch64-darwin'],
});

const multiSystemDev2026 = {
  checkout: 'commit',
  commit: null,
  pr: null,
  result: {
    'x86_64-linux': {
      blacklisted: [],
      broken: [],
      built: [{ name: 'hello', aliases: [] }, 'curl'],
      failed: [{ name: 'python313Packages.optax', aliases: ['python3Packages.optax'] }],
      'non-existent': [],
      tests: [],
    },
  },
  systems: ['x86_64-linux'],
};

const singleSystem2024 = {
  blacklisted: [],
  broken: ['foo'],
  built: ['hello'],
  'extra-nixpkgs-config': null,
  failed: ['python3Packages.optax'],
  'non-existent': ['bar'],
  pr: 300001,
  system: 'aarch64-linux',
  tests: [],
};

const singleSystem2023 = {
  blacklisted: [],
  broken: [],
  built: ['hello'],
  failed: ['libfoo'],
  'non-existant': ['gone'],
  pr: 240000,
  system: 'x86_64-darwin',
  tests: [],
};

/** An accepted report: no pr, commit or package set unless given. */
const accepted = (value: { systems: string[]; packages: object[]; pr?: number; commit?: string }) => ({
  ok: true,
  value: { pr: null, pkgs: null, commit: null, ...value },
});

describe('parseReviewReport: accepted variants', () => {
  it('multi-system form', () => {
    expect(parseReviewReport(multiSystem2025)).toEqual(accepted({
      pr: 412345,
      commit: '3f2a9c1e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a39',
      systems: ['x86_64-linux', 'aarch64-darwin'],
      packages: [
        // systems in the file's order, statuses failed, built, broken, blacklisted, non-existent, tests
        { attr: 'python3Packages.optax', system: 'x86_64-linux', status: 'failed', aliases: [] },
        { attr: 'hello', system: 'x86_64-linux', status: 'built', aliases: [] },
        { attr: 'python313Packages.requests', system: 'x86_64-linux', status: 'built', aliases: [] },
        { attr: 'chromium', system: 'x86_64-linux', status: 'blacklisted', aliases: [] },
        { attr: 'nixosTests.nginx', system: 'x86_64-linux', status: 'tests', aliases: [] },
        { attr: 'hello', system: 'aarch64-darwin', status: 'built', aliases: [] },
        { attr: 'python313Packages.jaxlib', system: 'aarch64-darwin', status: 'broken', aliases: [] },
        { attr: 'nixosTests.nginx', system: 'aarch64-darwin', status: 'non-existent', aliases: [] },
      ],
    }));
  });

  it('development version: {name, aliases} entries mixed with strings, null pr and commit', () => {
    expect(parseReviewReport(multiSystemDev2026)).toEqual(accepted({
      systems: ['x86_64-linux'],
      packages: [
        { attr: 'python313Packages.optax', system: 'x86_64-linux', status: 'failed', aliases: ['python3Packages.optax'] },
        { attr: 'hello', system: 'x86_64-linux', status: 'built', aliases: [] },
        { attr: 'curl', system: 'x86_64-linux', status: 'built', aliases: [] },
      ],
    }));
  });

  it('multi-system form without a systems key takes them from result', () => {
    const { systems: _s, ...noSystems } = multiSystem2025;
    const r = parseReviewReport(noSystems);
    expect(r.ok && r.value.systems).toEqual(['aarch64-darwin', 'x86_64-linux']);
  });

  it('single-system form (2024)', () => {
    expect(parseReviewReport(singleSystem2024)).toEqual(accepted({
      pr: 300001,
      systems: ['aarch64-linux'],
      packages: [
        { attr: 'python3Packages.optax', system: 'aarch64-linux', status: 'failed', aliases: [] },
        { attr: 'hello', system: 'aarch64-linux', status: 'built', aliases: [] },
        { attr: 'foo', system: 'aarch64-linux', status: 'broken', aliases: [] },
        { attr: 'bar', system: 'aarch64-linux', status: 'non-existent', aliases: [] },
      ],
    }));
  });

  it('single-system form before 2023-08 spells "non-existant"', () => {
    const r = parseReviewReport(singleSystem2023);
    expect(r.ok && r.value.packages.filter((p) => p.status === 'non-existent')).toEqual([
      { attr: 'gone', system: 'x86_64-darwin', status: 'non-existent', aliases: [] },
    ]);
  });

  it('an old file with nothing but lists uses the system the caller names', () => {
    const bare = { built: ['hello'], failed: ['foo'] };
    expect(parseReviewReport(bare, { defaultSystem: 'x86_64-linux' })).toEqual(accepted({
      systems: ['x86_64-linux'],
      packages: [
        { attr: 'foo', system: 'x86_64-linux', status: 'failed', aliases: [] },
        { attr: 'hello', system: 'x86_64-linux', status: 'built', aliases: [] },
      ],
    }));
    // The file's own system wins over the caller's default.
    const r = parseReviewReport(singleSystem2024, { defaultSystem: 'x86_64-linux' });
    expect(r.ok && r.value.systems).toEqual(['aarch64-linux']);
  });
});

describe('parseReviewReport: rejected input', () => {
  it.each([
    [null, 'report.json must be a JSON object'],
    [[], 'report.json must be a JSON object'],
    [{ pr: 1 }, 'not a nixpkgs-review report.json: it has neither result nor failed/built lists'],
    [{ failed: [] }, 'report.json has no "system" key: pass the system it was built on'],
    [{ failed: [], system: 3 }, 'system must be a system name such as x86_64-linux'],
    [{ failed: 'hello', system: 'x86_64-linux' }, 'failed must be an array of attribute names or {name, aliases} entries'],
    [{ built: [{ aliases: [] }], system: 'x86_64-linux' }, 'built must be an array of attribute names or {name, aliases} entries'],
    [{ result: [] }, 'result must be an object of system → lists'],
    [{ result: { 'x86_64-linux': [] } }, 'result.x86_64-linux must be an object of lists'],
    [{ result: { 'x86_64-linux': { failed: [1] } } }, 'result.x86_64-linux.failed must be an array of attribute names or {name, aliases} entries'],
    [{ result: { 'x86_64-linux': { built: [{ name: 'a', aliases: 'b' }] } } }, 'result.x86_64-linux.built[].aliases must be an array of strings'],
    [{ result: {}, systems: 'x86_64-linux' }, 'systems must be an array of strings'],
    [{ result: {}, pr: '123' }, 'pr must be a pull-request number or null'],
    [{ result: {}, commit: 5 }, 'commit must be a string or null'],
  ])('%j → %s', (input, error) => {
    expect(parseReviewReport(input)).toEqual({ ok: false, error });
  });
});

describe('parseReviewReport: the package set (--pkgs, nixpkgs-review 3.8+)', () => {
  const lists = { systems: ['x86_64-linux'], result: { 'x86_64-linux': { failed: ['hello'] } } };
  it.each([
    [undefined, null], [null, null], ['', null], ['pkgs', null],
    ['pkgsMusl', 'pkgsMusl'], ['pkgsStatic', 'pkgsStatic'], ['pkgsCross.aarch64-multiplatform', 'pkgsCross.aarch64-multiplatform'],
  ])('pkgs %j → %j', (pkgs, expected) => {
    const r = parseReviewReport({ ...lists, pkgs });
    expect(r.ok && r.value.pkgs).toBe(expected);
  });
  it.each([[3], ['pkgs Musl'], [['pkgsMusl']]])('pkgs %j is malformed', (pkgs) => {
    expect(parseReviewReport({ ...lists, pkgs })).toEqual({ ok: false, error: expect.stringContaining('pkgs must be a package set') });
  });
});
