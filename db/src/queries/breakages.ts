import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { outcomeSql, kindSql } from '../verdict/index.ts';
import { idArray } from './sql-fragments.ts';
import { packageMaintainerKeysSql } from './maintainers.ts';

export interface JobRunRow {
  job_id: number;
  build_id: string | number;
  first_eval_id: string | number;
  last_eval_id: string | number | null;
  outcome: 'success' | 'failure' | 'pending' | 'infra';
  kind: 'direct' | 'dependency' | null;
  status: number | null;
  drvpath: string;
  seen_success: boolean;
  seen_failure: boolean;
}

/** The jobset's evals, oldest first, as breakage derivation needs them. */
export async function jobsetEvalRefs(db: Db, jobsetId: number): Promise<{ id: number; revision: string | null }[]> {
  const rows = await queryRows<{ id: string; revision: string | null }>(db, sql`select id, revision from evals where jobset_id = ${jobsetId} order by id`);
  return rows.map((r) => ({ id: Number(r.id), revision: r.revision }));
}

/**
 * Runs of the jobs (of `jobIds`, or all) that ever failed or already have a breakage: the
 * only jobs whose breakages can exist. Ordered by job, then run start.
 */
export async function runsOfFailingJobs(db: Db, jobsetId: number, jobIds: number[] | 'all'): Promise<JobRunRow[]> {
  const scope = jobIds === 'all' ? sql`true` : sql`m.job_id = any(${idArray(jobIds)}::int[])`;
  return queryRows<JobRunRow>(db, sql`
    with candidates as (
      select distinct m.job_id from memberships m join builds b on b.id = m.build_id
      where m.jobset_id = ${jobsetId} and ${scope} and (b.seen_failure or ${outcomeSql('b')} = 'failure')
      union
      select job_id from breakages m where m.jobset_id = ${jobsetId} and ${scope}
    )
    select m.job_id, m.build_id, m.first_eval_id, m.last_eval_id, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind,
      b.status, b.drvpath, b.seen_success, b.seen_failure
    from memberships m join builds b on b.id = m.build_id
    where m.job_id in (select job_id from candidates)
    order by m.job_id, m.first_eval_id`);
}

export interface BreakageUpsert {
  jobId: number;
  openedEvalId: number;
  state: 'open' | 'fixed' | 'gone';
  closedEvalId: number | null;
  kind: 'direct' | 'dependency' | null;
  status: number | null;
  buildId: number;
  baselineEvalId: number | null;
  rangeFrom: string | null;
  rangeTo: string | null;
  flaky: boolean;
  /** Opened by a `failing` row (the oldest ingested eval): backlog, never opened in a week. */
  preexisting: boolean;
}

export interface BreakageWriteResult {
  opened: number;
  closed: number;
  retracted: number;
}

/**
 * Makes the stored breakages of `jobIds` equal to `derived`: upserts by (job, opening eval),
 * retracts rows no longer derived (a restart turned the failure green: kept as fixed when
 * someone claimed it, deleted otherwise) and closes the claims of closed breakages, crediting
 * the claimant. Call inside a transaction.
 */
