import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { countRoots, listRoots } from '../../db/src/queries/index.ts';
import { newJobset, newSim, withHarness, type Harness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const T0 = Date.UTC(2026, 10, 2) / 1000;
const NOW = new Date(Date.UTC(2026, 10, 4, 12));
const X = 'x86_64-linux';
const ctx = { now: NOW, hydraUrl: 'https://hydra.example.org' };

/** Requests the collector's client made, by endpoint (any status). */
function requests(h: Harness): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of h.client.stats.requests) {
    const endpoint = k.split(' ')[0]!;
    out[endpoint] = (out[endpoint] ?? 0) + n;
  }
  return out;
}

async function causesOf(database: Database, project: string) {
  const rows = await queryRows<{ job: string; state: string; kind: string | null; how: string | null; root_job: string | null; root_build_id: string | null }>(database.db, sql`
    select j.name as job, bk.state, bk.kind, bc.how, rb.job as root_job, bc.root_build_id
    from breakages bk join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id
    left join build_causes bc on bc.build_id = bk.build_id left join cause_builds rb on rb.id = bc.root_build_id
    where js.project = ${project} order by j.name, bk.opened_eval_id`);
  return Object.fromEntries(rows.map((r) => [r.job, { state: r.state, kind: r.kind, how: r.how, root: r.root_job }]));
}

