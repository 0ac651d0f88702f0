/**
 * Copies a zhf PostgreSQL database into an embedded PGlite data directory, for measuring the
 * same data on both engines without ingesting it twice. The directory is opened the way zhf
 * opens it (its owner lock, then zhf's own migrations), then every table's rows go across with
 * COPY: postgres.js streams `COPY ... TO STDOUT`, PGlite reads the same text from a blob, a few
 * tens of MB per statement so neither side holds a whole table. All in one PGlite transaction
 * with foreign-key triggers off (the source already satisfies them); then the sequences, and
 * each table's row count checked equal on both sides. Any difference throws.
 */
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase } from '../../db/src/index.ts';

export interface PgliteCopyReport {
  /** Wall time of the whole copy: open and migrate, rows, sequences, counts. */
  ms: number;
  /** Opening the directory as zhf does: a fresh PGlite cluster, then zhf's migrations. */
  openMs: number;
  /** The rows alone (COPY out of PostgreSQL and into PGlite). */
  copyMs: number;
  tables: { name: string; rows: number; bytes: number; ms: number }[];
  rows: number;
  /** COPY text moved, in bytes. */
  bytes: number;
  sequences: number;
  /** VACUUM (ANALYZE) afterwards, as the PostgreSQL side had: planner statistics and visibility maps. */
  vacuumMs: number;
}

