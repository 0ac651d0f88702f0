import { describe, expect, it } from 'vitest';
import type { ChangedPaths } from './changed-paths.ts';
import { computePreflight, computePreflightFromChangedPaths, packageOf, type PreflightJob } from './preflight.ts';

const X = 'x86_64-linux';
const A = 'aarch64-linux';
const D = 'aarch64-darwin';

/** A job `${pkg}.${system}` with one output named after `version`, green unless told otherwise. */
function job(pkg: string, system: string, version: string, extra: Partial<PreflightJob> = {}): PreflightJob {
  return {
    job: `${pkg}.${system}`,
    system,
    outputs: [`/nix/store/${version}-${pkg}-${system}`],
    drvpath: `/nix/store/${version}-${pkg}-${system}.drv`,
    outcome: 'success',
    kind: null,
    buildId: null,
    ...extra,
  };
}

// atRisk, mayFix, pending, infra and new partition the rebuilt jobs.
const rebuiltJobs = ({ impact: i }: ReturnType<typeof computePreflight>) =>
  [...i.atRisk, ...i.mayFix, ...i.pending, ...i.infra, ...i.new].map((item) => item.job).sort();

describe('computePreflight: what rebuilds', () => {
  it.each<[string, PreflightJob[], PreflightJob[], string[]]>([
    ['same outputs: no rebuild', [job('hello', X, 'v1')], [job('hello', X, 'v1')], []],
    ['new output path: rebuild', [job('hello', X, 'v1')], [job('hello', X, 'v2')], ['hello.x86_64-linux']],
    [
      'an output path built by another base job does not rebuild',
      [job('hello', X, 'v1'), job('hello-wrapped', X, 'v1', { outputs: ['/nix/store/v2-hello-x86_64-linux'] })],
      [job('hello', X, 'v2')],
      [],
    ],
    [
      'one new output among several rebuilds',
      [job('curl', X, 'v1', { outputs: ['/nix/store/a-curl', '/nix/store/a-curl-dev'] })],
      [job('curl', X, 'v1', { outputs: ['/nix/store/a-curl', '/nix/store/b-curl-dev'] })],
      ['curl.x86_64-linux'],
    ],
    [
      'unknown outputs, same drv: no rebuild',
      [job('hello', X, 'v1', { outputs: [] })],
      [job('hello', X, 'v1', { outputs: [] })],
      [],
    ],
    [
      'unknown outputs, other drv: rebuild',
      [job('hello', X, 'v1', { outputs: [] })],
      [job('hello', X, 'v2', { outputs: [] })],
      ['hello.x86_64-linux'],
    ],
    ['unknown outputs, new job: rebuild', [], [job('hello', X, 'v1', { outputs: [] })], ['hello.x86_64-linux']],
    ['new job with new outputs: rebuild', [job('hello', X, 'v1')], [job('hello', X, 'v1'), job('new', X, 'v1')], ['new.x86_64-linux']],
    ['removed job: nothing to rebuild', [job('hello', X, 'v1'), job('old', X, 'v1')], [job('hello', X, 'v1')], []],
  ])('%s', (_name, base, candidate, expected) => {
    const r = computePreflight({ base, candidate });
    expect(rebuiltJobs(r)).toEqual(expected);
    expect(r.totals.rebuilt).toBe(expected.length);
  });
});

