import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import cron from 'node-cron';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { queryRows, type Database } from '../../db/src/index.ts';
import { createRoundupTick, getRoundup, PART_BREAK, weekToFreeze } from '../../apps/collector/src/roundup/index.ts';
import { onError } from '../../apps/dashboard/src/lib/server/api/errors.ts';
import { roundupRoutes } from '../../apps/dashboard/src/lib/server/api/routes/roundups.ts';
import { ScriptedHydra } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const X = 'x86_64-linux';
const D = 'aarch64-darwin';
const at = (iso: string) => Date.parse(iso) / 1000;
const HYDRA = 'https://hydra.example.org';
const config = { hydraUrl: HYDRA, jobsets: ['nixpkgs/unstable', 'nixos/unstable', 'nixpkgs/never-synced'], publicUrl: 'https://zhf.example.org' };

/** Claims breakage of `job` opened in `week` for `login`, as the claim API would (user, then claim). */
async function claim(db: Database['db'], job: string, login: string, prUrl: string | null) {
  await db.execute(sql`insert into users (login) values (${login}) on conflict (login) do nothing`);
  await db.execute(sql`
    insert into claims (breakage_id, user_id, handle, pr_url, claimed_at)
    select b.id, u.id, u.login, ${prUrl}, '2026-11-03T09:00:00Z'
    from breakages b join jobs j on j.id = b.job_id, users u
    where j.name = ${job} and b.state = 'open' and u.login = ${login}`);
}

async function storedRoundups(db: Database['db']) {
  return queryRows<{ jobset: string; week: string; frozen_at: string | Date; data: string; parts: string[] }>(db, sql`
    select s.project || '/' || s.name as jobset, r.week, r.frozen_at, r.data, r.parts
    from roundups r join jobsets s on s.id = r.jobset_id order by jobset, r.week`);
}

