// A new, empty database on the bench's PostgreSQL server, opened through zhf's own migrations,
// dropped by `drop()`.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase } from '../../db/src/index.ts';

export async function freshDatabase(base: string, prefix = 'zhf_bench') {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: u.toString(), maxConnections: 20 });
  return {
    database,
    url: u.toString(),
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
