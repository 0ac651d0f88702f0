import { expect, it } from 'vitest';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, devLogin, makeApp, NOW, T0, X } from './support.ts';

describeEachDriver('GET /api/roots and root causes on breakages (SPEC section 8)', (get) => {
  it('lists roots most blocking first, with rootCause, blocks and the claim that covers dependents', async () => {
    const sim = new ScriptedHydra({ start: T0 });
    const js = sim.jobset('nixpkgs', 'unstable');
    const names = ['openssl', 'libssh', 'curl', 'git', 'zlib', 'png', 'alone'];
    sim.eval(js, { jobs: Object.fromEntries(names.map((n) => [`${n}.${X}`, 'success'])) });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'failure', [`zlib.${X}`]: 'failure', [`alone.${X}`]: 'failure',
      [`libssh.${X}`]: 'pending', [`curl.${X}`]: 'pending', [`git.${X}`]: 'pending', [`png.${X}`]: 'pending',
    } });
    const dep = (job: string) => ({ status: 2, depFailedOn: e2.buildOf(job) });
    sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`zlib.${X}`]: 'reuse', [`alone.${X}`]: 'reuse',
      [`libssh.${X}`]: dep(`openssl.${X}`), [`curl.${X}`]: dep(`openssl.${X}`), [`git.${X}`]: dep(`openssl.${X}`), [`png.${X}`]: dep(`zlib.${X}`),
    } });
    const h = await startHarness(get(), sim, { collector: { now: () => NOW } });
    try {
      await h.collector.syncAll(['nixpkgs/unstable']);
      const app = makeApp(get());
      const r = await call(app, 'GET', '/api/roots');
      expect(r.status).toBe(200);
      expect(r.json.total).toBe(2);
      expect(r.json.items.map((i: { breakage: { job: string }; blocks: number }) => [i.breakage.job, i.blocks])).toEqual([[`openssl.${X}`, 3], [`zlib.${X}`, 1]]);
      expect(r.json.items[0].blocked.map((b: { job: string }) => b.job)).toEqual([`curl.${X}`, `git.${X}`, `libssh.${X}`]);
      // Each root's breakage is the one /api/breakages/:id shows, blocks included.
      for (const item of r.json.items) {
        expect(item.breakage).toEqual((await call(app, 'GET', `/api/breakages/${item.breakage.id}`)).json);
        expect(item.breakage.blocks).toBe(item.blocks);
      }
      // Paging: one per page, the order holds across pages.
      const p1 = await call(app, 'GET', '/api/roots?limit=1');
      const p2 = await call(app, 'GET', `/api/roots?limit=1&cursor=${p1.json.nextCursor}`);
      expect([p1.json.items[0].breakage.job, p2.json.items[0].breakage.job, p2.json.nextCursor]).toEqual([`openssl.${X}`, `zlib.${X}`, null]);

      // Dependents name their root; a claim on the root covers them.
      const opensslId = r.json.items[0].breakage.id;
      const octo = await devLogin(app, 'octo');
      expect((await call(app, 'POST', `/api/breakages/${opensslId}/claim`, { as: octo, body: {} })).status).toBe(201);
      const list = await call(app, 'GET', '/api/breakages?kind=dependency');
      const curl = list.json.items.find((b: { job: string }) => b.job === `curl.${X}`);
      expect(curl.rootCause).toEqual({ buildId: e2.buildOf(`openssl.${X}`), job: `openssl.${X}`, jobset: 'nixpkgs/unstable', system: X, breakageId: opensslId, claimedBy: 'octo' });
      expect(curl.blocks).toBe(0);
      const one = await call(app, 'GET', `/api/breakages/${opensslId}`);
      expect([one.json.blocks, one.json.rootCause]).toEqual([3, null]);
      const alone = (await call(app, 'GET', '/api/breakages?kind=direct')).json.items.find((b: { job: string }) => b.job === `alone.${X}`);
      expect([alone.blocks, alone.rootCause]).toEqual([0, null]);

      // Filters apply to the root; bad input is a 400 or 404, never a 500.
      expect((await call(app, 'GET', '/api/roots?state=fixed')).json.total).toBe(0);
      expect((await call(app, 'GET', `/api/roots?system=aarch64-linux`)).json.total).toBe(0);
      expect((await call(app, 'GET', '/api/roots?week=backlog')).json.total).toBe(0);
      for (const bad of ['cursor=WzEsMl0x', 'cursor=%00', 'week=nope', 'state=closed', 'limit=0', `cursor=${Buffer.from('["a",1]').toString('base64url')}`]) {
        const b = await call(app, 'GET', `/api/roots?${bad}`);
        expect([bad, b.status, b.json?.error?.code]).toEqual([bad, 400, 'invalid']);
      }
      expect((await call(app, 'GET', '/api/roots?jobset=nope/nope')).status).toBe(404);

      // Why a dependent failed is in its root's log: the tail is the root build's.
      sim.setLog(e2.buildOf(`openssl.${X}`), 'configure\nmake\nerror: openssl test suite failed\n');
      const withHydra = makeApp(get(), { hydra: h.client });
      const log = await call(withHydra, 'GET', `/api/breakages/${curl.id}/log?lines=2`);
      expect([log.status, log.json.buildId, log.json.lines]).toEqual([200, e2.buildOf(`openssl.${X}`), ['make', 'error: openssl test suite failed']]);
    } finally {
      await h.close();
    }
  });
});
