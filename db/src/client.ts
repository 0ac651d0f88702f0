import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql as dsql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** Driver-agnostic database handle: the same code runs on PGlite and on postgres.js. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Run `fn` holding a session-level lock named `key`; resolves `null` without running when it is held elsewhere. */
  tryWithLock<T>(key: string, fn: () => Promise<T>): Promise<T | null>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; unset means embedded PGlite. */
  databaseUrl?: string | null;
  /** Where PGlite persists; `memory://` for a throwaway database. */
  dataDir?: string;
  /** Connections in the postgres.js pool. */
  maxConnections?: number;
}

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.maxConnections ?? 10) : await openPglite(opts.dataDir ?? './data');
  return db;
}

async function openPostgres(url: string, max: number): Promise<Database> {
  // JIT compilation costs 200+ ms on the big set-based queries and never pays back here.
  const client = postgres(url, { max, onnotice: () => {}, connection: { application_name: 'zhf', jit: 'off' } });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  await migratePostgres(db as never, { migrationsFolder });
  return {
    db,
    driver: 'postgres',
    async tryWithLock(key, fn) {
      // Advisory locks belong to a session: hold one reserved connection for the whole run.
      const conn = await client.reserve();
      try {
        const [row] = await conn`select pg_try_advisory_lock(hashtext(${key})) as ok`;
        if (!row?.ok) return null;
        try {
          return await fn();
        } finally {
          await conn`select pg_advisory_unlock(hashtext(${key}))`;
        }
      } finally {
        conn.release();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder });
  // PGlite is one connection in this process: an in-process lock set is the whole story.
  const held = new Set<string>();
  return {
    db,
    driver: 'pglite',
    async tryWithLock(key, fn) {
      if (held.has(key)) return null;
      held.add(key);
      try {
        return await fn();
      } finally {
        held.delete(key);
      }
    },
    close: () => client.close(),
  };
}

/**
 * Rows of a raw query on either driver: postgres.js returns an array, PGlite `{ rows }`.
 * The caller names the row type; the SQL text is what guarantees it.
 */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown;
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}

/** A JSON text parameter for `jsonb_to_recordset`: one round trip for many rows on both drivers. */
export function jsonParam(value: unknown): SQL {
  return dsql`${JSON.stringify(value)}::jsonb`;
}
