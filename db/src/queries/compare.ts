import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { categorySql, comparedBaselineSql, CONTINUING_CATEGORIES, kindSql, outcomeSql } from '../verdict/index.ts';
import { runInEvalSql } from './sql-fragments.ts';
import { filterSql, pageOfSource, toRow, type EvalContext, type JobRow, type JobRowFilters, type Page, type RawRow } from './verdicts.ts';

/**
 * RawRow columns from pairs `x` of (a_*, o_*) columns: the build of each job in the eval shown
 * (a, null when the job is not in it) and in the eval compared with (o). A baseline build
 * without a verdict counts as no baseline.
 */
function pairRows(x: SQL, other: EvalContext): SQL {
  const based = sql`a_build_id is not null and o_outcome in ('success', 'failure')`;
  return sql`
    select job, system,
      ${categorySql(sql`a_outcome`, comparedBaselineSql(sql`o_outcome`, sql`o_build_id is not null`))} as category,
      coalesce(a_build_id, o_build_id) as build_id,
      case when a_build_id is null then o_status else a_status end as status,
      coalesce(a_outcome, o_outcome) as outcome,
      case when a_build_id is null then o_kind else a_kind end as kind,
      case when ${based} then ${other.id}::bigint end as base_eval_id,
      case when ${based} then o_build_id end as base_build_id,
      case when ${based} then o_outcome end as base_outcome,
      case when ${based} then ${other.revision}::text end as base_revision
    from (${x}) x`;
}

/**
 * Rows of eval `ctx` against any other eval `other` of the same jobset as the baseline: a
 * merge on job. A baseline build without a verdict counts as no baseline.
 *
 * Runs make most of the merge trivial: a job has the same build in both evals exactly when
 * one run covers both, and only jobs with a run starting in (older, newer] or ending in
 * [older, newer) can differ. So:
 * - without category or kind filters, the page walks the jobset's jobs in name order
 *   (jobs_jobset_name) and looks up each job's run in either eval by primary key, stopping
 *   after one page; the total is a count of the two member sets' job ids (no builds, no names);
 * - with them, the changed jobs (found through memberships_first/memberships_last) are merged
 *   as two small run sets, and the unchanged ones, only when a requested category can hold them, come
 *   from one scan of the runs covering both evals with their build's current outcome.
 */
