// Reads behind "did this break it, or was it already broken?" (issue 9): a jobset's eval
// revisions for the ancestry search, the breakage (and claim) covering an eval for many jobs
// at once, and the latest eval's failing jobs for the static JSON feed. All set-based.

import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { CLAIM_TTL_MS, isoTime, type BreakageState } from './breakages.ts';
import { kindSql, outcomeSql } from '../verdict/index.ts';
import { runInEvalSql } from './sql-fragments.ts';
import { pgTextArray } from './verdicts.ts';

export interface CheckJobset {
  id: number;
  project: string;
  name: string;
  repoUrl: string;
  /** The newest ingested eval, null before the first sync. */
  newestEvalId: number | null;
}

export async function checkJobset(db: Db, project: string, name: string): Promise<CheckJobset | null> {
  const [r] = await queryRows<{ id: number; project: string; name: string; repo_url: string; newest: string | number | null }>(db, sql`
    select js.id, js.project, js.name, js.repo_url, (select max(e.id) from evals e where e.jobset_id = js.id) as newest
    from jobsets js where js.project = ${project} and js.name = ${name}`);
  if (!r) return null;
  return { id: r.id, project: r.project, name: r.name, repoUrl: r.repo_url, newestEvalId: r.newest === null ? null : Number(r.newest) };
}

export interface EvalRevision {
  id: number;
  revision: string;
  timestamp: string;
}

/** The jobset's evals that name a revision, oldest first (Hydra ids order a jobset's evals). */
export async function jobsetEvalRevisions(db: Db, jobsetId: number): Promise<EvalRevision[]> {
  const rows = await queryRows<{ id: string | number; revision: string; timestamp: string | Date }>(db, sql`
    select id, revision, timestamp from evals where jobset_id = ${jobsetId} and revision is not null order by id`);
  return rows.map((r) => ({ id: Number(r.id), revision: r.revision, timestamp: isoTime(r.timestamp) }));
}

export interface CoveringBreakage {
  id: number;
  state: BreakageState;
  openedEvalId: number;
  openedAt: string;
  claim: { by: string; prUrl: string | null } | null;
}

/**
 * For each named job of the jobset, the breakage whose run covers eval `evalId` (opened at or
 * before it, not closed by then), with its active claim. One query for any number of jobs.
 */
export async function breakagesCovering(
  db: Db, a: { jobsetId: number; evalId: number; jobs: string[]; now: Date },
): Promise<Map<string, CoveringBreakage>> {
  if (!a.jobs.length) return new Map();
  const cutoff = new Date(a.now.getTime() - CLAIM_TTL_MS).toISOString();
  const rows = await queryRows<{
    job: string; id: number; state: BreakageState; opened_eval_id: string | number; opened_at: string | Date; claim_by: string | null; pr_url: string | null;
  }>(db, sql`
    select j.name as job, bk.id, bk.state, bk.opened_eval_id, bk.opened_at, c.handle as claim_by, c.pr_url
    from jobs j
    join lateral (
      select * from breakages b
      where b.job_id = j.id and b.opened_eval_id <= ${a.evalId} and (b.closed_eval_id is null or b.closed_eval_id > ${a.evalId})
      order by b.opened_eval_id desc limit 1
    ) bk on true
    left join claims c on c.breakage_id = bk.id and c.released_at is null and c.updated_at > ${cutoff}::timestamptz
    where j.jobset_id = ${a.jobsetId} and j.name = any(${pgTextArray(a.jobs)}::text[])`);
  return new Map(rows.map((r) => [r.job, {
    id: r.id, state: r.state, openedEvalId: Number(r.opened_eval_id), openedAt: isoTime(r.opened_at),
    claim: r.claim_by === null ? null : { by: r.claim_by, prUrl: r.pr_url },
  }]));
}

export interface FailingFeedHead {
  evalId: number;
  revision: string | null;
  timestamp: string;
  /** When the eval's category counts were last computed (null: never); with `stale`, the feed's version. */
  statsComputedAt: string | null;
  statsStale: boolean;
}

/** The newest eval of the jobset and its stats' freshness: enough for an ETag without reading the rows. */
export async function failingFeedHead(db: Db, jobsetId: number): Promise<FailingFeedHead | null> {
  const [r] = await queryRows<{ id: string | number; revision: string | null; timestamp: string | Date; computed_at: string | Date | null; stale: boolean | null }>(db, sql`
    select e.id, e.revision, e.timestamp, s.computed_at, s.stale
    from evals e left join eval_stats s on s.eval_id = e.id
    where e.jobset_id = ${jobsetId} order by e.id desc limit 1`);
  if (!r) return null;
  return {
    evalId: Number(r.id), revision: r.revision, timestamp: isoTime(r.timestamp),
    statsComputedAt: r.computed_at === null ? null : isoTime(r.computed_at), statsStale: !!r.stale,
  };
}

export interface FailingJob {
  job: string;
  system: string;
  kind: 'direct' | 'dependency';
  status: number | null;
  buildId: number;
  /** The eval that opened the job's current breakage (null when none covers it). */
  sinceEvalId: number | null;
  breakageId: number | null;
}

/** Every member job of eval `evalId` whose build currently fails, in byte order of job name (the same on every server locale), with its breakage. */
export async function failingJobsOfEval(db: Db, jobsetId: number, evalId: number): Promise<FailingJob[]> {
  const rows = await queryRows<{
    job: string; system: string; kind: 'direct' | 'dependency'; status: number | null; build_id: string | number; since: string | number | null; breakage_id: number | null;
  }>(db, sql`
    select f.job, f.system, f.kind, f.status, f.build_id, bk.opened_eval_id as since, bk.id as breakage_id
    from (
      select ms.job_id, j.name as job, j.system, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
      from memberships ms join jobs j on j.id = ms.job_id join builds b on b.id = ms.build_id
      where ${runInEvalSql('ms', jobsetId, evalId)}
    ) f
    left join lateral (
      select b.id, b.opened_eval_id from breakages b
      where b.job_id = f.job_id and b.opened_eval_id <= ${evalId} and (b.closed_eval_id is null or b.closed_eval_id > ${evalId})
      order by b.opened_eval_id desc limit 1
    ) bk on true
    where f.outcome = 'failure'
    order by f.job collate "C"`);
  return rows.map((r) => ({
    job: r.job, system: r.system, kind: r.kind, status: r.status, buildId: Number(r.build_id),
    sinceEvalId: r.since === null ? null : Number(r.since), breakageId: r.breakage_id,
  }));
}