describeEachDriver('weekly roundup from a week ingested by the collector', (get) => {
  // W44 ends on Sunday 1 November 2026; W45 is 2 to 8 November; W46 starts on 9 November.
  const sim = new ScriptedHydra({ start: at('2026-10-30T12:00:00Z') });
  const js = sim.jobset('nixpkgs', 'unstable');
  const nixos = sim.jobset('nixos', 'unstable');
  let app: Hono;

  beforeAll(async () => {
    const database = get();
    // W44 (the oldest ingested eval): `old` fails and stays broken: the backlog of W45.
    sim.eval(js, { at: at('2026-10-30T12:00:00Z'), jobs: {
      [`a.${X}`]: 'success', [`b.${X}`]: 'success', [`c.${X}`]: 'success', [`k.${X}`]: 'success', [`d.${D}`]: 'success', [`old.${X}`]: 'failure',
    } });
    sim.eval(nixos, { at: at('2026-10-30T13:00:00Z'), jobs: { [`tests.nginx.${X}`]: 'success' } });
    // W45, Monday: b, c, d break (c and d directly, k through a dependency).
    sim.eval(js, { at: at('2026-11-02T10:00:00Z'), jobs: {
      [`a.${X}`]: 'reuse', [`b.${X}`]: 'failure', [`c.${X}`]: 'failure', [`k.${X}`]: 'dep', [`d.${D}`]: 'failure', [`old.${X}`]: 'reuse',
    } });
    sim.setClock(at('2026-11-02T12:00:00Z'));
    const h = await startHarness(database, sim, { collector: { backfillEvals: 8 } });
    try {
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable'])) expect(r.error).toBeUndefined();
      // Somebody claims c (with a PR) and b, which Hydra then sees fixed: b credits its claimant.
      await claim(database.db, `c.${X}`, 'alice', 'https://github.com/NixOS/nixpkgs/pull/400001');
      await claim(database.db, `b.${X}`, 'bob', null);
      // Wednesday: b and k fixed, n is a new job that fails. Friday: d leaves the jobset.
      sim.eval(js, { at: at('2026-11-04T10:00:00Z'), jobs: {
        [`a.${X}`]: 'reuse', [`b.${X}`]: 'success', [`c.${X}`]: 'reuse', [`k.${X}`]: 'success', [`d.${D}`]: 'reuse', [`old.${X}`]: 'reuse', [`n.${X}`]: 'failure',
      } });
      // (a rebuilds: an eval without new builds is not ingested, Hydra lists it with hasnewbuilds 0.)
      sim.eval(js, { at: at('2026-11-06T10:00:00Z'), jobs: {
        [`a.${X}`]: 'success', [`b.${X}`]: 'reuse', [`c.${X}`]: 'reuse', [`k.${X}`]: 'reuse', [`old.${X}`]: 'reuse', [`n.${X}`]: 'reuse',
      } });
      sim.eval(nixos, { at: at('2026-11-05T10:00:00Z'), jobs: { [`tests.nginx.${X}`]: 'failure' } });
      // W46, Tuesday: z breaks; it belongs to W46, not to the W45 roundup.
      sim.eval(js, { at: at('2026-11-10T10:00:00Z'), jobs: {
        [`a.${X}`]: 'reuse', [`b.${X}`]: 'reuse', [`c.${X}`]: 'reuse', [`k.${X}`]: 'reuse', [`old.${X}`]: 'reuse', [`n.${X}`]: 'reuse', [`z.${X}`]: 'failure',
      } });
      sim.setClock(at('2026-11-10T12:00:00Z'));
      for (const r of await h.collector.syncAll(['nixpkgs/unstable', 'nixos/unstable'])) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    app = new Hono().onError(onError).route('/api/roundups', roundupRoutes({ database, config, now: () => new Date('2026-11-11T06:45:00Z') }));
  });

  it('renders the week as Markdown for a GitHub issue', async () => {
    const r = (await getRoundup(get().db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, dashboardUrl: config.publicUrl, now: new Date('2026-11-11T06:45:00Z') }))!;
    expect(r.frozen).toBe(false);
    expect(r.parts).toHaveLength(1);
    expect(r.markdown).toBe(r.parts[0]);
    // Build ids and revisions are the scripted Hydra's, deterministic.
    await expect(r.markdown).toMatchFileSnapshot('./__snapshots__/nixpkgs-unstable-2026-W45.md');
    expect(r.summary.totals).toEqual({ new: 5, fixed: 2, fixedOfWeek: 2, gone: 1, open: 2, claimed: 1 });
    expect(r.summary.backlogOpen).toBe(1);
  });

  it('charts the burn-down: open breakages of the week at the end of each day', async () => {
    const r = (await getRoundup(get().db, { jobset: 'nixpkgs/unstable', week: '2026-W45', hydraUrl: HYDRA, now: new Date('2026-11-11T06:45:00Z') }))!;
    expect(r.burndown).toEqual([
      { date: '2026-11-02', open: 4 }, // b, c, k, d
      { date: '2026-11-03', open: 4 },
      { date: '2026-11-04', open: 3 }, // b and k fixed, n opened
      { date: '2026-11-05', open: 3 },
      { date: '2026-11-06', open: 2 }, // d gone
      { date: '2026-11-07', open: 2 },
      { date: '2026-11-08', open: 2 },
      { date: '2026-11-09', open: 2 },
      { date: '2026-11-10', open: 2 },
      { date: '2026-11-11', open: 2 },
    ]);
  });

  it('serves the roundup as JSON and Markdown; bad weeks are 400, unknown jobsets 404', async () => {
    const json = await app.request('/api/roundups/2026-W45?jobset=nixpkgs/unstable');
    expect(json.status).toBe(200);
    const body = await json.json();
    expect(body).toMatchObject({ jobset: 'nixpkgs/unstable', week: '2026-W45', frozen: false, frozenAt: null });
    expect(body.breakages.find((b: { job: string }) => b.job === `c.${X}`).claim).toMatchObject({ by: 'alice', prUrl: expect.stringContaining('/pull/400001') });
    expect(body.breakages.find((b: { job: string }) => b.job === `b.${X}`)).toMatchObject({ state: 'fixed', claim: null, fixedBy: 'bob' });
    expect(body.burndown).toHaveLength(10);

    // The first configured jobset is the default.
    const md = await app.request('/api/roundups/2026-W45.md');
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await md.text()).toBe(body.markdown);
    const part1 = await app.request('/api/roundups/2026-W45.md?part=1');
    expect(await part1.text()).toBe(body.parts[0]);
    expect((await app.request('/api/roundups/2026-W45.md?part=2')).status).toBe(404);
    expect((await app.request('/api/roundups/2026-W45.md?part=x')).status).toBe(400);

    const other = await (await app.request('/api/roundups/2026-W45?jobset=nixos/unstable')).json();
    expect(other.breakages.map((b: { job: string }) => b.job)).toEqual([`tests.nginx.${X}`]);

    for (const bad of ['2026-W54', '2026-48', 'W45', '2026-W45.txt']) {
      const res = await app.request(`/api/roundups/${bad}`);
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.code).toBe('invalid');
    }
    const unknown = await app.request('/api/roundups/2026-W45?jobset=nixpkgs/nope');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ code: 'not_found', message: expect.stringContaining('nixpkgs/nope') });
    expect((await app.request('/api/roundups/2026-W45?jobset=nope')).status).toBe(400);
  });

  it('splits a long week into parts separated by a part-break line', async () => {
    // Not through the API: the 5,000-breakage split is the pure renderer's (pure/roundup.test.ts);
    // here only that the joined Markdown separates parts as documented.
    const { joinParts } = await import('../../apps/collector/src/roundup/index.ts');
    expect(joinParts(['**Part 1 of 2**\n\nA\n', '**Part 2 of 2**\n\nB\n'])).toBe(`**Part 1 of 2**\n\nA\n\n${PART_BREAK}\n\n**Part 2 of 2**\n\nB\n`);
  });

  it('the schedule freezes exactly one roundup per week and jobset, across a week boundary', async () => {
    const db = get().db;
    const tick = createRoundupTick({ database: get(), config });
    // Every 6 hours for 10 days from Monday 9 November (W46) to Thursday 19 November (W47).
    const start = Date.parse('2026-11-09T00:00:00Z');
    for (let t = start; t <= start + 10 * 86_400_000; t += 6 * 3_600_000) await tick(new Date(t));
    // Twice at the same instant: still one row.
    await tick(new Date('2026-11-18T06:45:00Z'));
    await tick(new Date('2026-11-18T06:45:00Z'));

    const rows = await storedRoundups(db);
    // W45 frozen in W46, W46 frozen in W47; a configured jobset never synced gets no row.
    expect(rows.map((r) => [r.jobset, r.week])).toEqual([
      ['nixos/unstable', '2026-W45'], ['nixos/unstable', '2026-W46'],
      ['nixpkgs/unstable', '2026-W45'], ['nixpkgs/unstable', '2026-W46'],
    ]);
    // The last tick of a week is the one kept.
    const w45 = rows.find((r) => r.jobset === 'nixpkgs/unstable' && r.week === '2026-W45')!;
    expect(new Date(w45.frozen_at).toISOString()).toBe('2026-11-15T18:00:00.000Z');

    // A frozen week is served from the store, flagged frozen.
    const frozen = await (await app.request('/api/roundups/2026-W45')).json();
    expect(frozen).toMatchObject({ frozen: true, frozenAt: '2026-11-15T18:00:00.000Z' });
    expect(frozen.parts).toEqual(w45.parts);
    expect(frozen.summary.totals).toEqual({ new: 5, fixed: 2, fixedOfWeek: 2, gone: 1, open: 2, claimed: 1 });

    // A rerun updates the row's time and content rather than adding one.
    await claim(db, `n.${X}`, 'carol', null);
    await tick(new Date('2026-11-15T23:00:00Z'));
    const after = await storedRoundups(db);
    expect(after).toHaveLength(4);
    const w45b = after.find((r) => r.jobset === 'nixpkgs/unstable' && r.week === '2026-W45')!;
    expect(new Date(w45b.frozen_at).toISOString()).toBe('2026-11-15T23:00:00.000Z');
    expect(w45b.parts[0]).toContain('claimed by @carol');
    expect(w45.parts[0]).not.toContain('@carol');
    expect(JSON.parse(w45b.data).summary.totals.claimed).toBe(2);
  });

  it('freezes the week that ended before the tick (Wednesday: last week)', () => {
    expect(weekToFreeze(new Date('2026-11-11T06:45:00Z'))).toBe('2026-W45');
    expect(weekToFreeze(new Date('2026-11-09T00:00:00Z'))).toBe('2026-W45');
    expect(weekToFreeze(new Date('2026-11-08T23:59:59Z'))).toBe('2026-W44');
    expect(weekToFreeze(new Date('2027-01-06T06:45:00Z'))).toBe('2026-W53');
  });
});

