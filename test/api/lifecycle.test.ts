import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/src/index.ts';
import { describeEachDriver } from '../support/db.ts';
import { breakageId, call, devLogin, REQUESTS, useScenario, X } from './support.ts';

// When Hydra shows the job fixed, the breakage closes and its claim with it, crediting the claimant.
describeEachDriver('claims close with the breakage', (get) => {
  const t = useScenario(get);

  it('a restarted build that succeeds fixes the breakage and credits the claimant', async () => {
    const alice = await devLogin(t.app, 'alice');
    const id = await breakageId(get(), REQUESTS);
    expect((await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice, body: { prUrl: 'https://github.com/NixOS/nixpkgs/pull/42' } })).status).toBe(201);

    t.s.sim.restart(t.s.e2.buildOf(REQUESTS), { status: 0, finishAt: t.s.sim.now() + 60 });
    await t.s.h.collector.syncAll(['nixpkgs/unstable']);
    t.s.sim.advance(120);
    await t.s.h.collector.syncAll(['nixpkgs/unstable']);

    const b = await call(t.app, 'GET', `/api/breakages/${id}`);
    expect(b.status).toBe(200);
    expect(b.json).toMatchObject({ id, job: REQUESTS, state: 'fixed', fixedBy: 'alice', claim: null });
    const [claim] = await queryRows<{ release_reason: string; released_by: string }>(get().db, sql`
      select release_reason, released_by from claims where breakage_id = ${id}`);
    expect(claim).toEqual({ release_reason: 'fixed', released_by: 'hydra' });
    // Closed: no longer claimable, and no longer open in the list.
    expect((await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: alice })).status).toBe(409);
    const open = await call(t.app, 'GET', '/api/breakages?state=open');
    expect(open.json.items.map((x: { job: string }) => x.job)).not.toContain(REQUESTS);
  });

  it('a new eval in which the job succeeds closes the claim as fixed too', async () => {
    const bob = await devLogin(t.app, 'bob');
    const id = await breakageId(get(), `newjob.${X}`);
    expect((await call(t.app, 'POST', `/api/breakages/${id}/claim`, { as: bob })).status).toBe(201);
    t.s.sim.advance(3600);
    const e4 = t.s.sim.eval({ project: 'nixpkgs', name: 'unstable' }, { jobs: {
      [`hello.${X}`]: 'reuse', [`newjob.${X}`]: 'success', [`depfail.${X}`]: 'reuse', [REQUESTS]: 'reuse',
    } });
    const [report] = await t.s.h.collector.syncAll(['nixpkgs/unstable']);
    expect(report!.newEvals).toEqual([e4.id]);
    const b = await call(t.app, 'GET', `/api/breakages/${id}`);
    expect(b.json).toMatchObject({ state: 'fixed', closedEvalId: e4.id, fixedBy: 'bob', claim: null });
  });
});