/** How much COPY text one PGlite statement takes: large enough to amortize a statement, small enough for WASM memory. */
const CHUNK_BYTES = 32 * 2 ** 20;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** `chunkBytes`: COPY text per PGlite statement (tests make it small to cut tables into many). */
export async function copyPostgresToPglite(sourceUrl: string, dataDir: string, opts: { chunkBytes?: number } = {}): Promise<PgliteCopyReport> {
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const t0 = performance.now();
  const source = postgres(sourceUrl, { max: 1, onnotice: () => {} });
  // zhf's own open: takes the directory's lock and applies the migrations.
  const target = await openDatabase({ dataDir });
  const openMs = performance.now() - t0;
  try {
    // The client drizzle wraps: COPY FROM a blob is PGlite's own API.
    const pg = (target.db as unknown as { $client: PGlite }).$client;
    const tables = (await source<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`).map((r) => r.name);
    const targetTables = new Set((await pg.query<{ name: string }>(`
      select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)).rows.map((r) => r.name));
    const [{ n: sourceMigrations }] = await source<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    const { rows: [targetMigrations] } = await pg.query<{ n: number }>(`select count(*)::int as n from drizzle.__drizzle_migrations`);
    if (targetMigrations!.n !== sourceMigrations) {
      throw new Error(`the source has ${sourceMigrations} migrations applied, PGlite ${targetMigrations!.n}: copy between databases of one schema version`);
    }
    const missing = tables.filter((t) => !targetTables.has(t));
    const extra = [...targetTables].filter((t) => !tables.includes(t));
    if (missing.length || extra.length) {
      throw new Error(`the migrated PGlite schema differs from the source: missing ${missing.join(', ') || 'none'}; extra ${extra.join(', ') || 'none'} (are both at the same migration?)`);
    }
    const columnsOf = async (table: string) => (await source<{ name: string }[]>`
      select column_name as name from information_schema.columns
      where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER' order by ordinal_position`).map((r) => r.name);

    const report: PgliteCopyReport = { ms: 0, copyMs: 0, tables: [], rows: 0, bytes: 0, sequences: 0, vacuumMs: 0, openMs };
    const tCopy = performance.now();
    await pg.transaction(async (tx) => {
      // Foreign keys are checked by triggers: the source has already satisfied them.
      await tx.exec(`set local session_replication_role = replica`);
      await tx.exec(`set local maintenance_work_mem = '256MB'`);
      for (const table of tables) {
        const t1 = performance.now();
        // Indexes that back no constraint are built once after the rows, by sorting, rather than
        // grown row by row: a third of the copy's time on the maintainer tables. The same
        // definitions come back, and the end checks them against the source's.
        const { rows: plain } = await tx.query<{ name: string; def: string }>(`
          select i.indexname as name, i.indexdef as def from pg_indexes i
          where i.schemaname = 'public' and i.tablename = $1
            and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`, [table]);
        for (const i of plain) await tx.exec(`drop index public.${quoteIdent(i.name)}`);
        const cols = (await columnsOf(table)).map(quoteIdent).join(', ');
        const into = `copy ${quoteIdent(table)} (${cols}) from '/dev/blob'`;
        const stream = await source.unsafe(`copy ${quoteIdent(table)} (${cols}) to stdout`).readable();
        const bytes = await new Promise<number>((resolve, reject) => {
          // postgres.js 3.4 pauses its socket when a COPY stream's buffer is full and resumes it
          // only from the stream's read(). Rows that arrive before this listener (the stream is
          // handed over a promise later) can fill the buffer on a table's last rows: the stream
          // then ends with the socket paused, before ReadyForQuery, and the next query waits
          // forever. So read() is called once more after the end (it only resumes the socket),
          // and the stream is never paused here: PGlite's COPY runs synchronously in WASM, which
          // holds the socket back while it works.
          let chunks: Buffer[] = [];
          let pending = 0;
          let total = 0;
          let chain = Promise.resolve();
          let failed: unknown = null;
          const flush = () => {
            if (!pending) return;
            // Socket buffers sit on ordinary ArrayBuffers, never shared ones.
            const blob = new Blob(chunks as Uint8Array<ArrayBuffer>[]);
            chunks = [];
            pending = 0;
            chain = chain.then(() => tx.query(into, [], { blob }).then(() => undefined)).catch((err: unknown) => void (failed ??= err));
          };
          // PostgreSQL sends one CopyData message per row: cutting between chunks never splits a row.
          stream.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            pending += chunk.length;
            total += chunk.length;
            if (pending >= chunkBytes) flush();
          });
          stream.on('error', reject);
          stream.on('end', () => {
            (stream as unknown as { _read(n: number): void })._read(0);
            flush();
            void chain.then(() => (failed ? reject(failed) : resolve(total)));
          });
        });
        for (const i of plain) await tx.exec(i.def);
        report.tables.push({ name: table, rows: 0, bytes, ms: performance.now() - t1 });
        report.bytes += bytes;
      }
    });
    report.copyMs = performance.now() - tCopy;

    // Sequences (serial ids and the placeholder builds' one) continue where the source's stand.
    const seqs = await source<{ name: string; last: string | null }[]>`
      select sequencename as name, last_value::text as last from pg_sequences where schemaname = 'public'`;
    for (const s of seqs) {
      const q = `public.${quoteIdent(s.name)}`;
      if (s.last === null) await pg.query(`select setval($1::regclass, 1, false)`, [q]);
      else await pg.query(`select setval($1::regclass, $2::bigint, true)`, [q, s.last]);
    }
    report.sequences = seqs.length;

    const indexes = async (rows: { name: string; def: string }[]) => rows.map((r) => `${r.name}: ${r.def}`).sort();
    const indexQuery = `select indexname as name, indexdef as def from pg_indexes where schemaname = 'public'`;
    const [sourceIndexes, targetIndexes] = [await indexes(await source.unsafe(indexQuery)), await indexes((await pg.query<{ name: string; def: string }>(indexQuery)).rows)];
    if (sourceIndexes.join('\n') !== targetIndexes.join('\n')) {
      throw new Error(`the PGlite copy's indexes differ from the source's: only in PostgreSQL ${sourceIndexes.filter((i) => !targetIndexes.includes(i)).join('; ') || 'none'}; only in PGlite ${targetIndexes.filter((i) => !sourceIndexes.includes(i)).join('; ') || 'none'}`);
    }
    const mismatches: string[] = [];
    for (const t of report.tables) {
      const [{ n: want }] = await source.unsafe<{ n: string }[]>(`select count(*)::text as n from ${quoteIdent(t.name)}`);
      const { rows: [got] } = await pg.query<{ n: string }>(`select count(*)::text as n from ${quoteIdent(t.name)}`);
      t.rows = Number(want);
      report.rows += t.rows;
      if (got!.n !== want) mismatches.push(`${t.name}: ${want} in PostgreSQL, ${got!.n} in PGlite`);
    }
    if (mismatches.length) throw new Error(`the PGlite copy lost or gained rows: ${mismatches.join('; ')}`);
    for (const s of seqs) {
      const { rows: [r] } = await pg.query<{ last: string | null }>(`select last_value::text as last from pg_sequences where schemaname = 'public' and sequencename = $1`, [s.name]);
      if ((r?.last ?? null) !== s.last) throw new Error(`sequence ${s.name}: ${s.last} in PostgreSQL, ${r?.last ?? 'missing'} in PGlite`);
    }
    const tVacuum = performance.now();
    await pg.exec('vacuum (analyze)');
    report.vacuumMs = performance.now() - tVacuum;
    report.ms = performance.now() - t0;
    return report;
  } finally {
    await target.close();
    await source.end();
  }
}