describeEachDriver('the roundup schedule driven by node-cron under a fake clock', (get) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once a week on Wednesday 06:45 UTC, and each firing keeps one row per week and jobset', async () => {
    const database = get();
    await database.db.execute(sql`insert into jobsets (project, name) values ('nixpkgs', 'unstable') on conflict do nothing`);
    const tick = createRoundupTick({ database, config: { hydraUrl: HYDRA, jobsets: ['nixpkgs/unstable'], publicUrl: null } });

    // node-cron v4 schedules in process with setTimeout and reads the clock with new Date():
    // both are faked. The database is real I/O, so the firings are recorded under the fake
    // clock and the ticks run at those instants once real timers are back.
    vi.useFakeTimers({ now: new Date('2026-11-09T00:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const fired: Date[] = [];
    const task = cron.schedule('45 6 * * 3', () => void fired.push(new Date()), { timezone: 'Etc/UTC', noOverlap: true });
    try {
      await vi.advanceTimersByTimeAsync(17 * 86_400_000); // to Thursday 26 November
    } finally {
      await task.stop();
      vi.useRealTimers();
    }
    expect(fired.map((d) => d.toISOString())).toEqual(['2026-11-11T06:45:00.000Z', '2026-11-18T06:45:00.000Z', '2026-11-25T06:45:00.000Z']);

    for (const now of fired) await tick(now);
    await tick(fired[1]!); // a rerun of the same firing
    const rows = await storedRoundups(database.db);
    expect(rows.map((r) => [r.jobset, r.week, new Date(r.frozen_at).toISOString()])).toEqual([
      ['nixpkgs/unstable', '2026-W45', '2026-11-11T06:45:00.000Z'],
      ['nixpkgs/unstable', '2026-W46', '2026-11-18T06:45:00.000Z'],
      ['nixpkgs/unstable', '2026-W47', '2026-11-25T06:45:00.000Z'],
    ]);
  });
});
