import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type Database } from '../../db/src/index.ts';

export type DriverName = 'pglite' | 'postgres';

/** Drivers the database suites run on: PGlite always, the PostgreSQL server when TEST_DATABASE_URL is set. */
export const drivers: DriverName[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A fresh, migrated database: in-memory PGlite, or a new database on the test server dropped by `close`. */
export async function openTestDatabase(driver: DriverName): Promise<Database> {
  if (driver === 'pglite') return openDatabase({ dataDir: 'memory://' });
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const name = `zhf_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: u.toString(), maxConnections: 20 });
  return {
    ...database,
    async close() {
      await database.close();
      const a = postgres(url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/**
 * Runs `body` once per driver inside a describe block, with a database opened before and
 * closed after. `get()` returns the open database.
 */
export function describeEachDriver(title: string, body: (get: () => Database, driver: DriverName) => void): void {
  for (const driver of drivers) {
    describe(`${title} [${driver}]`, () => {
      let database: Database | undefined;
      beforeAll(async () => {
        database = await openTestDatabase(driver);
      });
      afterAll(async () => {
        await database?.close();
      });
      body(() => {
        if (!database) throw new Error('database not open yet');
        return database;
      }, driver);
    });
  }
}