export async function writeBreakages(db: Db, jobsetId: number, jobIds: number[], derived: BreakageUpsert[]): Promise<BreakageWriteResult> {
  if (jobIds.length === 0) return { opened: 0, closed: 0, retracted: 0 };
  const jobsParam = sql`${`{${jobIds.join(',')}}`}::int[]`;
  let opened = 0;
  let closed = 0;
  for (let i = 0; i < Math.max(derived.length, 1); i += 20_000) {
    const chunk = derived.slice(i, i + 20_000);
    if (!chunk.length) break;
    const rows = await queryRows<{ inserted: boolean; state: string }>(db, sql`
      with x as (
        select * from jsonb_to_recordset(${jsonParam(chunk)}) as x("jobId" int, "openedEvalId" bigint, state text, "closedEvalId" bigint,
          kind text, status int, "buildId" bigint, "baselineEvalId" bigint, "rangeFrom" text, "rangeTo" text, flaky boolean, preexisting boolean)
      )
      insert into breakages as bk (jobset_id, job_id, opened_eval_id, opened_at, week, state, closed_eval_id, closed_at, kind, status,
        flaky, preexisting, build_id, baseline_eval_id, range_from, range_to, updated_at, maintainer_keys)
      select ${jobsetId}, x."jobId", x."openedEvalId", oe.timestamp, to_char(oe.timestamp at time zone 'UTC', 'IYYY-"W"IW'),
        x.state, x."closedEvalId", ce.timestamp, x.kind, x.status, x.flaky, x.preexisting, x."buildId", x."baselineEvalId", x."rangeFrom", x."rangeTo", now(),
        ${packageMaintainerKeysSql(sql`xj.jobset_id`, sql`xj.package`)}
      from x join evals oe on oe.id = x."openedEvalId" left join evals ce on ce.id = x."closedEvalId" join jobs xj on xj.id = x."jobId"
      on conflict (job_id, opened_eval_id) do update set
        state = excluded.state, closed_eval_id = excluded.closed_eval_id, closed_at = excluded.closed_at, kind = excluded.kind,
        status = excluded.status, flaky = excluded.flaky, preexisting = excluded.preexisting, build_id = excluded.build_id, baseline_eval_id = excluded.baseline_eval_id,
        range_from = excluded.range_from, range_to = excluded.range_to, updated_at = now()
      where (bk.state, bk.closed_eval_id, bk.kind, bk.status, bk.flaky, bk.preexisting, bk.build_id, bk.baseline_eval_id, bk.range_from, bk.range_to)
        is distinct from (excluded.state, excluded.closed_eval_id, excluded.kind, excluded.status, excluded.flaky, excluded.preexisting, excluded.build_id,
          excluded.baseline_eval_id, excluded.range_from, excluded.range_to)
      returning (xmax = 0) as inserted, bk.state`);
    for (const r of rows) {
      if (r.inserted) opened++;
      if (r.state !== 'open') closed++;
    }
  }
  // Breakages of these jobs that are no longer derived.
  const keep = jsonParam(derived.map((d) => ({ j: d.jobId, e: d.openedEvalId })));
  const stale = await queryRows<{ id: number; claimed: boolean }>(db, sql`
    select bk.id, exists (select 1 from claims c where c.breakage_id = bk.id) as claimed
    from breakages bk
    where bk.job_id = any(${jobsParam})
      and not exists (select 1 from jsonb_to_recordset(${keep}) as k(j int, e bigint) where k.j = bk.job_id and k.e = bk.opened_eval_id)`);
  const claimedIds = stale.filter((s) => s.claimed).map((s) => s.id);
  const unclaimedIds = stale.filter((s) => !s.claimed).map((s) => s.id);
  if (unclaimedIds.length) await db.execute(sql`delete from breakages where id = any(${`{${unclaimedIds.join(',')}}`}::int[])`);
  if (claimedIds.length) {
    await db.execute(sql`
      update breakages set state = 'fixed', closed_eval_id = opened_eval_id, closed_at = opened_at, updated_at = now()
      where id = any(${`{${claimedIds.join(',')}}`}::int[]) and state = 'open'`);
  }
  await closeClaimsOfClosedBreakages(db, jobsParam);
  return { opened, closed, retracted: stale.length };
}

/** Active claims of breakages that closed: released as fixed (crediting the claimant) or gone. */
async function closeClaimsOfClosedBreakages(db: Db, jobsParam: ReturnType<typeof sql>): Promise<void> {
  await db.execute(sql`
    with closed as (
      update claims c set released_at = now(), release_reason = bk.state, released_by = 'hydra'
      from breakages bk
      where bk.id = c.breakage_id and c.released_at is null and bk.state <> 'open' and bk.job_id = any(${jobsParam})
      returning c.breakage_id, c.handle, bk.state
    )
    update breakages bk set fixed_by = closed.handle from closed where bk.id = closed.breakage_id and closed.state = 'fixed'`);
}
