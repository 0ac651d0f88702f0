import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows, type Db } from '../../db/src/index.ts';
import { ensureJobset, InsertedJobs, insertNewBuilds, upsertBuilds, type BuildRecord } from '../../db/src/queries/index.ts';
import { describeEachDriver } from '../support/db.ts';

const X = 'x86_64-linux';

/** Builds whose text fields hold everything COPY's text format and array literals escape. */
function awkwardBuilds(firstId: number): BuildRecord[] {
  const base = { finished: 1, status: 0, timestamp: 1_763_000_000, starttime: null, stoptime: 2 ** 40 };
  const rows: Omit<BuildRecord, 'id'>[] = [
    { ...base, job: `tab\there.${X}`, system: X, drvpath: '/nix/store/a-tab\t.drv', outputs: [], nixname: null },
    { ...base, job: `back\\slash\\N.${X}`, system: X, drvpath: 'C:\\store\\b.drv', outputs: ['\\', '\\N', 'a\\"b'], nixname: '\\N', status: 1 },
    { ...base, job: `new\nline\r.${X}`, system: X, drvpath: '/nix/store/c\n.drv', outputs: ['x\ny', 'cr\r'], nixname: 'multi\nline', status: 2 },
    { ...base, job: `"quoted",{braces}.${X}`, system: X, drvpath: '/nix/store/"d".drv', outputs: ['"', ',', '{}', 'NULL', ''], nixname: '{"a":1}', status: 7 },
    { ...base, job: 'ünïcödé-🙂.aarch64-darwin', system: 'aarch64-darwin', drvpath: '/nix/store/é-🙂.drv', outputs: ['/nix/store/ü', '/nix/store/🙂'], nixname: 'ünï', status: 3 },
    { ...base, job: `pending.${X}`, system: X, drvpath: '/nix/store/p.drv', outputs: ['/nix/store/p'], nixname: 'p', finished: 0, status: null, timestamp: null, stoptime: null },
    { ...base, job: 'no-system-suffix', system: '', drvpath: '/nix/store/s.drv', outputs: ['/nix/store/s1', '/nix/store/s2'], nixname: '', status: 4 },
    // The same job twice in one batch: one job row, two builds.
    { ...base, job: `tab\there.${X}`, system: X, drvpath: '/nix/store/a-tab2.drv', outputs: ['/nix/store/o'], nixname: 'twice', status: 10 },
  ];
  return rows.map((r, i) => ({ ...r, id: firstId + i }));
}

/** A jobset's builds with their jobs, ordered by build id, ids made relative to `firstId`. */
async function stored(db: Db, jobsetId: number, firstId: number) {
  const rows = await queryRows<{ n: unknown; name: string; drvpath: string; outputs: string[]; nixname: string | null; timestamp: unknown; stoptime: unknown }>(db, sql`
    select b.id::bigint - ${firstId} as n, j.name, j.system, j.package, b.finished, b.status, b.drvpath, b.outputs, b.nixname,
      b.timestamp, b.starttime, b.stoptime, b.seen_success, b.seen_failure, b.checked_at is not null as checked
    from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${jobsetId} order by b.id`);
  return rows.map((r) => ({ ...r, n: Number(r.n), timestamp: r.timestamp === null ? null : Number(r.timestamp), stoptime: r.stoptime === null ? null : Number(r.stoptime) }));
}

