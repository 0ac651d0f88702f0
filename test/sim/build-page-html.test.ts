import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFailedSteps, parseStepDerivation, type FailedStep } from '../../apps/collector/src/hydra/build-page.ts';
import { renderBuildPageHtml, renderStepPageHtml, type BuildPageBuild, type BuildPageStep } from '../../apps/sim/src/build-page-html.ts';
import { OLD_PAGE_GLIBC_OUTPUTS } from '../support/hydra-build-page.ts';

// The simulated Hydra's pages must read back through the collector's parser exactly as the
// real markup does; otherwise tests against the simulation prove nothing about hydra.nixos.org.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/hydra-build-page/${name}`, import.meta.url), 'utf8');

const build: BuildPageBuild = {
  id: 4242,
  job: 'haskellPackages.foo<&>"bar\'.x86_64-linux',
  project: 'nixpkgs',
  jobset: 'trunk',
  system: 'x86_64-linux',
  buildstatus: 2,
  finished: 1,
  drvpath: '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-foo-1.0.drv',
  outputs: ['/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-foo-1.0', '/nix/store/cccccccccccccccccccccccccccccccc-foo-1.0-doc'],
};

const steps: BuildPageStep[] = [
  {
    nr: 1,
    outputs: ['/nix/store/dddddddddddddddddddddddddddddddd-openssl-3.5.1-bin', '/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-openssl-3.5.1-dev'],
    status: 'Cached failure',
    propagatedFrom: 4000,
  },
  { nr: 3, outputs: ['/nix/store/ffffffffffffffffffffffffffffffff-bar-2'], status: 'Failed', propagatedFrom: null, errorMsg: 'exit code 1 & "no" <output>: (sad)', machine: 'box', duration: 75 },
  { nr: 4, outputs: ['/nix/store/gggggggggggggggggggggggggggggggg-baz-3'], status: 'Cached failure', propagatedFrom: null, hasLog: false },
  { nr: 6, outputs: ['/nix/store/hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh-qux-4'], status: 'Timed out', propagatedFrom: 4001, kind: 'substitution', duration: 36000 },
];

const running = [{ nr: 2, outputs: ['/nix/store/iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii-stale-1'], machine: 'busy-box' }];

function expectedSteps(base: string, style: 'new' | 'old', id: number, input: BuildPageStep[]): FailedStep[] {
  return input.map((s) => ({
    nr: s.nr,
    outputs: s.outputs,
    status: s.status,
    propagatedFrom: s.propagatedFrom,
    logUrl: s.hasLog === false ? null : style === 'new' ? `${base}/build/${id}/step/${s.nr}/log` : `${base}/build/${id}/nixlog/${s.nr}`,
  }));
}