describe('computePreflight: builds known only from short records', () => {
  // A short record (/api/latestbuilds): job and status, no outputs, derivation ''.
  const short = (pkg: string, system: string) => job(pkg, system, 'v0', { outputs: [], drvpath: '' });
  it.each<[string, PreflightJob[], PreflightJob[], string[], number]>([
    ['short record in the candidate: not known', [job('hello', X, 'v1')], [short('hello', X)], [], 1],
    ['short records on both sides: not known (not unchanged)', [short('hello', X)], [short('hello', X)], [], 1],
    ['short record in the base, candidate outputs not in the base: not known', [short('hello', X)], [job('hello', X, 'v2')], [], 1],
    [
      'short record in the base, candidate outputs built by another base job: unchanged',
      [short('hello', X), job('hello-wrapped', X, 'v1', { outputs: ['/nix/store/v2-hello-x86_64-linux'] })],
      [job('hello', X, 'v2')],
      [],
      0,
    ],
    ['short record of a new job: rebuilds (absent from the base)', [], [short('hello', X)], ['hello.x86_64-linux'], 0],
    ['a candidate derivation without outputs against a short record: not known', [short('hello', X)], [job('hello', X, 'v1', { outputs: [] })], [], 1],
    ['whole records on both sides: nothing unknown', [job('hello', X, 'v1')], [job('hello', X, 'v2')], ['hello.x86_64-linux'], 0],
  ])('%s', (_name, base, candidate, expected, unknown) => {
    const r = computePreflight({ base, candidate });
    expect(rebuiltJobs(r)).toEqual(expected);
    expect(r.totals.unknownOutputs).toBe(unknown);
    expect(r.notes.some((n) => n.includes('not known yet'))).toBe(unknown > 0);
  });
});

describe('computePreflight: impact against the base', () => {
  const base = [
    job('green', X, 'v1', { buildId: 1 }),
    job('red', X, 'v1', { buildId: 2, outcome: 'failure', kind: 'direct' }),
    job('waiting', X, 'v1', { buildId: 3, outcome: 'pending' }),
    job('unknown', X, 'v1', { buildId: 4, outcome: null }),
    job('aborted', X, 'v1', { buildId: 5, outcome: 'infra' }),
    job('depfail', X, 'v1', { buildId: 6, outcome: 'failure', kind: 'dependency' }),
    job('untouched', X, 'v1', { buildId: 7 }),
  ];
  const candidate = [
    job('green', X, 'v2', { buildId: 11, outcome: 'failure', kind: 'dependency' }),
    job('red', X, 'v2', { buildId: 12, outcome: 'success' }),
    job('waiting', X, 'v2', { buildId: 13, outcome: 'pending' }),
    job('unknown', X, 'v2', { buildId: 14 }),
    job('aborted', X, 'v2', { buildId: 15, outcome: 'failure', kind: 'direct' }),
    job('depfail', X, 'v2', { buildId: 16, outcome: 'failure', kind: 'direct' }),
    job('untouched', X, 'v1', { buildId: 7, outcome: 'failure', kind: 'direct' }), // not rebuilt: never listed
    job('brand-new', X, 'v1', { buildId: 18, outcome: 'failure', kind: 'direct' }),
  ];
  const r = computePreflight({ base, candidate });
  const jobs = (key: keyof typeof r.impact) => r.impact[key].map((i) => i.job);

  it.each<[keyof typeof r.impact, string[]]>([
    ['atRisk', ['green.x86_64-linux']],
    ['mayFix', ['depfail.x86_64-linux', 'red.x86_64-linux']],
    ['pending', ['unknown.x86_64-linux', 'waiting.x86_64-linux']],
    ['infra', ['aborted.x86_64-linux']],
    ['new', ['brand-new.x86_64-linux']],
    ['newlyBroken', ['green.x86_64-linux']],
    ['newlyFixed', ['red.x86_64-linux']],
    ['stillFailing', ['depfail.x86_64-linux']],
  ])('%s', (key, expected) => {
    expect(jobs(key)).toEqual(expected);
    expect(r.totals[key]).toBe(expected.length);
  });

  it('items carry both builds, both outcomes and the relevant failure kind', () => {
    expect(r.impact.newlyBroken[0]).toEqual({
      job: 'green.x86_64-linux',
      system: X,
      package: 'green',
      baseBuildId: 1,
      candidateBuildId: 11,
      baseOutcome: 'success',
      candidateOutcome: 'failure',
      kind: 'dependency',
    });
    expect(r.impact.newlyFixed[0]).toMatchObject({ baseBuildId: 2, candidateBuildId: 12, kind: 'direct' });
    expect(r.impact.new[0]).toMatchObject({ baseBuildId: null, baseOutcome: null, candidateOutcome: 'failure' });
  });

  it('totals and flags', () => {
    expect(r.totals).toMatchObject({ baseJobs: 7, candidateJobs: 8, rebuilt: 7 });
    expect(r.candidateResults).toBe(true);
    expect(r.notes).toEqual([]);
  });

  it('says when the candidate has no results yet', () => {
    const pending = candidate.map((c) => ({ ...c, outcome: 'pending' as const }));
    const p = computePreflight({ base, candidate: pending });
    expect(p.candidateResults).toBe(false);
    expect(p.impact.newlyBroken).toEqual([]);
    expect(p.notes).toHaveLength(1);
  });
});

