import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';

/** What the log service needs of a build: its derivation, when known, and whether it has ended. */
export interface LogBuild {
  id: number;
  /** '' for a short record (known from /api/latestbuilds only) or a placeholder. */
  drvpath: string;
  detailed: boolean;
  finished: boolean;
  status: number | null;
  /** Epoch seconds; a log fetched before it belongs to an earlier run of the derivation. */
  stoptime: number | null;
}

export interface StoredLogTail {
  drvPath: string;
  lines: string[];
  tail: number;
  fetchedAt: Date;
}

/** The failing build of a breakage, or null when the breakage does not exist. */
export async function breakageBuildId(db: Db, breakageId: number): Promise<number | null> {
  const [r] = await queryRows<{ build_id: string | number }>(db, sql`select build_id from breakages where id = ${breakageId}`);
  return r ? Number(r.build_id) : null;
}

export async function logBuild(db: Db, buildId: number): Promise<LogBuild | null> {
  const [r] = await queryRows<{ id: string | number; drvpath: string; detailed: boolean; finished: number; status: number | null; stoptime: string | number | null }>(db, sql`
    select id, drvpath, detailed, finished, status, stoptime from builds where id = ${buildId}`);
  if (!r) return null;
  return { id: Number(r.id), drvpath: r.drvpath, detailed: r.detailed, finished: Number(r.finished) === 1, status: r.status === null ? null : Number(r.status), stoptime: r.stoptime === null ? null : Number(r.stoptime) };
}

type RawTail = { drv_path: string; lines: string[]; tail: number; fetched_at: string | Date };
const toTail = (r: RawTail): StoredLogTail => ({ drvPath: r.drv_path, lines: r.lines, tail: Number(r.tail), fetchedAt: new Date(r.fetched_at) });

export async function logTailOf(db: Db, drvPath: string): Promise<StoredLogTail | null> {
  const [r] = await queryRows<RawTail>(db, sql`select drv_path, lines, tail, fetched_at from log_tails where drv_path = ${drvPath}`);
  return r ? toTail(r) : null;
}

/** The newest tail fetched for a build, whatever its derivation (for builds whose drvpath is not stored). */
export async function logTailOfBuild(db: Db, buildId: number): Promise<StoredLogTail | null> {
  const [r] = await queryRows<RawTail>(db, sql`
    select drv_path, lines, tail, fetched_at from log_tails where build_id = ${buildId} order by fetched_at desc limit 1`);
  return r ? toTail(r) : null;
}

/** Stores a derivation's tail, replacing an older one. Lines go as one jsonb parameter: they hold quotes, commas and backslashes. */
export async function storeLogTail(db: Db, t: StoredLogTail & { buildId: number }): Promise<void> {
  await db.execute(sql`
    insert into log_tails (drv_path, lines, tail, fetched_at, build_id)
    values (${t.drvPath}, array(select l from jsonb_array_elements_text(${JSON.stringify(t.lines)}::jsonb) with ordinality as x(l, i) order by i), ${t.tail}, ${t.fetchedAt.toISOString()}::timestamptz, ${t.buildId})
    on conflict (drv_path) do update set lines = excluded.lines, tail = excluded.tail, fetched_at = excluded.fetched_at, build_id = excluded.build_id`);
}
