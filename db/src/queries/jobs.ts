/** A job's history: its builds eval by eval, and its breakages. */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { isoTime } from './breakages.ts';
import { kindSql, outcomeSql, type Outcome } from '../verdict/index.ts';
import { commitRange, type Page } from './verdicts.ts';
import type { JobsetRef } from './jobsets.ts';

export interface JobHistoryEntry {
  evalId: number;
  revision: string | null;
  timestamp: string;
  /** Null while the job awaits its build in that eval. */
  buildId: number | null;
  status: number | null;
  outcome: Outcome;
  kind: 'direct' | 'dependency' | null;
}

export interface JobHistory {
  jobId: number;
  system: string;
  page: Page<JobHistoryEntry> & { next: number | null };
  lastSuccess: JobHistoryEntry | null;
  firstFailureAfter: JobHistoryEntry | null;
  range: { from: string; to: string; url: string } | null;
}

type RawEntry = { eval_id: string | number; revision: string | null; timestamp: string | Date; build_id: string | number; status: number | null; outcome: Outcome; kind: 'direct' | 'dependency' | null };
const toEntry = (r: RawEntry): JobHistoryEntry => ({
  evalId: Number(r.eval_id), revision: r.revision, timestamp: isoTime(r.timestamp), buildId: Number(r.build_id) < 0 ? null : Number(r.build_id), status: r.status, outcome: r.outcome, kind: r.kind,
});

/** Per eval of the jobset containing the job (newest first): its build and outcome; and where it last went red. */
export async function jobHistory(db: Db, js: JobsetRef, jobName: string, before: number | null, limit: number): Promise<JobHistory | null> {
  const [job] = await queryRows<{ id: number; system: string }>(db, sql`select id, system from jobs where jobset_id = ${js.id} and name = ${jobName}`);
  if (!job) return null;
  const base = sql`
    select e.id as eval_id, e.revision, e.timestamp, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
    from evals e join memberships ms on ms.job_id = ${job.id} and ms.first_eval_id <= e.id and (ms.last_eval_id is null or ms.last_eval_id >= e.id)
    join builds b on b.id = ms.build_id
    where e.jobset_id = ${js.id}`;
  const rows = await queryRows<RawEntry>(db, sql`
    select * from (${base}) h where ${before === null ? sql`true` : sql`eval_id < ${before}`} order by eval_id desc limit ${limit + 1}`);
  const [c] = await queryRows<{ n: string | number }>(db, sql`select count(*) as n from (${base}) h`);
  const [ok] = await queryRows<RawEntry>(db, sql`select * from (${base}) h where outcome = 'success' order by eval_id desc limit 1`);
  const [bad] = await queryRows<RawEntry>(db, sql`
    select * from (${base}) h where outcome = 'failure' and eval_id > ${ok ? Number(ok.eval_id) : 0} order by eval_id limit 1`);
  const items = rows.slice(0, limit).map(toEntry);
  const lastSuccess = ok ? toEntry(ok) : null;
  const firstFailureAfter = bad ? toEntry(bad) : null;
  return {
    jobId: job.id,
    system: job.system,
    page: { items, total: Number(c?.n ?? 0), nextCursor: null, next: rows.length > limit ? items[items.length - 1]!.evalId : null },
    lastSuccess,
    firstFailureAfter,
    range: lastSuccess?.revision && firstFailureAfter?.revision ? commitRange(js.repoUrl, lastSuccess.revision, firstFailureAfter.revision) : null,
  };
}