describe('computePreflight: counts and labels', () => {
  it('counts per system, and distinct packages per kernel across its systems', () => {
    const base = [job('a', X, 'v1'), job('a', A, 'v1'), job('b', X, 'v1'), job('a', D, 'v1'), job('a', 'x86_64-freebsd', 'v1')];
    const candidate = [
      job('a', X, 'v2'),
      job('a', A, 'v2'), // same package as on x86_64-linux: still one linux package
      job('b', X, 'v1'),
      job('c', A, 'v1'),
      job('a', D, 'v1'),
      job('a', 'x86_64-freebsd', 'v2'), // neither kernel: counted per system only
    ];
    const r = computePreflight({ base, candidate });
    expect(r.rebuildsBySystem).toEqual({ [D]: 0, [A]: 2, [X]: 1, 'x86_64-freebsd': 1 });
    expect(r.byKernel).toEqual({
      linux: { systems: [A, X], packages: 2, labels: ['10.rebuild-linux: 1-10'] },
      darwin: { systems: [D], packages: 0, labels: ['10.rebuild-darwin: 0'] },
    });
    expect(r.labels).toEqual(['10.rebuild-linux: 1-10', '10.rebuild-darwin: 0']);
  });

  it.each([
    ['hello.x86_64-linux', X, 'hello'],
    ['nixos.tests.nginx.x86_64-linux', X, 'nixos.tests.nginx'],
    ['python313Packages.requests.aarch64-darwin', D, 'python313Packages.requests'],
    ['tested', X, 'tested'],
    ['foo.x86_64-linux', A, 'foo.x86_64-linux'],
  ])('package of %s on %s is %s', (jobName, system, pkg) => expect(packageOf(jobName, system)).toBe(pkg));
});

