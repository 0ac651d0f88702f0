import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { asMaintainers } from './maintainers.ts';

export interface RoundupJobsetRow {
  id: number;
  project: string;
  name: string;
  repoUrl: string;
}

export async function findRoundupJobset(db: Db, project: string, name: string): Promise<RoundupJobsetRow | null> {
  const [r] = await queryRows<{ id: number; project: string; name: string; repo_url: string }>(db, sql`
    select id, project, name, repo_url from jobsets where project = ${project} and name = ${name}`);
  return r ? { id: r.id, project: r.project, name: r.name, repoUrl: r.repo_url } : null;
}

/** A breakage of a week with what the roundup shows of it: its job, its active claim, its credit. */
export interface WeekBreakageRow {
  id: number;
  job: string;
  system: string;
  state: 'open' | 'fixed' | 'gone';
  kind: 'direct' | 'dependency' | null;
  flaky: boolean;
  openedEvalId: number;
  openedAt: Date;
  closedEvalId: number | null;
  closedAt: Date | null;
  buildId: number;
  rangeFrom: string | null;
  rangeTo: string | null;
  fixedBy: string | null;
  claimBy: string | null;
  claimAt: Date | null;
  claimPrUrl: string | null;
  claimNote: string | null;
  /** GitHub logins of the package's maintainers (packages.json), in the file's order. */
  maintainers: string[];
}

/** The breakages opened in `week` (any state; preexisting ones were not opened in a week), each with its active claim (released_at is null), in one query. */
export async function weekBreakages(db: Db, jobsetId: number, week: string): Promise<WeekBreakageRow[]> {
  const rows = await queryRows<{
    id: number; job: string; system: string; state: WeekBreakageRow['state']; kind: WeekBreakageRow['kind']; flaky: boolean;
    opened_eval_id: number; opened_at: string | Date; closed_eval_id: number | null; closed_at: string | Date | null; build_id: number;
    range_from: string | null; range_to: string | null; fixed_by: string | null;
    claim_by: string | null; claim_at: string | Date | null; claim_pr_url: string | null; claim_note: string | null; maintainers: unknown;
  }>(db, sql`
    select bk.id, j.name as job, j.system, bk.state, bk.kind, bk.flaky, bk.opened_eval_id::float8 as opened_eval_id, bk.opened_at,
      bk.closed_eval_id::float8 as closed_eval_id, bk.closed_at, bk.build_id::float8 as build_id, bk.range_from, bk.range_to, bk.fixed_by,
      c.handle as claim_by, c.claimed_at as claim_at, c.pr_url as claim_pr_url, c.note as claim_note, pm.maintainers
    from breakages bk
    join jobs j on j.id = bk.job_id
    left join package_maintainers pm on pm.jobset_id = bk.jobset_id and pm.attr_path = j.package
    left join claims c on c.breakage_id = bk.id and c.released_at is null
    where bk.jobset_id = ${jobsetId} and bk.week = ${week} and not bk.preexisting
    order by bk.id`);
  const date = (v: string | Date | null) => (v === null ? null : new Date(v));
  return rows.map((r) => ({
    id: r.id, job: r.job, system: r.system, state: r.state, kind: r.kind, flaky: r.flaky,
    openedEvalId: Number(r.opened_eval_id), openedAt: new Date(r.opened_at),
    closedEvalId: r.closed_eval_id === null ? null : Number(r.closed_eval_id), closedAt: date(r.closed_at),
    buildId: Number(r.build_id), rangeFrom: r.range_from, rangeTo: r.range_to, fixedBy: r.fixed_by,
    claimBy: r.claim_by, claimAt: date(r.claim_at), claimPrUrl: r.claim_pr_url, claimNote: r.claim_note,
    maintainers: asMaintainers(r.maintainers).flatMap((m) => (m.github === null ? [] : [m.github])),
  }));
}

/** Breakages of weeks before `week`, or preexisting, that are still open: the backlog. ISO week strings order as text. */
export async function backlogOpenCount(db: Db, jobsetId: number, week: string): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`
    select count(*)::int as n from breakages where jobset_id = ${jobsetId} and state = 'open' and (week < ${week} or (preexisting and week = ${week}))`);
  return Number(r?.n ?? 0);
}

export interface StoredRoundup {
  jobsetId: number;
  week: string;
  frozenAt: Date;
  parts: string[];
  data: string;
}

/** Stores the week's roundup; a rerun for the same jobset and week replaces it (one row per pair). */
export async function upsertRoundup(db: Db, r: StoredRoundup): Promise<void> {
  await db.execute(sql`
    insert into roundups (jobset_id, week, frozen_at, parts, data)
    values (${r.jobsetId}, ${r.week}, ${r.frozenAt.toISOString()}::timestamptz, ${pgTextArrayLiteral(r.parts)}::text[], ${r.data})
    on conflict (jobset_id, week) do update set frozen_at = excluded.frozen_at, parts = excluded.parts, data = excluded.data`);
}

export async function storedRoundup(db: Db, jobsetId: number, week: string): Promise<StoredRoundup | null> {
  const [r] = await queryRows<{ jobset_id: number; week: string; frozen_at: string | Date; parts: string[]; data: string }>(db, sql`
    select jobset_id, week, frozen_at, parts, data from roundups where jobset_id = ${jobsetId} and week = ${week}`);
  return r ? { jobsetId: r.jobset_id, week: r.week, frozenAt: new Date(r.frozen_at), parts: r.parts, data: r.data } : null;
}

/** A text[] literal with every element quoted: parts hold newlines, commas, quotes and backslashes. */
function pgTextArrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
