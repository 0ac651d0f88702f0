import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../db/src/index.ts';
import { freezeRoundup, getRoundup } from '../../apps/collector/src/roundup/index.ts';
import { onError } from '../../apps/dashboard/src/lib/server/api/errors.ts';
import { roundupRoutes } from '../../apps/dashboard/src/lib/server/api/routes/roundups.ts';
import { RoundupSchema } from '../../apps/dashboard/src/lib/api/schemas.ts';
import { ScriptedHydra, simMaintainersOf, type EvalHandle } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const X = 'x86_64-linux';
const HYDRA = 'https://hydra.example.org';
/** Monday 2026-11-02 00:00 UTC: week 2026-W45. */
const T0 = Date.UTC(2026, 10, 2) / 1000;
const NOW = new Date('2026-11-11T06:45:00Z');
const config = { hydraUrl: HYDRA, jobsets: ['nixpkgs/unstable', 'nixos/unstable'], publicUrl: null };

async function claim(db: Database['db'], job: string, login: string) {
  await db.execute(sql`insert into users (login) values (${login}) on conflict (login) do nothing`);
  await db.execute(sql`
    insert into claims (breakage_id, user_id, handle, claimed_at)
    select b.id, u.id, u.login, '2026-11-03T09:00:00Z'
    from breakages b join jobs j on j.id = b.job_id, users u
    where j.name = ${job} and b.state = 'open' and u.login = ${login}`);
}

const section = (md: string, heading: string) => {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => l.startsWith(heading));
  if (at < 0) return null;
  const end = lines.findIndex((l, i) => i > at + 1 && (l.startsWith('### ') || l.startsWith('_Generated')));
  return lines.slice(at, end).filter((l) => l !== '');
};