describe('computePreflightFromChangedPaths', () => {
  const base = [
    job('hello', X, 'v1', { buildId: 1 }),
    job('hello', A, 'v1', { buildId: 2 }),
    job('hello', D, 'v1', { buildId: 3, outcome: 'failure', kind: 'direct' }),
    job('curl', X, 'v1', { buildId: 4, outcome: 'pending' }),
    job('linuxonly', X, 'v1', { buildId: 5 }),
  ];
  const changed = (c: Partial<ChangedPaths>): ChangedPaths => ({
    attrdiff: null,
    attrdiffByKernel: null,
    attrdiffByPlatform: null,
    rebuildsByPlatform: null,
    rebuildsByKernel: null,
    rebuildCountByKernel: null,
    labels: null,
    ...c,
  });

  it('maps rebuildsByPlatform to <attr>.<system> jobs of the base', () => {
    const r = computePreflightFromChangedPaths({
      base,
      changed: changed({
        rebuildsByPlatform: { [X]: ['hello', 'curl', 'newpkg'], [D]: ['hello'] },
        rebuildsByKernel: { linux: ['every', 'thing'], darwin: [] }, // ignored when per-platform lists exist
      }),
    });
    expect(r.mode).toBe('changed-paths');
    expect(r.rebuildsBySystem).toEqual({ [D]: 1, [A]: 0, [X]: 3 });
    expect(r.byKernel.linux.packages).toBe(3);
    expect(r.byKernel.darwin.packages).toBe(1);
    expect(r.labels).toEqual(['10.rebuild-linux: 1-10', '10.rebuild-darwin: 1', '10.rebuild-darwin: 1-10']);
    expect(r.impact.atRisk.map((i) => i.job)).toEqual(['hello.x86_64-linux']);
    expect(r.impact.mayFix).toEqual([
      {
        job: 'hello.aarch64-darwin',
        system: D,
        package: 'hello',
        baseBuildId: 3,
        candidateBuildId: null,
        baseOutcome: 'failure',
        candidateOutcome: null,
        kind: 'direct',
      },
    ]);
    expect(r.impact.pending.map((i) => i.job)).toEqual(['curl.x86_64-linux']);
    expect(r.impact.new.map((i) => i.job)).toEqual(['newpkg.x86_64-linux']);
    expect(r.candidateResults).toBe(false);
    expect(r.totals.candidateJobs).toBeNull();
  });

  it('counts systems the base does not build but lists no impact for them', () => {
    const r = computePreflightFromChangedPaths({
      base,
      changed: changed({ rebuildsByPlatform: { [X]: ['hello'], 'x86_64-darwin': ['hello', 'only-darwin'] } }),
    });
    expect(r.rebuildsBySystem['x86_64-darwin']).toBe(2);
    expect(r.byKernel.darwin.packages).toBe(2);
    expect(r.impact.new).toEqual([]);
    expect(r.notes.some((n) => n.includes('does not build x86_64-darwin'))).toBe(true);
  });

  it('expands the oldest per-kernel lists to the base systems where the job exists, and says so', () => {
    const r = computePreflightFromChangedPaths({
      base,
      changed: changed({
        attrdiff: { added: [], changed: ['hello'], removed: [] },
        rebuildsByKernel: { linux: ['hello', 'linuxonly', 'ghost'], darwin: ['hello'] },
      }),
    });
    expect(r.rebuildsBySystem).toEqual({ [D]: 1, [A]: 1, [X]: 2 });
    // the kernel's own list is the label count, including `ghost` which no base system has
    expect(r.byKernel.linux.packages).toBe(3);
    expect(r.byKernel.darwin.packages).toBe(1);
    expect(r.impact.atRisk.map((i) => i.job)).toEqual(['hello.aarch64-linux', 'hello.x86_64-linux', 'linuxonly.x86_64-linux']);
    expect(r.impact.mayFix.map((i) => i.job)).toEqual(['hello.aarch64-darwin']);
    expect(r.notes.some((n) => n.includes('oldest form'))).toBe(true);
    expect(r.notes.some((n) => n.startsWith('1 rebuilt attributes exist on none'))).toBe(true);
  });

  it('carries the stdenv and NixOS-test labels the file sets, and says when its counts differ', () => {
    const labels = {
      '10.rebuild-linux: 1-10': true, '10.rebuild-linux: 11-100': false, '10.rebuild-darwin: 0': false, '10.rebuild-darwin: 1-10': true,
      '10.rebuild-linux-stdenv': true, '10.rebuild-darwin-stdenv': false, '10.rebuild-nixos-tests': true,
    };
    const set = Object.entries(labels).filter(([, on]) => on).map(([l]) => l);
    const r = computePreflightFromChangedPaths({ base, changed: changed({ rebuildsByPlatform: { [X]: ['hello', 'stdenv'] }, labels: set }) });
    expect(r.labels).toEqual(['10.rebuild-linux: 1-10', '10.rebuild-darwin: 0', '10.rebuild-linux-stdenv', '10.rebuild-nixos-tests']);
    expect(r.byKernel.linux.labels).toEqual(['10.rebuild-linux: 1-10', '10.rebuild-linux-stdenv']);
    expect(r.byKernel.darwin.labels).toEqual(['10.rebuild-darwin: 0']);
    // The file says darwin rebuilds 1-10 packages; its lists name none.
    expect(r.notes).toContain('changed-paths.json sets 10.rebuild-darwin: 1-10; counted from its lists: 10.rebuild-darwin: 0.');
    expect(r.notes.some((n) => n.includes('10.rebuild-linux:'))).toBe(false);
    // The old form (a list of set labels) and a file without labels.
    const old = computePreflightFromChangedPaths({ base, changed: changed({ rebuildsByKernel: { linux: ['hello'], darwin: [] }, labels: ['10.rebuild-darwin-stdenv'] }) });
    expect(old.labels).toEqual(['10.rebuild-linux: 1', '10.rebuild-linux: 1-10', '10.rebuild-darwin: 0', '10.rebuild-darwin-stdenv']);
    expect(old.byKernel.darwin.labels).toEqual(['10.rebuild-darwin: 0', '10.rebuild-darwin-stdenv']);
    const none = computePreflightFromChangedPaths({ base, changed: changed({ rebuildsByPlatform: { [X]: ['hello'] } }) });
    expect(none.labels).toEqual(['10.rebuild-linux: 1', '10.rebuild-linux: 1-10', '10.rebuild-darwin: 0']);
  });

  it('falls back to attrdiff changed + added when the file has no rebuild lists', () => {
    const r = computePreflightFromChangedPaths({
      base,
      changed: changed({ attrdiff: { added: ['brandnew'], changed: ['curl'], removed: ['hello'] } }),
    });
    expect(r.totals.rebuilt).toBe(1);
    expect(r.impact.pending.map((i) => i.job)).toEqual(['curl.x86_64-linux']);
    expect(r.notes.some((n) => n.includes('approximated'))).toBe(true);
  });
});

