import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { listBreakages, maintainedPackagesSql, replaceAttribution, type MaintainerIdentity } from '../../db/src/queries/index.ts';
import { withHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';
import { packagesJobset } from './support.ts';

const T0 = Date.UTC(2026, 10, 16) / 1000;
const X = 'x86_64-linux';
const A = 'aarch64-linux';
const ctx = { now: new Date((T0 + 30 * 86400) * 1000), hydraUrl: 'http://hydra.invalid' };

/** A person's breakages as the filter finds them (through breakages.maintainer_keys). */
async function filtered(database: Database, m: MaintainerIdentity): Promise<number[]> {
  const page = await listBreakages(database.db, ctx, { maintainer: m, sort: 'opened' }, null, 1000);
  expect(page.total).toBe(page.items.length);
  return page.items.map((b) => b.id).sort((a, b) => a - b);
}

/** The same by definition: jobs whose package is in the person's maintainer_packages rows. */
async function byDefinition(database: Database, m: MaintainerIdentity): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(database.db, sql`
    select bk.id from breakages bk join jobs j on j.id = bk.job_id
    where (j.jobset_id, j.package) in (${maintainedPackagesSql(m)}) order by bk.id`);
  return rows.map((r) => r.id);
}

describeEachDriver('?maintainer= through the keys stored on breakages', (get) => {
  it('finds exactly the breakages of the packages a person maintains, before and after the attribution changes', async () => {
    const database = get();
    const { project, sim, js, pkgs, jobs: ok } = packagesJobset(T0, 'mk', 30);
    const failing = Object.fromEntries(pkgs.filter((_, i) => i % 3 === 0).map((p) => [`${p}.${X}`, 'failure' as const]));
    sim.eval(js, { jobs: ok });
    sim.advance(3600);
    // Broken before any packages.json was read: their keys come from the read.
    sim.eval(js, { jobs: { ...ok, ...failing } });
    let source: string | null = '';
    await withHarness(database, sim, { collector: { packagesJsonUrl: (ref) => (ref === `${project}/unstable` ? source : null) } }, async (h) => {
      source = `${h.sim.url}/channel/${project}-unstable/packages.json.br`;
      await h.collector.syncAll([`${project}/unstable`]);
      const [{ id: jobsetId }] = await queryRows<{ id: number }>(database.db, sql`select id from jobsets where project = ${project}`);
      // Broken after the read (and no read since): the keys are written with the breakage.
      const url = source;
      source = null;
      sim.advance(3600);
      sim.eval(js, { jobs: { ...ok, ...failing, [`pkg1.${A}`]: 'failure', [`python3Packages.requests.${A}`]: 'failure' } });
      await h.collector.syncAll([`${project}/unstable`]);

      const people = await queryRows<{ login: string | null; github_id: string | number | null }>(database.db, sql`
        select distinct login, github_id from maintainer_packages where jobset_id = ${jobsetId} order by login, github_id`);
      expect(people.length).toBeGreaterThan(3);
      const identities = (): MaintainerIdentity[] => people.flatMap((p) => [
        ...(p.login === null ? [] : [{ login: p.login, githubId: null, fileLogins: [] }]),
        ...(p.github_id === null ? [] : [
          { login: p.login ?? 'renamed-someone', githubId: Number(p.github_id), fileLogins: [] },
          // Renamed: a new login, the same id.
          { login: 'renamed-someone', githubId: Number(p.github_id), fileLogins: [] },
        ]),
        // The login taken by someone else (another id): the file's entries with an id are not theirs.
        ...(p.login === null ? [] : [{ login: p.login.toUpperCase(), githubId: 987654321, fileLogins: [] }]),
      ]);
      let found = 0;
      for (const m of identities()) {
        const want = await byDefinition(database, m);
        expect(await filtered(database, m), JSON.stringify(m)).toEqual(want);
        found += want.length;
      }
      expect(found).toBeGreaterThan(5);
      const late = await queryRows<{ id: number }>(database.db, sql`
        select bk.id from breakages bk join jobs j on j.id = bk.job_id where j.jobset_id = ${jobsetId} and j.name = ${`pkg1.${A}`}`);
      expect(late).toHaveLength(1);

      // The channel hands pkg1 to a newcomer (with an id) and pkg3 to one without: the filter follows at once.
      const newcomer = { login: 'newcomer', githubId: 4242, fileLogins: [] };
      const noId = { login: 'no-id-person', githubId: null, fileLogins: [] };
      const before = await filtered(database, newcomer);
      expect(before).toEqual([]);
      await replaceAttribution(database.db, jobsetId, { url, revisionKey: 'moved', release: null, packages: 2, now: ctx.now }, [
        { attrPath: 'pkg1', maintainers: [{ github: 'Newcomer', githubId: 4242, name: 'N' }], teams: [] },
        { attrPath: 'pkg3', maintainers: [{ github: 'no-id-person', githubId: null, name: 'P' }], teams: [] },
      ]);
      const pkg1 = await byDefinition(database, newcomer);
      expect(pkg1.length).toBe(1);
      expect(await filtered(database, newcomer)).toEqual(pkg1);
      expect(await filtered(database, noId)).toEqual(await byDefinition(database, noId));
      expect((await filtered(database, noId)).length).toBeGreaterThan(0);
      for (const m of identities()) expect(await filtered(database, m), JSON.stringify(m)).toEqual(await byDefinition(database, m));
    });
  });
});
