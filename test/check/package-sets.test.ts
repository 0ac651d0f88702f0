// Protects "check honours the report's pkgs" (nixpkgs-review 3.8+ `--pkgs pkgsCross.*`, `pkgsMusl`,
// `pkgsStatic`): a package built in another package set is compared with Hydra's job of that set
// when the jobset has one, and is "unknown", said plainly, when it does not; never with the
// native job of the same name.

import { beforeAll, expect, it } from 'vitest';
import { checkReport, formatCheckText, type CheckResult } from '../../apps/collector/src/check/index.ts';
import { newJobset } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { checkApp, checkConfig, syncNixpkgsOnce } from './support.ts';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const X = 'x86_64-linux';
const CROSS = 'pkgsCross.aarch64-multiplatform';

const report = (pkgs: string | null, failed: string[]) => ({
  checkout: 'merge', commit: null, pkgs, pr: 412346, systems: [X],
  result: { [X]: { blacklisted: [], broken: [], built: [], failed, 'non-existent': [], tests: [] } },
});

describeEachDriver('check: the report\'s package set', (get) => {
  let app: ReturnType<typeof checkApp>;

  beforeAll(async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'nixpkgs');
    // Native hello and curl are green; the jobset also builds hello (not curl) cross-compiled, and that fails.
    sim.eval(js, { jobs: { [`hello.${X}`]: 'success', [`curl.${X}`]: 'success', [`${CROSS}.hello.${X}`]: 'success' } });
    sim.advance(3600);
    sim.eval(js, { jobs: { [`hello.${X}`]: 'reuse', [`curl.${X}`]: 'reuse', [`${CROSS}.hello.${X}`]: 'failure' } });
    await syncNixpkgsOnce(database, sim);
    app = checkApp(database, checkConfig());
  });

  const answers = (r: CheckResult) => r.items.map((i) => [i.attr, i.job, i.hydra, i.verdict]);

  it('a set Hydra does not build is unknown, in plain words, not "likely new" from the native job', async () => {
    for (const pkgs of ['pkgsMusl', 'pkgsStatic']) {
      const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: report(pkgs, ['hello']) });
      expect(r.pkgs).toBe(pkgs);
      expect(answers(r)).toEqual([['hello', `${pkgs}.hello.${X}`, 'unknown', 'unknown']]);
      expect(r.items[0]!.note).toBe(`Hydra does not build ${pkgs}.hello on ${X} in nixpkgs/unstable`);
      expect(r.note).toContain(`Hydra does not build these packages in the ${pkgs} package set of nixpkgs/unstable`);
      expect(r.summary.verdicts).toMatchObject({ 'likely-new': 0, unknown: 1 });
      const text = formatCheckText(r);
      expect(text).toContain(`Built with --pkgs ${pkgs}: Hydra does not build`);
      expect(text).toContain(`hello  ${X}  ·  Hydra does not build ${pkgs}.hello`);
    }
  });

  it('pkgsCross maps to the jobset\'s pkgsCross jobs where it has them', async () => {
    const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: report(CROSS, ['hello', 'curl']) });
    expect(answers(r)).toEqual([
      ['hello', `${CROSS}.hello.${X}`, 'failing', 'already-broken'],
      ['curl', `${CROSS}.curl.${X}`, 'unknown', 'unknown'],
    ]);
    expect(r.items[0]!.note).toBeUndefined();
    expect(r.note).toContain('Hydra does not build 1 of these packages');
  });

  it('the native set (null, "pkgs" or no key) checks the native jobs', async () => {
    for (const pkgs of [null, 'pkgs']) {
      const r = await checkReport(get().db, { jobset: 'nixpkgs/unstable', report: report(pkgs, ['hello']) });
      expect(r.pkgs).toBeNull();
      expect(r.note).toBeUndefined();
      expect(answers(r)).toEqual([['hello', `hello.${X}`, 'green', 'likely-new']]);
    }
  });

  it('POST /api/check takes pkgs with a package list, and rejects a malformed one', async () => {
    const post = (body: unknown) => app.request('/api/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ packages: [{ attr: 'hello', system: X }], pkgs: CROSS });
    expect(ok.status).toBe(200);
    expect(answers((await ok.json()) as CheckResult)).toEqual([['hello', `${CROSS}.hello.${X}`, 'failing', 'already-broken']]);
    for (const bad of [{ packages: [], pkgs: 'pkgs Musl' }, { report: { ...report(null, []), pkgs: 3 } }]) {
      const res = await post(bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/pkgs must be a package set/);
    }
  });
});
