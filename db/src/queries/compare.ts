import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { kindSql, outcomeSql } from './sql-fragments.ts';
import { filterSql, toRow, type EvalContext, type JobRow, type JobRowFilters, type Page, type RawRow } from './verdicts.ts';

/**
 * Rows of eval `ctx` against any other eval `other` of the same jobset as the baseline: a
 * merge on job. A baseline build without a verdict counts as no baseline.
 */
export async function compareJobRows(db: Db, ctx: EvalContext, other: EvalContext, f: JobRowFilters, cursor: string | null, limit: number): Promise<Page<JobRow>> {
  const member = (e: EvalContext) => sql`
    select ms.job_id, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
    from memberships ms join builds b on b.id = ms.build_id
    where ms.jobset_id = ${e.jobsetId} and ms.first_eval_id <= ${e.id} and (ms.last_eval_id is null or ms.last_eval_id >= ${e.id})`;
  const source = sql`
    select j.name as job, j.system,
      case
        when a.job_id is null then 'removed'
        when a.outcome = 'pending' then 'pending'
        when a.outcome = 'infra' then 'infra'
        when o.job_id is null then (case when a.outcome = 'success' then 'new_job' else 'new_job_failing' end)
        when o.outcome not in ('success', 'failure') then (case when a.outcome = 'success' then 'succeeding' else 'failing' end)
        when a.outcome = 'success' then (case when o.outcome = 'success' then 'still_succeeding' else 'fixed' end)
        else (case when o.outcome = 'success' then 'new_failure' else 'still_failing' end)
      end as category,
      coalesce(a.build_id, o.build_id) as build_id,
      case when a.job_id is null then o.status else a.status end as status,
      coalesce(a.outcome, o.outcome) as outcome,
      case when a.job_id is null then o.kind else a.kind end as kind,
      case when a.job_id is not null and o.outcome in ('success', 'failure') then ${other.id}::bigint end as base_eval_id,
      case when a.job_id is not null and o.outcome in ('success', 'failure') then o.build_id end as base_build_id,
      case when a.job_id is not null and o.outcome in ('success', 'failure') then o.outcome end as base_outcome,
      case when a.job_id is not null and o.outcome in ('success', 'failure') then ${other.revision}::text end as base_revision
    from (${member(ctx)}) a full join (${member(other)}) o on o.job_id = a.job_id
    join jobs j on j.id = coalesce(a.job_id, o.job_id)`;
  const rows = await queryRows<RawRow>(db, sql`
    select *, count(*) over () as total from (select * from (${source}) s where ${filterSql(f, null)}) f
    where ${cursor === null ? sql`true` : sql`job > ${cursor}`}
    order by job limit ${limit + 1}`);
  let total = rows.length ? Number(rows[0]!.total) : 0;
  if (cursor !== null) {
    const [c] = await queryRows<{ n: string }>(db, sql`select count(*) as n from (${source}) s where ${filterSql(f, null)}`);
    total = Number(c?.n ?? 0);
  }
  const items = rows.slice(0, limit).map((r) => toRow(r, ctx));
  return { items, total, nextCursor: rows.length > limit ? items[items.length - 1]!.job : null };
}