describeEachDriver('the roundup lists roots with their counts before the rest (SPEC sections 7 and 8)', (get) => {
  const sim = new ScriptedHydra({ start: T0 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const nixos = sim.jobset('nixos', 'unstable');
  let e1: EvalHandle;
  let e2: EvalHandle;
  let app: Hono;
  const link = (id: number) => `[build ${id}](${HYDRA}/build/${id}) ([log](${HYDRA}/build/${id}/log))`;
  const range = () => `[${e1.revision.slice(0, 7)}...${e2.revision.slice(0, 7)}](https://github.com/NixOS/nixpkgs/compare/${e1.revision}...${e2.revision})`;
  const maintainers = (attr: string) => {
    const m = simMaintainersOf(attr).maintainers.flatMap((x) => (x.github ? [x.github] : []));
    return m.length ? ` · maintainers: ${m.join(', ')}` : '';
  };

  beforeAll(async () => {
    const database = get();
    const names = ['openssl', 'libssh', 'curl', 'git', 'libxml2', 'png', 'alone', 'mystery'];
    e1 = sim.eval(js, { jobs: Object.fromEntries(names.map((n) => [`${n}.${X}`, 'success'])) });
    sim.eval(nixos, { jobs: { [`tests.ssh.${X}`]: 'success' } });
    sim.advance(3600);
    e2 = sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'failure', [`libxml2.${X}`]: 'failure', [`alone.${X}`]: 'failure', [`mystery.${X}`]: 'dep',
      [`libssh.${X}`]: 'pending', [`curl.${X}`]: 'pending', [`git.${X}`]: 'pending', [`png.${X}`]: 'pending',
    } });
    sim.advance(3600);
    const dep = (job: string) => ({ status: 2, depFailedOn: e2.buildOf(job) });
    sim.eval(js, { jobs: {
      [`openssl.${X}`]: 'reuse', [`libxml2.${X}`]: 'reuse', [`alone.${X}`]: 'reuse', [`mystery.${X}`]: 'reuse',
      [`libssh.${X}`]: dep(`openssl.${X}`), [`curl.${X}`]: dep(`openssl.${X}`), [`git.${X}`]: dep(`openssl.${X}`), [`png.${X}`]: dep(`libxml2.${X}`),
    } });
    // nixos/unstable: a test fails because nixpkgs' openssl does: the same root, across jobsets.
    sim.eval(nixos, { jobs: { [`tests.ssh.${X}`]: dep(`openssl.${X}`) } });
    sim.setClock(T0 + 3 * 3600);
    let channel: string | null = null;
    const h = await startHarness(database, sim, { collector: { now: () => new Date((T0 + 3 * 3600) * 1000), packagesJsonUrl: () => channel } });
    try {
      channel = `${h.sim.url}/channel/nixpkgs-unstable/packages.json.br`;
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable'])) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    await claim(database.db, `openssl.${X}`, 'octo');
    app = new Hono().onError(onError).route('/api/roundups', roundupRoutes({ database, config, now: () => NOW }));
  });

  it('puts the roots first, most blocking first, and folds their dependents; an unresolved dependency failure stays listed', async () => {
    const r = (await getRoundup(get().db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, now: NOW }))!;
    expect(r.parts).toHaveLength(1);
    const md = r.markdown;
    // openssl blocks libssh, curl, git here and tests.ssh in nixos/unstable; libxml2 blocks png. Only libxml2 has maintainers.
    expect(section(md, '### Fix these first')).toEqual([
      '### Fix these first: 2 roots block 5 jobs',
      `- [ ] \`openssl.${X}\` · blocks 4 jobs · ${link(e2.buildOf(`openssl.${X}`))} · ${range()} · claimed by @octo${maintainers('openssl')}`,
      `- [ ] \`libxml2.${X}\` · blocks 1 job · ${link(e2.buildOf(`libxml2.${X}`))} · ${range()}${maintainers('libxml2')}`,
    ]);
    expect(section(md, `### ${X}`)).toEqual([
      `### ${X}`,
      `- [ ] \`alone.${X}\` · ${link(e2.buildOf(`alone.${X}`))} · ${range()}${maintainers('alone')}`,
      `- [ ] \`mystery.${X}\` · dependency failed · ${link(e2.buildOf(`mystery.${X}`))} · ${range()}${maintainers('mystery')}`,
      '- and 4 jobs blocked by the roots above',
    ]);
    expect(md.indexOf('### Fix these first')).toBeLessThan(md.indexOf(`### ${X}`));
    for (const dependent of ['libssh', 'curl', 'git', 'png']) expect(md).not.toContain(`\`${dependent}.${X}\``);
    // The summary still counts every breakage of the week.
    expect(r.summary.totals).toMatchObject({ new: 8, open: 8, claimed: 1 });
    expect(r.roots!.map((x) => [x.job, x.jobset, x.blocks, x.folded, x.claim?.by ?? null])).toEqual([
      [`openssl.${X}`, 'nixpkgs/unstable', 4, 3, 'octo'],
      [`libxml2.${X}`, 'nixpkgs/unstable', 1, 1, null],
    ]);
    const curl = r.breakages.find((b) => b.job === `curl.${X}`)!;
    expect(curl.rootKey).toBe(r.roots![0]!.key);
    expect(r.breakages.find((b) => b.job === `mystery.${X}`)!.rootKey).toBeNull();
  });

  it('lists a root of another jobset as such in that jobset\'s roundup', async () => {
    const r = (await getRoundup(get().db, { jobset: 'nixos/unstable', week: '2026-W45', hydraUrl: HYDRA, now: NOW }))!;
    expect(section(r.markdown, '### Fix these first')).toEqual([
      '### Fix these first: 1 root blocks 4 jobs',
      `- [ ] \`openssl.${X}\` in nixpkgs/unstable · blocks 4 jobs · ${link(e2.buildOf(`openssl.${X}`))} · ${range()} · claimed by @octo${maintainers('openssl')}`,
    ]);
    expect(section(r.markdown, `### ${X}`)).toEqual([`### ${X}`, '- 1 job blocked by the roots above']);
  });

  it('serves the roots in the JSON and the Markdown of the API', async () => {
    const body = await (await app.request('/api/roundups/2026-W45?jobset=nixpkgs/unstable')).json();
    expect(RoundupSchema.safeParse(body).error?.issues ?? null).toBeNull();
    const nixosBody = await (await app.request('/api/roundups/2026-W45?jobset=nixos/unstable')).json();
    expect(RoundupSchema.safeParse(nixosBody).error?.issues ?? null).toBeNull();
    expect(body.roots.map((x: { job: string; blocks: number }) => [x.job, x.blocks])).toEqual([[`openssl.${X}`, 4], [`libxml2.${X}`, 1]]);
    const md = await (await app.request('/api/roundups/2026-W45.md?jobset=nixpkgs/unstable')).text();
    expect(md).toContain('### Fix these first: 2 roots block 5 jobs\n');
  });

  it('a frozen roundup keeps the roots it froze; one frozen before roots were listed keeps having none', async () => {
    const db = get().db;
    const frozen = (await freezeRoundup(db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, now: NOW }))!;
    // The claim on libxml2 comes after the freeze: the live roundup shows it, the frozen one does not.
    await claim(db, `libxml2.${X}`, 'mona');
    const live = await freezeRoundup(db, { jobset: 'nixpkgs/unstable', week: '2026-W46', hydraUrl: HYDRA, now: NOW });
    expect(live?.roots).toEqual([]);
    const again = (await getRoundup(db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, now: NOW }))!;
    expect(again.frozen).toBe(true);
    expect(again.parts).toEqual(frozen.parts);
    expect(again.roots).toEqual(frozen.roots);
    expect(again.markdown).not.toContain('@mona');

    // A row as stored before roots existed: data without roots, parts as they were.
    await db.execute(sql`
      update roundups set data = (data::jsonb - 'roots')::text, parts = array['old part']
      where week = '2026-W45' and jobset_id = (select id from jobsets where project = 'nixpkgs' and name = 'unstable')`);
    const old = (await getRoundup(db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, now: NOW }))!;
    expect([old.frozen, old.parts, 'roots' in old]).toEqual([true, ['old part'], false]);
  });
});