describe('renderBuildPageHtml read back by parseFailedSteps', () => {
  it.each([
    { style: 'new' as const, baseUrl: 'http://127.0.0.1:4567' },
    { style: 'old' as const, baseUrl: 'http://127.0.0.1:4567' },
    // A prefix and a trailing slash: hrefs stay absolute and single-slashed.
    { style: 'new' as const, baseUrl: 'https://sim.example/hydra/' },
  ])('$style markup at $baseUrl gives back every failed step, ignoring the running and all-steps tables', ({ style, baseUrl }) => {
    const html = renderBuildPageHtml(build, steps, { baseUrl, style, runningSteps: running });
    expect(html.match(/class="table table-striped table-condensed clickable-rows"/g)).toHaveLength(3);
    expect(parseFailedSteps(html)).toEqual(expectedSteps(baseUrl.replace(/\/+$/, ''), style, build.id, steps));
  });

  it.each(['new', 'old'] as const)('%s markup writes only absolute hrefs (Hydra does)', (style) => {
    const html = renderBuildPageHtml(build, steps, { baseUrl: 'http://sim:1', style, runningSteps: running });
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(10);
    for (const h of hrefs) expect(h).toMatch(/^(#|http:\/\/sim:1\/|http:\/\/nixos\.org\/)/);
  });

  it.each(['new', 'old'] as const)('%s markup names its columns as that Hydra did', (style) => {
    const html = renderBuildPageHtml(build, steps, { baseUrl: 'http://sim:1', style });
    expect(html).toContain(style === 'new' ? '<th>Step</th>' : '<th>What</th>');
    expect(html).not.toContain(style === 'new' ? '<th>What</th>' : '<th>Step</th>');
  });

  it.each([
    { name: 'a succeeded build', over: { buildstatus: 0 } },
    { name: 'a cancelled build', over: { buildstatus: 4 } },
    { name: 'an unfinished build', over: { finished: 0 as const, buildstatus: null } },
  ])('has no Failed build steps for $name, as build.tt', ({ over }) => {
    const html = renderBuildPageHtml({ ...build, ...over }, steps, { baseUrl: 'http://sim:1', style: 'new' });
    expect(html).not.toContain('Failed build steps');
    expect(parseFailedSteps(html)).toEqual([]);
  });
});

describe('real markup and rendered markup parse the same way', () => {
  it('old Hydra: What, nixlog, a running table before the failed one', () => {
    const real = parseFailedSteps(fixture('old-dependency-failed.html'));
    const html = renderBuildPageHtml(
      { ...build, id: 241000777, job: 'tests.foo.x86_64-linux', project: 'nixos', jobset: 'release-24.05' },
      [
        {
          nr: 2,
          outputs: OLD_PAGE_GLIBC_OUTPUTS,
          status: 'Failed',
          propagatedFrom: 240999100,
          machine: 'elated-minsky',
          duration: 271,
        },
        { nr: 6, outputs: ['/nix/store/e4r5t6y7u8i9o0p1a2s3d4f5g6h7j8k9-foo-test-driver'], status: 'Cached failure', propagatedFrom: null, hasLog: false },
        { nr: 7, outputs: ['/nix/store/f5t6y7u8i9o0p1a2s3d4f5g6h7j8k9l0-chatty-1.2'], status: 'Log limit exceeded', propagatedFrom: null, duration: 600 },
        { nr: 8, outputs: ['/nix/store/g6y7u8i9o0p1a2s3d4f5g6h7j8k9l0z1-flaky-3'], status: 'Aborted', propagatedFrom: null, hasLog: false, errorMsg: 'remote machine "build-box-07" went away' },
      ],
      { baseUrl: 'https://hydra.nixos.org', style: 'old', runningSteps: [{ nr: 9, outputs: ['/nix/store/r5t6y7u8i9o0p1a2s3d4f5g6h7j8k9l0-stale-busy-0.1'], machine: 'build-box-07' }] },
    );
    expect(real).toHaveLength(4);
    expect(parseFailedSteps(html)).toEqual(real);
  });

  it('new Hydra: Step, step/N/log, propagated after the log link', () => {
    // The simulation has no Resolved steps (content-addressed derivations); compare the rest.
    const real = parseFailedSteps(fixture('new-dependency-failed.html')).filter((s) => s.status !== 'Resolved');
    const html = renderBuildPageHtml(
      { ...build, id: 300000123, job: 'python313Packages.pyopenssl.x86_64-linux' },
      [
        {
          nr: 1,
          outputs: ['/nix/store/9d1jcx5p6bq3fl4vgc2w8yq6kzm0iarn-openssl-3.5.1-bin', '/nix/store/x2n0rg8h4vzjw1fkq7mbd5c3lya69pis-openssl-3.5.1-dev'],
          status: 'Cached failure',
          propagatedFrom: 299999001,
        },
        { nr: 3, outputs: ['/nix/store/k5m0cp2q9r7s3t8v1w4x6y0z2a3b4c5d-libfoo-1.0-rc1'], status: 'Failed', propagatedFrom: null, errorMsg: "builder for '/nix/store/aaaa-libfoo.drv' failed & left no output <sad>" },
        { nr: 4, outputs: ['/nix/store/m1n2b3v4c5x6z7l8k9j0h1g2f3d4s5a6-bigdata-2.0'], status: 'Timed out', propagatedFrom: 299000555, kind: 'substitution', hasLog: false },
      ],
      { baseUrl: 'https://hydra.nixos.org', style: 'new' },
    );
    expect(real).toHaveLength(3);
    expect(parseFailedSteps(html)).toEqual(real);
  });
});

describe('renderStepPageHtml read back by parseStepDerivation', () => {
  it('gives back the step derivation, not the build one, as the real step page does', () => {
    const drvpath = '/nix/store/4k5l6z7x8c9v0b1n2m3q4w5e6r7t8y9u-openssl-3.5.1.drv';
    const html = renderStepPageHtml(build, { ...steps[0]!, drvpath, system: 'x86_64-linux' }, { baseUrl: 'http://sim:1' });
    expect(parseStepDerivation(html)).toBe(drvpath);
    expect(parseStepDerivation(fixture('new-step-page.html'))).toBe(drvpath);
    expect(html).toContain('(propagated from \n<a href="http://sim:1/build/4000">build 4000</a>');
    expect(html).toContain('href="http://sim:1/build/4242/step/1/log"');
  });

  it('escapes a derivation name with markup characters and still reads it back', () => {
    const drvpath = '/nix/store/jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj-a&b<c>.drv';
    const html = renderStepPageHtml(build, { ...steps[1]!, drvpath }, { baseUrl: 'http://sim:1' });
    expect(html).toContain('a&amp;b&lt;c&gt;.drv');
    expect(parseStepDerivation(html)).toBe(drvpath);
  });
});
