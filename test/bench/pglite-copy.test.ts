// The bench's PGlite figures stand on this copy: every row of every table arrives unchanged,
// ids continue where PostgreSQL's stood, and a copy that cannot be faithful fails loudly.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratedHydra } from '@zhf/sim';
import { openDatabase, type Database } from '../../db/src/index.ts';
import { upsertGithubUser } from '../../db/src/queries/index.ts';
import { startHarness } from '../support/collector.ts';
import { copyPostgresToPglite } from './pglite-copy.ts';

const server = process.env.TEST_DATABASE_URL;

describe.skipIf(!server)('copying a PostgreSQL database into a PGlite data directory', () => {
  let url: string;
  let name: string;
  let source: Database;
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'zhf-copy-test-'));
    dirs.push(d);
    return d;
  };
  const admin = () => postgres(server!, { max: 1, onnotice: () => {} });

  beforeAll(async () => {
    name = `zhf_copy_${randomBytes(4).toString('hex')}`;
    const a = admin();
    await a.unsafe(`create database ${name}`);
    await a.end();
    const u = new URL(server!);
    u.pathname = `/${name}`;
    url = u.toString();
    source = await openDatabase({ databaseUrl: url });
    const h = await startHarness(source, new GeneratedHydra({ seed: 3, jobsPerEval: 400, evals: 3, massRebuilds: [] }));
    try {
      for (const r of await h.collector.syncAll(['nixpkgs/unstable'])) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    // Text COPY must escape: a tab, a newline, a backslash and quotes in one field.
    await upsertGithubUser(source.db, { githubId: 7, login: 'odd', name: 'tab\there\nnew "line" \\ back', avatarUrl: null });
  });
  afterAll(async () => {
    await source?.close();
    const a = admin();
    await a.unsafe(`drop database if exists ${name} with (force)`);
    await a.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('brings every row of every table across, cut into many statements, and ids continue', async () => {
    const target = dir();
    // A few KB per statement: every table of more than a handful of rows goes in several.
    const report = await copyPostgresToPglite(url, target, { chunkBytes: 4096 });
    expect(report.rows).toBeGreaterThan(1000);
    const pg = postgres(url, { max: 1, onnotice: () => {} });
    const copy = await openDatabase({ dataDir: target });
    try {
      const client = (copy.db as unknown as { $client: { query<T>(q: string): Promise<{ rows: T[] }> } }).$client;
      for (const t of report.tables) {
        const q = `select to_jsonb(t)::text as r from "${t.name}" t order by 1`;
        const want = (await pg.unsafe<{ r: string }[]>(q)).map((x) => x.r);
        const got = (await client.query<{ r: string }>(q)).rows.map((x) => x.r);
        expect(got, t.name).toEqual(want);
        expect(t.rows, t.name).toBe(want.length);
      }
      // The next serial id follows the source's, not 1.
      const [{ id: lastUser }] = await pg<{ id: number }[]>`select max(id)::int as id from users`;
      const user = await upsertGithubUser(copy.db, { githubId: 8, login: 'next', name: null, avatarUrl: null });
      expect(user.id).toBe(lastUser + 1);
    } finally {
      await copy.close();
      await pg.end();
    }
  });

  it('refuses, naming the table, when the source has one the migrated copy lacks', async () => {
    const pg = postgres(url, { max: 1, onnotice: () => {} });
    await pg`create table stray_table (x int)`;
    try {
      await expect(copyPostgresToPglite(url, dir())).rejects.toThrow(/missing stray_table/);
    } finally {
      await pg`drop table stray_table`;
      await pg.end();
    }
  });
});