export async function compareJobRows(db: Db, ctx: EvalContext, other: EvalContext, f: JobRowFilters, cursor: string | null, limit: number): Promise<Page<JobRow>> {
  if (ctx.jobsetId !== other.jobsetId) return crossJobsetRows(db, ctx, other, f, cursor, limit);
  const E = ctx.id;
  const O = other.id;
  const J = ctx.jobsetId;
  const lo = Math.min(E, O);
  const hi = Math.max(E, O);
  const byOutcome = !!f.categories?.length || !!f.kinds?.length;

  // The build of job `j` in eval `e`, by primary key: its newest run starting at or before e, if that run reaches e.
  const runOf = (alias: string, e: number) => sql`
    left join lateral (
      select m.build_id, m.last_eval_id from memberships m where m.job_id = j.id and m.first_eval_id <= ${e}
      order by m.first_eval_id desc limit 1
    ) ${sql.raw(alias)} on ${sql.raw(alias)}.last_eval_id is null or ${sql.raw(alias)}.last_eval_id >= ${e}`;
  const pairColumns = sql`
    j.name as job, j.system,
    ba.id as a_build_id, ba.status as a_status, case when ba.id is not null then ${outcomeSql('ba')} end as a_outcome, ${kindSql('ba')} as a_kind,
    bo.id as o_build_id, bo.status as o_status, case when bo.id is not null then ${outcomeSql('bo')} end as o_outcome, ${kindSql('bo')} as o_kind`;
  const pairJoins = sql`
    ${runOf('ra', E)}
    ${runOf('ro', O)}
    left join builds ba on ba.id = ra.build_id
    left join builds bo on bo.id = ro.build_id`;
  const rowOf = (x: SQL) => pairRows(x, other);

  let rows: RawRow[];
  let total: number;
  if (!byOutcome) {
    // The page: walk jobs by name from the cursor, one pair of index lookups per job, stop after limit + 1 rows.
    rows = await queryRows<RawRow>(db, sql`
      select * from (${rowOf(sql`
        select ${pairColumns}
        from jobs j ${pairJoins}
        where j.jobset_id = ${J} and (ra.build_id is not null or ro.build_id is not null)
          ${cursor === null ? sql`` : sql`and j.name > ${cursor}`}`)}) r
      where ${filterSql(f, null)}
      order by job limit ${limit + 1}`);
    // The total: job ids in either eval; names only when a filter reads them.
    const member = (e: number) => sql`
      select job_id from memberships where jobset_id = ${J} and first_eval_id <= ${e} and (last_eval_id is null or last_eval_id >= ${e})`;
    const ids = E === O ? member(E) : sql`${member(E)} union ${member(O)}`;
    const named = !!(f.systems?.length || f.q || f.jobs);
    const [c] = await queryRows<{ n: string | number }>(db, named
      ? sql`select count(*) as n from (select j.name as job, j.system from (${ids}) m join jobs j on j.id = m.job_id) s where ${filterSql(f, null)}`
      : sql`select count(*) as n from (${ids}) m`);
    total = Number(c?.n ?? 0);
  } else {
    // Changed jobs: the run covering the newer eval that started after the older one, merged with the run
    // covering the older eval that ended before the newer one; two index range scans, one hash merge.
    const [aSide, oSide] = E === hi ? ['h', 'l'] : ['l', 'h'];
    const changed = sql`
      select j.name as job, j.system,
        ba.id as a_build_id, ba.status as a_status, case when ba.id is not null then ${outcomeSql('ba')} end as a_outcome, ${kindSql('ba')} as a_kind,
        bo.id as o_build_id, bo.status as o_status, case when bo.id is not null then ${outcomeSql('bo')} end as o_outcome, ${kindSql('bo')} as o_kind
      from (
        select coalesce(h.job_id, l.job_id) as job_id, ${sql.raw(aSide)}.build_id as a_build, ${sql.raw(oSide)}.build_id as o_build
        from (
          select job_id, build_id from memberships
          where jobset_id = ${J} and first_eval_id > ${lo} and first_eval_id <= ${hi} and (last_eval_id is null or last_eval_id >= ${hi})
        ) h full join (
          select job_id, build_id from memberships
          where jobset_id = ${J} and last_eval_id >= ${lo} and last_eval_id < ${hi} and first_eval_id <= ${lo}
        ) l on l.job_id = h.job_id
      ) c
      join jobs j on j.id = c.job_id
      left join builds ba on ba.id = c.a_build
      left join builds bo on bo.id = c.o_build`;
    const withSame = !f.categories?.length || f.categories.some((c) => CONTINUING_CATEGORIES.has(c));
    const same = sql`
      select j.name as job, j.system,
        b.id as a_build_id, b.status as a_status, ${outcomeSql('b')} as a_outcome, ${kindSql('b')} as a_kind,
        b.id as o_build_id, b.status as o_status, ${outcomeSql('b')} as o_outcome, ${kindSql('b')} as o_kind
      from memberships ms join jobs j on j.id = ms.job_id join builds b on b.id = ms.build_id
      where ms.jobset_id = ${J} and ms.first_eval_id <= ${lo} and (ms.last_eval_id is null or ms.last_eval_id >= ${hi})`;
    const source = rowOf(withSame ? sql`${changed} union all ${same}` : changed);
    rows = await queryRows<RawRow>(db, sql`
      select *, count(*) over () as total from (select * from (${source}) s where ${filterSql(f, null)}) f
      where ${cursor === null ? sql`true` : sql`job > ${cursor}`}
      order by job limit ${limit + 1}`);
    total = rows.length ? Number(rows[0]!.total) : 0;
    // The window count runs after the cursor cut, so count separately when paging past the first page.
    if (cursor !== null) {
      const [c] = await queryRows<{ n: string }>(db, sql`select count(*) as n from (${source}) s where ${filterSql(f, null)}`);
      total = Number(c?.n ?? 0);
    }
  }
  const items = rows.slice(0, limit).map((r) => toRow(r, ctx));
  return { items, total, nextCursor: rows.length > limit ? items[items.length - 1]!.job : null };
}

/** Evals of different jobsets share no job ids: every row is new or removed. The plain merge of both member sets. */
async function crossJobsetRows(db: Db, ctx: EvalContext, other: EvalContext, f: JobRowFilters, cursor: string | null, limit: number): Promise<Page<JobRow>> {
  const member = (e: EvalContext) => sql`
    select ms.job_id, b.id as build_id, b.status, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
    from memberships ms join builds b on b.id = ms.build_id
    where ${runInEvalSql('ms', e.jobsetId, e.id)}`;
  const source = pairRows(sql`
    select j.name as job, j.system,
      a.build_id as a_build_id, a.status as a_status, a.outcome as a_outcome, a.kind as a_kind,
      o.build_id as o_build_id, o.status as o_status, o.outcome as o_outcome, o.kind as o_kind
    from (${member(ctx)}) a full join (${member(other)}) o on o.job_id = a.job_id
    join jobs j on j.id = coalesce(a.job_id, o.job_id)`, other);
  return pageOfSource(db, ctx, source, f, cursor, limit);
}