describeEachDriver('new builds copied in (insertNewBuilds)', (get) => {
  it('stores awkward strings, nulls and empty outputs exactly as the upsert does', async () => {
    const { db } = get();
    const viaCopy = await ensureJobset(db, 'copy', 'copied');
    const viaUpsert = await ensureJobset(db, 'copy', 'upserted');
    const copied = awkwardBuilds(900_000_000);
    const upserted = awkwardBuilds(900_100_000);
    await db.transaction(async (tx) => {
      expect(await insertNewBuilds(tx as unknown as Db, viaCopy.id, copied)).toBe(copied.length);
    });
    await db.transaction(async (tx) => void (await upsertBuilds(tx as unknown as Db, viaUpsert.id, upserted)));
    const a = await stored(db, viaCopy.id, 900_000_000);
    expect(a).toEqual(await stored(db, viaUpsert.id, 900_100_000));
    // And exactly what went in, byte for byte.
    expect(a.map((r) => [r.name, r.drvpath, r.outputs, r.nixname])).toEqual(copied.map((r) => [r.job, r.drvpath, r.outputs, r.nixname]));
    const [jobs] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from jobs where jobset_id = ${viaCopy.id}`);
    expect(jobs!.n).toBe(copied.length - 1);
  });

  it('reuses the jobset\'s existing jobs, keeping their system and package', async () => {
    const { db } = get();
    const js = await ensureJobset(db, 'copy', 'reuse');
    const job = `kept.${X}`;
    await db.transaction(async (tx) => void (await upsertBuilds(tx as unknown as Db, js.id, [
      { id: 910_000_000, job, system: X, finished: 1, status: 0, drvpath: '/nix/store/1.drv', outputs: [], nixname: null, timestamp: 1, starttime: 1, stoptime: 2 },
    ])));
    await db.transaction(async (tx) => void (await insertNewBuilds(tx as unknown as Db, js.id, [
      { id: 910_000_001, job, system: 'other-system', finished: 0, status: null, drvpath: '/nix/store/2.drv', outputs: [], nixname: null, timestamp: 2, starttime: null, stoptime: null },
      { id: 910_000_002, job: `fresh.${X}`, system: X, finished: 0, status: null, drvpath: '/nix/store/3.drv', outputs: [], nixname: null, timestamp: 2, starttime: null, stoptime: null },
    ])));
    const rows = await queryRows<{ id: string; name: string; system: string; same: boolean }>(db, sql`
      select b.id::text, j.name, j.system, b.job_id = (select job_id from builds where id = 910000000) as same
      from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${js.id} order by b.id`);
    expect(rows).toEqual([
      { id: '910000000', name: job, system: X, same: true },
      { id: '910000001', name: job, system: X, same: true },
      { id: '910000002', name: `fresh.${X}`, system: X, same: false },
    ]);
    // Sequence-assigned ids do not collide with later serial inserts.
    await db.transaction(async (tx) => void (await upsertBuilds(tx as unknown as Db, js.id, [
      { id: 910_000_003, job: `later.${X}`, system: X, finished: 0, status: null, drvpath: '/nix/store/4.drv', outputs: [], nixname: null, timestamp: 3, starttime: null, stoptime: null },
    ])));
    const [n] = await queryRows<{ jobs: number; distinct: number }>(db, sql`
      select count(*)::int as jobs, count(distinct id)::int as distinct from jobs where jobset_id = ${js.id}`);
    expect(n).toEqual({ jobs: 3, distinct: 3 });
  });

  it('in a first ingest, takes jobs it inserted in an earlier chunk from memory, without duplicating them', async () => {
    const { db } = get();
    const js = await ensureJobset(db, 'copy', 'first');
    const build = (id: number, job: string): BuildRecord => ({
      id, job, system: X, finished: 1, status: 0, drvpath: `/nix/store/${id}.drv`, outputs: [], nixname: null, timestamp: 1, starttime: 1, stoptime: 2,
    });
    const inserted = new InsertedJobs();
    await db.transaction(async (tx) => {
      await insertNewBuilds(tx as unknown as Db, js.id, [build(930_000_000, `a.${X}`), build(930_000_001, `b.${X}`)], inserted);
      expect(inserted.emptyBefore).toBe(true);
      expect(inserted.mayHave(`a.${X}`)).toBe(true);
      expect(inserted.mayHave(`c.${X}`)).toBe(false);
      // `a` again (a job listed twice in the eval) and a new `c`, in the next chunk.
      await insertNewBuilds(tx as unknown as Db, js.id, [build(930_000_002, `a.${X}`), build(930_000_003, `c.${X}`)], inserted);
    });
    const rows = await queryRows<{ id: string; name: string }>(db, sql`
      select b.id::text, j.name from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${js.id} order by b.id`);
    expect(rows.map((r) => r.name)).toEqual([`a.${X}`, `b.${X}`, `a.${X}`, `c.${X}`]);
    const [n] = await queryRows<{ jobs: number; a: number }>(db, sql`
      select count(*)::int as jobs, count(distinct b.job_id) filter (where j.name = ${`a.${X}`})::int as a
      from jobs j left join builds b on b.job_id = j.id where j.jobset_id = ${js.id}`);
    expect(n!.a).toBe(1);
    // A later transaction in the now non-empty jobset looks every name up.
    const later = new InsertedJobs();
    await db.transaction(async (tx) => void (await insertNewBuilds(tx as unknown as Db, js.id, [build(930_000_004, `b.${X}`)], later)));
    expect(later.emptyBefore).toBe(false);
    const [jobs] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from jobs where jobset_id = ${js.id}`);
    expect(jobs!.n).toBe(3);
  });

  it('fails, rather than hangs, when a build turns out to be stored already, and rolls back', async () => {
    const { db } = get();
    const js = await ensureJobset(db, 'copy', 'conflict');
    const [first] = awkwardBuilds(920_000_000);
    await db.transaction(async (tx) => void (await insertNewBuilds(tx as unknown as Db, js.id, [first!])));
    const again = { ...first!, job: `another.${X}` };
    await expect(db.transaction(async (tx) => void (await insertNewBuilds(tx as unknown as Db, js.id, [again]))))
      .rejects.toThrow(/duplicate key|unique/i);
    // The failed transaction left nothing behind (its new job included), and the handle still works.
    const [n] = await queryRows<{ jobs: number; builds: number }>(db, sql`
      select (select count(*)::int from jobs where jobset_id = ${js.id}) as jobs,
        (select count(*)::int from builds b join jobs j on j.id = b.job_id where j.jobset_id = ${js.id}) as builds`);
    expect(n).toEqual({ jobs: 1, builds: 1 });
  });
});
