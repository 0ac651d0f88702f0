import { expect, it } from 'vitest';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, makeApp, NOW, T0, X } from './support.ts';

type TrendEval = { evalId: number; failing: number; failingByKind: { direct: number; dependency: number }; roots: number; blockedByRoots: number };

describeEachDriver('GET /api/trends: the roots behind the failing jobs, per eval (SPEC section 8)', (get) => {
  it('counts per eval the distinct known roots of the dependency failures open in it, and how many they stand for', async () => {
    const sim = new ScriptedHydra({ start: T0 });
    const js = sim.jobset('nixpkgs', 'unstable');
    const nixos = sim.jobset('nixos', 'unstable');
    const names = ['openssl', 'libssh', 'curl', 'git', 'libxml2', 'png', 'alone', 'mystery', 'flash', 'later'];
    const e1 = sim.eval(js, { jobs: Object.fromEntries(names.map((n) => [`${n}.${X}`, 'success'])) });
    const n1 = sim.eval(nixos, { jobs: { [`tests.ssh.${X}`]: 'success' } });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'failure', [`libxml2.${X}`]: 'failure', [`alone.${X}`]: 'failure', [`mystery.${X}`]: 'dep',
      [`libssh.${X}`]: 'pending', [`curl.${X}`]: 'pending', [`git.${X}`]: 'pending', [`png.${X}`]: 'pending', [`flash.${X}`]: 'reuse', [`later.${X}`]: 'reuse',
    } });
    sim.advance(3600);
    const dep = (job: string) => ({ status: 2, depFailedOn: e2.buildOf(job) });
    const e3 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`libxml2.${X}`]: 'reuse', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`flash.${X}`]: 'reuse', [`later.${X}`]: 'reuse',
      [`libssh.${X}`]: dep(`openssl.${X}`), [`curl.${X}`]: dep(`openssl.${X}`), [`git.${X}`]: dep(`openssl.${X}`), [`png.${X}`]: dep(`libxml2.${X}`),
    } });
    const n2 = sim.eval(nixos, { jobs: { [`tests.ssh.${X}`]: dep(`openssl.${X}`) } });
    const h = await startHarness(get(), sim, { collector: { now: () => NOW } });
    try {
      // The collector reads the causes of what it shows after this pass.
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable'])) expect(r.error).toBeUndefined();
      const app = makeApp(get());
      const before = await call(app, 'GET', '/api/trends?jobset=nixpkgs/unstable&from=2026-W45&to=2026-W45');
      expect(before.json.evals.map((e: TrendEval) => [e.evalId, e.roots, e.blockedByRoots])).toEqual([
        [e1.id, 0, 0],
        [e2.id, 0, 0], // mystery's cause cannot be read: it does not count as a root
        [e3.id, 2, 4],
      ]);

      // libxml2 is fixed, png follows an eval later; flash fails behind openssl for one eval only,
      // closing before the collector looks: its cause is never read, so it is a failing job but no
      // known root's. `later` breaks behind openssl and stays broken.
      sim.advance(3600);
      const e4 = sim.eval(js, { jobs: {
        [`openssl.${X}`]: 'reuse', [`libxml2.${X}`]: 'success', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`later.${X}`]: 'reuse',
        [`libssh.${X}`]: 'reuse', [`curl.${X}`]: 'reuse', [`git.${X}`]: 'reuse', [`png.${X}`]: 'reuse', [`flash.${X}`]: dep(`openssl.${X}`),
      } });
      sim.advance(3600);
      const e5 = sim.eval(js, { jobs: {
        [`openssl.${X}`]: 'reuse', [`libxml2.${X}`]: 'reuse', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`later.${X}`]: 'reuse',
        [`libssh.${X}`]: 'reuse', [`curl.${X}`]: 'reuse', [`git.${X}`]: 'reuse', [`png.${X}`]: 'success', [`flash.${X}`]: 'success',
      } });
      sim.advance(3600);
      const e6 = sim.eval(js, { jobs: {
        [`openssl.${X}`]: 'reuse', [`libxml2.${X}`]: 'reuse', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`flash.${X}`]: 'reuse',
        [`libssh.${X}`]: 'reuse', [`curl.${X}`]: 'reuse', [`git.${X}`]: 'reuse', [`png.${X}`]: 'reuse', [`later.${X}`]: dep(`openssl.${X}`),
      } });
      sim.setClock(T0 + 6 * 3600);
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable'])) expect(r.error).toBeUndefined();

      const r = await call(app, 'GET', '/api/trends?jobset=nixpkgs/unstable&from=2026-W45&to=2026-W45');
      expect(r.status).toBe(200);
      expect(r.json.evals.map((e: TrendEval) => [e.evalId, e.roots, e.blockedByRoots])).toEqual([
        [e1.id, 0, 0],
        [e2.id, 0, 0],
        [e3.id, 2, 4], // openssl (libssh, curl, git) and libxml2 (png)
        [e4.id, 2, 4], // libxml2 fixed, png not rebuilt yet; flash's cause unknown
        [e5.id, 1, 3], // png fixed: openssl alone
        [e6.id, 1, 4], // later joins openssl's dependents
      ]);
      // Beside the failing jobs: e4 has 8 red jobs, 4 of them behind 2 roots.
      const e4row = r.json.evals.find((e: TrendEval) => e.evalId === e4.id);
      expect([e4row.failing, e4row.failingByKind]).toEqual([8, { direct: 2, dependency: 6 }]);

      // A root in another jobset counts in the jobset of its dependents.
      const other = await call(app, 'GET', '/api/trends?jobset=nixos/unstable&from=2026-W45&to=2026-W45');
      expect(other.json.evals.map((e: TrendEval) => [e.evalId, e.roots, e.blockedByRoots])).toEqual([[n1.id, 0, 0], [n2.id, 1, 1]]);

      // A range that starts after the breakages opened still counts them.
      const late = await call(app, 'GET', `/api/trends?jobset=nixpkgs/unstable&from=${new Date((T0 + 3.5 * 3600) * 1000).toISOString()}&to=2026-W45`);
      expect(late.json.evals.map((e: TrendEval) => [e.evalId, e.roots, e.blockedByRoots])).toEqual([[e5.id, 1, 3], [e6.id, 1, 4]]);
    } finally {
      await h.close();
    }
  });
});
