/**
 * What the fix list's roots view asks the API for (SPEC section 8): the roots under the list's
 * filters (their own claim and job name too), and the breakages not folded under one of them, so
 * that the roots and the rest together show every breakage once; and the eval's line "N dependency
 * failures trace back to M roots".
 */
import { expect, it } from 'vitest';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { call, devLogin, makeApp, NOW, T0, X } from './support.ts';

type Item = { id: number; job: string };
const jobs = (r: { json: { items: Item[] } }) => r.json.items.map((b) => b.job).sort();
const rootJobs = (r: { json: { items: { breakage: Item }[] } }) => r.json.items.map((i) => i.breakage.job);

describeEachDriver('the roots view: roots, and what is not folded under them', (get) => {
  it('folds roots and their open dependents away from the rest, and nothing else', async () => {
    const sim = new ScriptedHydra({ start: T0 });
    const js = sim.jobset('nixpkgs', 'unstable');
    const names = ['openssl', 'libssh', 'curl', 'git', 'zlib', 'png', 'alone', 'mystery'];
    sim.eval(js, { jobs: Object.fromEntries(names.map((n) => [`${n}.${X}`, 'success'])) });
    sim.advance(3600);
    const e2 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'failure', [`zlib.${X}`]: 'failure', [`alone.${X}`]: 'failure', [`mystery.${X}`]: 'dep',
      [`libssh.${X}`]: 'pending', [`curl.${X}`]: 'pending', [`git.${X}`]: 'pending', [`png.${X}`]: 'pending',
    } });
    const dep = (job: string) => ({ status: 2, depFailedOn: e2.buildOf(job) });
    sim.advance(3600);
    const e3 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`zlib.${X}`]: 'reuse', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse',
      [`libssh.${X}`]: dep(`openssl.${X}`), [`curl.${X}`]: dep(`openssl.${X}`), [`git.${X}`]: dep(`openssl.${X}`), [`png.${X}`]: dep(`zlib.${X}`),
    } });
    const h = await startHarness(get(), sim, { collector: { now: () => NOW } });
    try {
      await h.collector.syncAll(['nixpkgs/unstable']);
      const app = makeApp(get());
      const rest = (q = '') => call(app, 'GET', `/api/breakages?state=open&folded=false${q}`);

      // Roots first; below them only what they do not fold: the direct failure that blocks nothing
      // and the dependency failure whose cause Hydra does not name.
      expect(rootJobs(await call(app, 'GET', '/api/roots'))).toEqual([`openssl.${X}`, `zlib.${X}`]);
      const unfolded = await rest();
      expect(unfolded.status).toBe(200);
      expect([jobs(unfolded), unfolded.json.total]).toEqual([[`alone.${X}`, `mystery.${X}`], 2]);
      // folded=true is the other part: together they are the whole list, each breakage once.
      const folded = await call(app, 'GET', '/api/breakages?state=open&folded=true');
      expect(jobs(folded)).toEqual([`curl.${X}`, `git.${X}`, `libssh.${X}`, `openssl.${X}`, `png.${X}`, `zlib.${X}`]);
      expect(folded.json.total + unfolded.json.total).toBe((await call(app, 'GET', '/api/breakages?state=open')).json.total);

      // A filter the root does not match leaves its dependents in the rest, naming their root.
      expect(rootJobs(await call(app, 'GET', '/api/roots?q=curl'))).toEqual([]);
      const curl = await rest('&q=curl');
      expect(jobs(curl)).toEqual([`curl.${X}`]);
      expect(curl.json.items[0].rootCause).toMatchObject({ job: `openssl.${X}`, claimedBy: null });
      expect(rootJobs(await call(app, 'GET', '/api/roots?q=zli'))).toEqual([`zlib.${X}`]);

      // A claimed root covers its dependents: under "unclaimed" neither the root nor they are listed,
      // the root is under "claimed"; a dependent with a claim of its own stays in sight.
      const octo = await devLogin(app, 'octo');
      const ids = new Map((await call(app, 'GET', '/api/breakages?state=open')).json.items.map((b: Item) => [b.job, b.id]));
      expect((await call(app, 'POST', `/api/breakages/${ids.get(`openssl.${X}`)}/claim`, { as: octo, body: {} })).status).toBe(201);
      expect((await call(app, 'POST', `/api/breakages/${ids.get(`git.${X}`)}/claim`, { as: octo, body: {} })).status).toBe(201);
      expect(rootJobs(await call(app, 'GET', '/api/roots?claimed=false'))).toEqual([`zlib.${X}`]);
      expect(rootJobs(await call(app, 'GET', '/api/roots?claimed=true'))).toEqual([`openssl.${X}`]);
      expect(jobs(await rest('&claimed=false'))).toEqual([`alone.${X}`, `mystery.${X}`]);
      expect(jobs(await rest('&claimed=true'))).toEqual([`git.${X}`]);
      expect(jobs(await rest())).toEqual([`alone.${X}`, `git.${X}`, `mystery.${X}`]);

      for (const bad of ['/api/breakages?folded=maybe', '/api/breakages?folded=', '/api/roots?claimed=perhaps']) {
        const b = await call(app, 'GET', bad);
        expect([bad, b.status, b.json?.error?.code]).toEqual([bad, 400, 'invalid']);
      }

      // The eval: five dependency failures, four traced back to two roots (mystery's cause is not known).
      const ev = await call(app, 'GET', `/api/evals/${e3.id}`);
      expect(ev.json.roots).toEqual({ dependency: 5, traced: 4, roots: 2 });
      const before = await call(app, 'GET', `/api/evals/${e2.id}`);
      expect(before.json.roots).toEqual({ dependency: 1, traced: 0, roots: 0 });

      // The root is fixed: "open" roots no longer list it, so its dependents (open until Hydra
      // rebuilds them) come back into the rest, still naming it.
      sim.advance(3600);
      sim.eval(js, { jobs: Object.fromEntries(e3.jobs().map((j) => [j, j === `openssl.${X}` ? 'success' : 'reuse'])) });
      await h.collector.syncAll(['nixpkgs/unstable']);
      expect(rootJobs(await call(app, 'GET', '/api/roots'))).toEqual([`zlib.${X}`]);
      const back = await rest();
      expect(jobs(back)).toEqual([`alone.${X}`, `curl.${X}`, `git.${X}`, `libssh.${X}`, `mystery.${X}`]);
      expect(back.json.items.find((b: Item) => b.job === `curl.${X}`).rootCause.job).toBe(`openssl.${X}`);
    } finally {
      await h.close();
    }
  });
});