describe('preflight at nixpkgs scale', () => {
  // Two 250k-job evals over four systems. A quadratic implementation would not finish; the
  // assertions check the counts against independently computed expectations.
  const systems = [X, A, 'x86_64-darwin', D];
  const N = 250_000;
  const base: PreflightJob[] = [];
  const candidate: PreflightJob[] = [];
  const expected = { rebuilt: 0, atRisk: 0, mayFix: 0, new: 0, newlyBroken: 0, linux: new Set<string>(), darwin: new Set<string>() };
  for (let i = 0; i < N; i++) {
    const system = systems[i % 4];
    const pkg = `pkg${Math.floor(i / 4)}`;
    const baseFails = i % 7 === 0;
    base.push(job(pkg, system, 'v1', { buildId: i, outcome: baseFails ? 'failure' : 'success', kind: baseFails ? 'direct' : null }));
    // Every 10th job gets a new output; every 15th (not 10th) takes a path some other base job built.
    const changes = i % 10 === 0;
    const moved = !changes && i % 15 === 0;
    const outputs = changes ? [`/nix/store/v2-${pkg}-${system}`] : moved ? [`/nix/store/v1-pkg0-${X}`] : [`/nix/store/v1-${pkg}-${system}`];
    const candFails = changes && i % 20 === 0;
    candidate.push({ ...job(pkg, system, 'v1', { buildId: N + i, outcome: candFails ? 'failure' : 'success', kind: candFails ? 'direct' : null }), outputs });
    if (changes) {
      expected.rebuilt++;
      if (baseFails) expected.mayFix++;
      else expected.atRisk++;
      if (!baseFails && candFails) expected.newlyBroken++;
      expected[system.endsWith('linux') ? 'linux' : 'darwin'].add(pkg);
    }
  }
  // 1000 jobs new in the candidate
  for (let i = 0; i < 1000; i++) candidate.push(job(`fresh${i}`, X, 'v1', { outcome: 'success' }));
  expected.rebuilt += 1000;
  expected.new = 1000;
  for (let i = 0; i < 1000; i++) expected.linux.add(`fresh${i}`);

  it('gives exact counts on two 250k-job evals', () => {
    const started = performance.now();
    const r = computePreflight({ base, candidate });
    console.log(`preflight on ${N} + ${candidate.length} jobs: ${Math.round(performance.now() - started)} ms`);
    expect(r.totals).toMatchObject({
      baseJobs: N,
      candidateJobs: N + 1000,
      rebuilt: expected.rebuilt,
      atRisk: expected.atRisk,
      mayFix: expected.mayFix,
      new: expected.new,
      newlyBroken: expected.newlyBroken,
    });
    expect(r.byKernel.linux.packages).toBe(expected.linux.size);
    expect(r.byKernel.darwin.packages).toBe(expected.darwin.size);
    expect(r.labels).toEqual(['10.rebuild-linux: 501+', '10.rebuild-linux: 5001+', '10.rebuild-darwin: 501+', '10.rebuild-darwin: 5001+']);
    const jobsSorted = r.impact.atRisk.map((i) => i.job);
    expect(jobsSorted).toEqual([...jobsSorted].sort());
  });
});
