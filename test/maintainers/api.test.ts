import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { SIM_MAINTAINERS } from '@zhf/sim';
import { queryRows } from '../../db/src/index.ts';
import { call, devLogin, makeApp, type App } from '../api/support.ts';
import { ingestScenario, X, A, REQUESTS } from '../api/support.ts';
import { describeEachDriver } from '../support/db.ts';

const idOf = (login: string) => SIM_MAINTAINERS.find((m) => m.github === login)!.githubId!;

describeEachDriver('API: maintainers on breakages, ?maintainer=, the maintainer summary and feed', (get) => {
  let app: App;

  it('ingests a scenario whose packages.json the simulated channel serves', async () => {
    const database = get();
    const s = await ingestScenario(database, { packagesJson: true });
    await s.h.close();
    app = makeApp(database);
    const [n] = await queryRows<{ n: string | number }>(database.db, sql`select count(*) as n from package_maintainers`);
    expect(Number(n!.n)).toBeGreaterThan(3);
  });

  it('every breakage carries its package maintainers and teams, from the job name without the system', async () => {
    const r = await call(app, 'GET', '/api/breakages?week=all&sort=job');
    expect(r.status).toBe(200);
    const byJob = Object.fromEntries(r.json.items.map((b: any) => [b.job, b]));
    expect(byJob[`hello.${A}`].maintainers).toEqual([
      { github: 'heidi', githubId: idOf('heidi'), name: 'Heidi' }, { github: 'niaj', githubId: idOf('niaj'), name: 'Niaj' },
    ]);
    expect(byJob[`hello.${A}`].teams).toEqual([]);
    expect(byJob[`depfail.${X}`].teams).toEqual(['Python']);
    expect(byJob[REQUESTS].maintainers.map((m: any) => m.github)).toEqual(['victor', 'peggy']);
    const one = await call(app, 'GET', `/api/breakages/${byJob[`hello.${A}`].id}`);
    expect(one.json.maintainers).toEqual(byJob[`hello.${A}`].maintainers);
    const job = await call(app, 'GET', `/api/jobs/nixpkgs/unstable/${encodeURIComponent(REQUESTS)}`);
    expect(job.status).toBe(200);
    expect(job.json.maintainers.map((m: any) => m.github)).toEqual(['victor', 'peggy']);
    // An eval's job rows carry them too, and its compare rows.
    const [e] = await queryRows<{ id: string }>(get().db, sql`select max(id)::text as id from evals`);
    const rows = await call(app, 'GET', `/api/evals/${e!.id}/jobs?limit=200`);
    const row = rows.json.items.find((x: any) => x.job === REQUESTS);
    expect([row.maintainers.map((m: any) => m.github), row.teams]).toEqual([['victor', 'peggy'], byJob[REQUESTS].teams]);
    expect(rows.json.items.find((x: any) => x.job === `depfail.${X}`).teams).toEqual(['Python']);
    const [first] = await queryRows<{ id: string }>(get().db, sql`select min(id)::text as id from evals`);
    const cmp = await call(app, 'GET', `/api/evals/${e!.id}/compare/${first!.id}?limit=200`);
    expect(cmp.json.items.find((x: any) => x.job === REQUESTS).maintainers.map((m: any) => m.github)).toEqual(['victor', 'peggy']);
  });

  it('?maintainer= filters case-insensitively, and ?team= by team', async () => {
    const jobs = async (q: string) => {
      const r = await call(app, 'GET', `/api/breakages?week=all&sort=job&${q}`);
      expect(r.status, r.text).toBe(200);
      return r.json.items.map((b: any) => b.job);
    };
    expect(await jobs('maintainer=heidi')).toEqual([`depfail.${X}`, `hello.${A}`]);
    expect(await jobs('maintainer=HeIdI')).toEqual([`depfail.${X}`, `hello.${A}`]);
    expect(await jobs('maintainer=victor&state=open')).toEqual([`newjob.${X}`, REQUESTS]);
    expect(await jobs('maintainer=trent')).toEqual([`broken.${X}`]);
    expect(await jobs('maintainer=trent&state=open')).toEqual([]);
    expect(await jobs('team=python')).toEqual([`depfail.${X}`]);
    expect(await jobs('team=GNOME')).toEqual([]);
  });

  it('matches a renamed login by GitHub id', async () => {
    const database = get();
    // heidi renamed her account and signed in as heidi-renamed; the file still says heidi.
    await database.db.execute(sql`insert into users (github_id, login) values (${idOf('heidi')}, 'heidi-renamed')`);
    const r = await call(app, 'GET', '/api/breakages?week=all&sort=job&maintainer=heidi-renamed');
    expect(r.status).toBe(200);
    expect(r.json.items.map((b: any) => b.job)).toEqual([`depfail.${X}`, `hello.${A}`]);
    // Someone else now holds the old login "niaj" with another id: the file's niaj (by id) is not them.
    await database.db.execute(sql`insert into users (github_id, login) values (999999, 'niaj')`);
    const taken = await call(app, 'GET', '/api/breakages?week=all&maintainer=niaj');
    expect(taken.json.items).toEqual([]);
  });

  it('unknown or malformed logins are 404 JSON', async () => {
    for (const path of ['/api/breakages?maintainer=nobody-at-all', '/api/breakages?maintainer=bad%20login!', '/api/maintainers/nobody-at-all',
      '/api/maintainers/-x-', '/feeds/maintainers/nobody-at-all.atom']) {
      const r = await call(app, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.json.error.code, path).toBe('not_found');
    }
  });

  it('a signed-in user who maintains nothing has an empty page, not a 404', async () => {
    await devLogin(app, 'newcomer');
    const s = await call(app, 'GET', '/api/maintainers/newcomer');
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ login: 'newcomer', githubId: null, packages: 0, openBreakages: 0 });
    expect((await call(app, 'GET', '/api/breakages?week=all&maintainer=newcomer')).json.items).toEqual([]);
  });

  it('summarises a maintainer and serves their feed', async () => {
    const s = await call(app, 'GET', '/api/maintainers/Victor');
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ login: 'Victor', githubId: idOf('victor'), openBreakages: 2, openThisWeek: 2 });
    expect(s.json.packages).toBeGreaterThanOrEqual(2);
    const f = await call(app, 'GET', '/feeds/maintainers/victor.atom');
    expect(f.status).toBe(200);
    expect(f.headers.get('content-type')).toMatch(/atom\+xml/);
    expect(f.text).toContain('<title>New breakages in packages maintained by @victor</title>');
    expect(f.text.match(/<entry>/g)).toHaveLength(2);
    expect(f.text).toContain(`/jobs/nixpkgs/unstable/${encodeURIComponent(REQUESTS)}`);
    expect(f.text).toContain('Maintainers: victor, peggy.');
  });
});
