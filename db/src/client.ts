import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { is, sql as dsql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PgliteSession } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, PostgresJsSession } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** Driver-agnostic database handle: the same code runs on PGlite and on postgres.js. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Run `fn` holding a session-level lock named `key`; resolves `null` without running when it is held elsewhere. */
  tryWithLock<T>(key: string, fn: () => Promise<T>): Promise<T | null>;
  /** PGlite on disk: this process's hold on the directory, for the whole time the database is open. */
  dataDirLock?: DataDirLock;
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

/**
 * PGlite's session class, set once a PGlite database is opened. PGlite is loaded only then:
 * its module costs ~45 MB of RSS, which a process on PostgreSQL (the collector's) never needs.
 */
let pgliteSessionClass: typeof PgliteSession | null = null;

async function openPglite(dataDir: string): Promise<Database> {
  const [{ PGlite }, { drizzle: drizzlePglite, PgliteSession }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'), import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator'),
  ]);
  pgliteSessionClass = PgliteSession;
  // A PGlite directory has one owner across processes (see data-dir-lock.ts): throws DataDirBusyError.
  const dataDirLock = dataDir.startsWith('memory://') ? undefined : acquireDataDirLock(dataDir);
  let client: PGlite;
  let db: Db;
  try {
    client = new PGlite(dataDir);
    await client.waitReady;
    db = drizzlePglite(client, { schema }) as unknown as Db;
    await migratePglite(db as never, { migrationsFolder });
  } catch (err) {
    dataDirLock?.release();
    throw err;
  }
  // The directory is this process's alone: an in-process lock set is the whole story.
  const held = new Set<string>();
  return {
    db,
    driver: 'pglite',
    dataDirLock,
    async tryWithLock(key, fn) {
      if (held.has(key)) return null;
      held.add(key);
      try {
        return await fn();
      } finally {
        held.delete(key);
      }
    },
    async close() {
      try {
        await client.close();
      } finally {
        dataDirLock?.release();
      }
    },
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

/** How many rows a raw INSERT/UPDATE/DELETE wrote, on either driver (postgres.js `count`, PGlite `affectedRows`). */
export async function writeCount(db: Db, query: SQL): Promise<number> {
  const res = (await db.execute(query)) as unknown as { count?: number | null; affectedRows?: number };
  const n = res.count ?? res.affectedRows;
  if (typeof n !== 'number') throw new Error('the driver did not report how many rows the statement wrote');
  return n;
}

/** A JSON text parameter for `jsonb_to_recordset`: one round trip for many rows on both drivers. */
export function jsonParam(value: unknown): SQL {
  return dsql`${JSON.stringify(value)}::jsonb`;
}

/**
 * Appends rows to `target` (`table (col, ...)`) with COPY. `rows` is COPY's text format: one
 * line per row, fields joined by tabs, each made by `copyField`/`copyArray` (`\N` is null).
 * COPY fills whole pages at once and skips the executor's per-row work, so many new rows cost
 * the server about a third less than INSERT ... SELECT. It runs on the handle's own connection,
 * inside its transaction when `db` is one: postgres.js streams COPY FROM STDIN, PGlite reads
 * the same text from a blob.
 */
export async function copyRows(db: Db, target: string, rows: string): Promise<void> {
  if (rows === '') return;
  const session = (db as unknown as { session: unknown }).session;
  if (pgliteSessionClass !== null && is(session, pgliteSessionClass)) {
    const client = (session as unknown as { client: { query(q: string, p: unknown[], o: { blob: Blob }): Promise<unknown> } }).client;
    await client.query(`copy ${target} from '/dev/blob'`, [], { blob: new Blob([rows]) });
    return;
  }
  if (!is(session, PostgresJsSession)) throw new Error('copyRows: unknown database driver');
  const client = (session as unknown as { client: postgres.Sql }).client;
  const query = client.unsafe(`copy ${target} from stdin`);
  // postgres.js (3.4.x, porsager/postgres#1173) never settles the stream when the server
  // rejects the data after the last write; its error only reaches the query's own reject,
  // which the stream has already resolved. Listen there too, or a bad row would hang the ingest.
  const internal = query as unknown as { reject: (err: unknown) => void };
  let failed!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const reject = internal.reject;
  internal.reject = (err) => {
    failed(err);
    reject(err);
  };
  const stream = await query.writable();
  await Promise.race([
    failure,
    new Promise<void>((resolve, rejectWrite) => {
      stream.on('error', rejectWrite);
      stream.end(rows, () => resolve());
    }),
  ]);
}

/** One text field for `copyRows`: backslash, tab, newline and carriage return escaped; null is `\N`. */
export function copyField(value: string | number | boolean | null): string {
  if (value === null) return '\\N';
  if (typeof value !== 'string') return typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => copyEscapes[c]!) : value;
}

const copyEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text[] field for `copyRows`: an array literal of quoted elements, then escaped as a field. */
export function copyArray(values: string[]): string {
  return copyField(`{${values.map((v) => `"${/["\\]/.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`).join(',')}}`);
}