describeEachDriver('root causes of dependency failures (SPEC section 8)', (get) => {
  it('follows causes that chain to the direct failure, once per build, and counts what each root blocks', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'chain');
    const ok = (names: string[]) => Object.fromEntries(names.map((n) => [`${n}.${X}`, 'success' as const]));
    sim.eval(js, { jobs: ok(['openssl', 'libssh', 'curl', 'git', 'mystery', 'zlib', 'png', 'hello']) });
    sim.advance(3600);
    // openssl fails; libssh -> openssl, curl -> libssh, git -> curl (a chain of three); mystery's
    // page names nothing (unresolvable); png's page names no build but zlib's outputs.
    const zlibOut = '/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-zlib-1.3.1';
    const e2 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'failure', [`zlib.${X}`]: { status: 1, outputs: { out: zlibOut } }, [`hello.${X}`]: 'reuse',
      [`libssh.${X}`]: 'pending', [`curl.${X}`]: 'pending', [`git.${X}`]: 'pending', [`mystery.${X}`]: 'dep', [`png.${X}`]: 'pending',
    } });
    // Dependents are created after their causes so they can name them.
    const e3 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`zlib.${X}`]: 'reuse', [`hello.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse',
      [`libssh.${X}`]: { status: 2, depFailedOn: e2.buildOf(`openssl.${X}`) },
      [`png.${X}`]: { status: 2, failedSteps: [{ nr: 1, outputs: [zlibOut], status: 'Cached failure' }] },
    } });
    const e4 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`zlib.${X}`]: 'reuse', [`hello.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`libssh.${X}`]: 'reuse', [`png.${X}`]: 'reuse',
      [`curl.${X}`]: { status: 2, depFailedOn: e3.buildOf(`libssh.${X}`) },
    } });
    sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`zlib.${X}`]: 'reuse', [`hello.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse', [`libssh.${X}`]: 'reuse', [`png.${X}`]: 'reuse',
      [`curl.${X}`]: 'reuse', [`git.${X}`]: { status: 2, depFailedOn: e4.buildOf(`curl.${X}`) },
    } });
    await withHarness(database, sim, { collector: { now: () => NOW } }, async (h) => {
      const [report] = await h.collector.syncAll(['chain/unstable']);
      expect(report!.error).toBeUndefined();
      const causes = await causesOf(database, 'chain');
      expect(causes[`libssh.${X}`]).toMatchObject({ kind: 'dependency', how: 'propagated', root: `openssl.${X}` });
      expect(causes[`curl.${X}`]).toMatchObject({ how: 'propagated', root: `openssl.${X}` });
      expect(causes[`git.${X}`]).toMatchObject({ how: 'propagated', root: `openssl.${X}` });
      expect(causes[`png.${X}`]).toMatchObject({ how: 'outputs', root: `zlib.${X}` });
      // Unresolvable: stored as such (not asked again), and the breakage stays listed.
      expect(causes[`mystery.${X}`]).toMatchObject({ state: 'open', kind: 'dependency', how: 'none', root: null });
      // One page per dependency failure (five), nothing for the direct failures; no records (all tracked).
      expect(requests(h).buildPage).toBe(5);

      const roots = await listRoots(database.db, ctx, { week: undefined, states: ['open'] }, null, 10);
      expect(roots.items.map((r) => [r.breakage.job, r.blocks])).toEqual([[`openssl.${X}`, 3], [`zlib.${X}`, 1]]);
      expect(roots.items[0]!.blocked.map((b) => b.job)).toEqual([`curl.${X}`, `git.${X}`, `libssh.${X}`]);
      expect(roots.items[0]!.jobsets).toEqual(['chain/unstable']);
      expect(roots.items[0]!.breakage.blocks).toBe(3);
      expect(await countRoots(database.db, await jobsetId(database, 'chain'))).toEqual({ roots: 2, blocked: 4 });

      // A second pass reads nothing again.
      h.client.stats.requests.clear();
      await h.collector.resolveCauses();
      expect(requests(h).buildPage ?? 0).toBe(0);
    });
  });

  it('resolves within the budget and continues where it stopped on the next pass', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'budget');
    const names = Array.from({ length: 12 }, (_, i) => `dep${String(i).padStart(2, '0')}`);
    sim.eval(js, { jobs: Object.fromEntries(['core', ...names].map((n) => [`${n}.${X}`, 'success' as const])) });
    const e2 = sim.eval(js, { jobs: { [`core.${X}`]: 'failure', ...Object.fromEntries(names.map((n) => [`${n}.${X}`, 'pending' as const])) } });
    sim.eval(js, { jobs: { [`core.${X}`]: 'reuse', ...Object.fromEntries(names.map((n) => [`${n}.${X}`, { status: 2, depFailedOn: e2.buildOf(`core.${X}`) }])) } });
    await withHarness(database, sim, { collector: { now: () => NOW, maxCauseFetches: 5 } }, async (h) => {
      await h.collector.syncAll(['budget/unstable']);
      expect(requests(h).buildPage).toBe(5);
      const id = await jobsetId(database, 'budget');
      let c = await countRoots(database.db, id);
      expect(c.blocked).toBe(5);
      await h.collector.resolveCauses();
      await h.collector.resolveCauses();
      expect(requests(h).buildPage).toBe(12);
      c = await countRoots(database.db, id);
      expect(c).toEqual({ roots: 1, blocked: 12 });
    });
  });

  it('is one root when the same derivation fails in two tracked jobsets, and a fixed root leaves its dependents open until they are rebuilt', async () => {
    const database = get();
    const sim = newSim(T0);
    const a = sim.jobset('nixpkgs', 'unstable');
    const b = sim.jobset('nixos', 'unstable');
    const drv = '/nix/store/cccccccccccccccccccccccccccccccc-openssl-3.4.0.drv';
    const out = { out: '/nix/store/dddddddddddddddddddddddddddddddd-openssl-3.4.0' };
    sim.eval(a, { jobs: { [`openssl.${X}`]: 'success', [`curl.${X}`]: 'success' } });
    sim.eval(b, { jobs: { [`nixpkgs.openssl.${X}`]: 'success', [`nixpkgs.wget.${X}`]: 'success' } });
    sim.advance(3600);
    const a2 = sim.eval(a, { jobs: { [`openssl.${X}`]: { status: 1, drv, outputs: out }, [`curl.${X}`]: 'pending' } });
    const b2 = sim.eval(b, { jobs: { [`nixpkgs.openssl.${X}`]: { status: 1, drv, outputs: out }, [`nixpkgs.wget.${X}`]: 'pending' } });
    sim.eval(a, { jobs: { [`openssl.${X}`]: 'reuse', [`curl.${X}`]: { status: 2, depFailedOn: a2.buildOf(`openssl.${X}`) } } });
    // nixos's dependent names nixpkgs's build: Hydra shares the failed step across jobsets.
    sim.eval(b, { jobs: { [`nixpkgs.openssl.${X}`]: 'reuse', [`nixpkgs.wget.${X}`]: { status: 2, depFailedOn: a2.buildOf(`openssl.${X}`) } } });
    void b2;
    await withHarness(database, sim, { collector: { now: () => NOW } }, async (h) => {
      await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable']);
      // Other tests' jobsets share the database: keep this test's roots.
      const all = await listRoots(database.db, ctx, { week: undefined, states: ['open'] }, null, 100);
      const roots = all.items.filter((r) => r.jobsets.some((j) => j.startsWith('nixpkgs/') || j.startsWith('nixos/')));
      expect(roots).toHaveLength(1);
      expect(roots[0]!.blocks).toBe(2);
      expect(roots[0]!.jobsets).toEqual(['nixos/unstable', 'nixpkgs/unstable']);
      expect(roots[0]!.blocked.map((x) => `${x.jobset} ${x.job}`)).toEqual([`nixos/unstable nixpkgs.wget.${X}`, `nixpkgs/unstable curl.${X}`]);
      // nixos's own openssl breakage is the same root: it blocks the same two jobs.
      const nixosOnly = await listRoots(database.db, ctx, { week: undefined, states: ['open'], jobsetId: await jobsetId(database, 'nixos') }, null, 10);
      expect(nixosOnly.items.map((r) => [r.breakage.job, r.blocks])).toEqual([[`nixpkgs.openssl.${X}`, 2]]);

      // The root is fixed: its breakage closes, its dependents stay open (Hydra has not rebuilt them).
      sim.advance(3600);
      sim.eval(a, { jobs: { [`openssl.${X}`]: 'success', [`curl.${X}`]: 'reuse' } });
      await h.collector.syncAll(['nixpkgs/unstable']);
      let causes = await causesOf(database, 'nixpkgs');
      expect(causes[`openssl.${X}`]!.state).toBe('fixed');
      expect(causes[`curl.${X}`]).toMatchObject({ state: 'open', root: `openssl.${X}` });
      // Then Hydra rebuilds the dependent: it closes as fixed.
      sim.advance(3600);
      sim.eval(a, { jobs: { [`openssl.${X}`]: 'reuse', [`curl.${X}`]: 'success' } });
      await h.collector.syncAll(['nixpkgs/unstable']);
      causes = await causesOf(database, 'nixpkgs');
      expect(causes[`curl.${X}`]!.state).toBe('fixed');
    });
  });

  it('says plainly when the filter answers the build page, once', async () => {
    const database = get();
    const { sim, js } = newJobset(T0, 'filtered');
    sim.eval(js, { jobs: { [`core.${X}`]: 'success', [`dep.${X}`]: 'success' } });
    const e2 = sim.eval(js, { jobs: { [`core.${X}`]: 'failure', [`dep.${X}`]: 'pending' } });
    sim.eval(js, { jobs: { [`core.${X}`]: 'reuse', [`dep.${X}`]: { status: 2, depFailedOn: e2.buildOf(`core.${X}`) } } });
    await withHarness(database, sim, { collector: { now: () => NOW } }, async (h) => {
      await h.collector.syncAll(['filtered/unstable']);
      await queryRows(database.db, sql`delete from build_causes`);
      // The filter's generated HTML arrives as 200 text/html, like the page: it is not taken as one.
      h.sim.config.filter = { userAgents: ['zhf-test'] };
      const r = await h.collector.resolveCauses();
      expect(r).toBeNull();
      expect(h.client.filtered?.message).toMatch(/filter answered HTML/);
      expect((await queryRows(database.db, sql`select count(*)::int as n from build_causes`))[0]).toEqual({ n: 0 });
    });
  });
});

async function jobsetId(database: Database, project: string): Promise<number> {
  const [r] = await queryRows<{ id: number }>(database.db, sql`select id from jobsets where project = ${project}`);
  return r!.id;
}
