import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { simMaintainersOf } from '@zhf/sim';
import { queryRows, type Database } from '../../db/src/index.ts';
import { packageSource } from '../../db/src/queries/index.ts';
import { withHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { packagesJobset } from './support.ts';

const T0 = Date.UTC(2026, 10, 16) / 1000;

async function attribution(database: Database, project: string) {
  const rows = await queryRows<{ attr_path: string; maintainers: unknown; teams: string[] }>(database.db, sql`
    select pm.attr_path, pm.maintainers, pm.teams from package_maintainers pm join jobsets js on js.id = pm.jobset_id
    where js.project = ${project} order by pm.attr_path`);
  return new Map(rows.map((r) => [r.attr_path, {
    logins: (typeof r.maintainers === 'string' ? JSON.parse(r.maintainers) : r.maintainers as { github: string | null; name: string }[])
      .map((m: { github: string | null; name: string }) => m.github ?? `(${m.name})`),
    teams: r.teams,
  }]));
}

function expected(path: string) {
  const m = simMaintainersOf(path);
  return { logins: m.maintainers.map((x) => x.github ?? `(${x.name})`), teams: m.teams.map((t) => t.shortName) };
}

describeEachDriver('maintainers from the channel packages.json', (get) => {
  it('attributes by attribute path once per package, reads again only when the channel moves, and keeps the old attribution when a read fails', async () => {
    const database = get();
    // 40 packages so that some have no maintainer (one in seven) and some a team.
    const { project, sim, js, pkgs, jobs } = packagesJobset(T0, 'pm', 40);
    sim.eval(js, { jobs: { ...jobs, 'pkg1.x86_64-linux': 'failure' } });
    const url = (file = 'packages.json.br') => `PLACEHOLDER/channel/${project}-unstable/${file}`;
    let source = url();
    await withHarness(database, sim, {
      client: { maxAttempts: 2 },
      collector: { packagesJsonUrl: (ref) => (ref === `${project}/unstable` ? source : null) },
    }, async (h) => {
      source = url().replace('PLACEHOLDER', h.sim.url);
      await h.collector.syncAll([`${project}/unstable`]);
      const first = await attribution(database, project);
      const withSomeone = pkgs.filter((p) => expected(p).logins.length + expected(p).teams.length > 0);
      expect(withSomeone.length).toBeGreaterThan(20);
      expect(withSomeone.length).toBeLessThan(pkgs.length);
      // One row per attribute path (not per system, not per eval), exactly what the file says.
      expect([...first.keys()].sort()).toEqual(withSomeone.sort());
      for (const p of withSomeone) expect(first.get(p)).toEqual(expected(p));
      const src = (await packageSource(database.db, (await jobsetId(database, project))))!;
      expect(src.revisionKey).toMatch(new RegExp(`/channel/${project}-unstable/${project}-unstable-\\d+\\.[0-9a-f]{12}/packages.json.br$`));
      expect(src.lastError).toBeNull();
      expect(src.packages).toBe(pkgs.length);

      // The channel has not moved: one redirect is asked for, nothing downloaded.
      const served = () => h.sim.counters.get('/channel/:channel/:release/:file').requests;
      const before = served();
      await h.collector.syncAll([`${project}/unstable`]);
      expect(served()).toBe(before);

      // The channel moves (a new eval with one more package), and the new file arrives cut short.
      sim.advance(3600);
      sim.eval(js, { jobs: { ...jobs, 'brandnew.x86_64-linux': 'success' } });
      h.sim.faults.add({ path: /\/channel\/.*\/packages\.json\.br$/, kind: 'truncate', bytes: 2000, times: 2 });
      await h.collector.syncAll([`${project}/unstable`]);
      const failed = (await packageSource(database.db, await jobsetId(database, project)))!;
      expect(failed.lastError).toMatch(/packages\.json for .* from http.*: .*(unexpected end of file|truncated)/i);
      expect(failed.revisionKey).toBe(src.revisionKey);
      expect(await attribution(database, project)).toEqual(first);

      // Next time it comes whole, as raw brotli without Content-Encoding, then as plain JSON.
      source = `${url().replace('PLACEHOLDER', h.sim.url)}?raw=1`;
      await h.collector.syncAll([`${project}/unstable`]);
      const moved = (await packageSource(database.db, await jobsetId(database, project)))!;
      expect(moved.lastError).toBeNull();
      expect(moved.revisionKey).not.toBe(src.revisionKey);
      expect(moved.packages).toBe(pkgs.length + 1);
      const second = await attribution(database, project);
      if (expected('brandnew').logins.length) expect(second.get('brandnew')).toEqual(expected('brandnew'));
      source = url('packages.json').replace('PLACEHOLDER', h.sim.url);
      await h.collector.syncAll([`${project}/unstable`]);
      expect(await attribution(database, project)).toEqual(second);
    });
  });
});

async function jobsetId(database: Database, project: string): Promise<number> {
  const [r] = await queryRows<{ id: number }>(database.db, sql`select id from jobsets where project = ${project}`);
  return r!.id;
}
