import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { asMaintainers } from './maintainers.ts';
import { buildKeySql } from './sql-fragments.ts';

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
  /** A dependency failure's root key (build_causes.root_key) once its cause is resolved to a root. */
  rootKey: string | null;
}

/** The breakages opened in `week` (any state; preexisting ones were not opened in a week), each with its active claim (released_at is null), in one query. */
export async function weekBreakages(db: Db, jobsetId: number, week: string): Promise<WeekBreakageRow[]> {
  const rows = await queryRows<{
    id: number; job: string; system: string; state: WeekBreakageRow['state']; kind: WeekBreakageRow['kind']; flaky: boolean;
    opened_eval_id: number; opened_at: string | Date; closed_eval_id: number | null; closed_at: string | Date | null; build_id: number;
    range_from: string | null; range_to: string | null; fixed_by: string | null;
    claim_by: string | null; claim_at: string | Date | null; claim_pr_url: string | null; claim_note: string | null; maintainers: unknown; root_key: string | null;
  }>(db, sql`
    select bk.id, j.name as job, j.system, bk.state, bk.kind, bk.flaky, bk.opened_eval_id::float8 as opened_eval_id, bk.opened_at,
      bk.closed_eval_id::float8 as closed_eval_id, bk.closed_at, bk.build_id::float8 as build_id, bk.range_from, bk.range_to, bk.fixed_by,
      c.handle as claim_by, c.claimed_at as claim_at, c.pr_url as claim_pr_url, c.note as claim_note, pm.maintainers,
      bc.root_key
    from breakages bk
    join jobs j on j.id = bk.job_id
    left join package_maintainers pm on pm.jobset_id = bk.jobset_id and pm.attr_path = j.package
    left join claims c on c.breakage_id = bk.id and c.released_at is null
    left join build_causes bc on bc.build_id = bk.build_id and bk.kind = 'dependency'
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
    rootKey: r.root_key,
  }));
}

/** A root the week's roundup lists (SPEC sections 7 and 8), with the breakage that shows it when zhf tracks one. */
export interface WeekRootRow {
  key: string;
  /** Distinct open dependency failures over all tracked jobsets whose root it is. */
  blocks: number;
  /** A build of the root: the one dependents were resolved to (or that failed with its derivation). */
  rootBuildId: number;
  breakage: {
    id: number; jobset: string; job: string; system: string; state: 'open' | 'fixed' | 'gone'; buildId: number;
    rangeFrom: string | null; rangeTo: string | null; repoUrl: string; fixedBy: string | null;
    claimBy: string | null; claimPrUrl: string | null; maintainers: string[];
  } | null;
}

/**
 * The roots behind the week's dependency failures (those resolved to a root), and the week's own
 * failures that are roots of open dependency failures elsewhere. Of a root's breakages (one per
 * jobset where its derivation fails) the roundup's jobset's is preferred, then an open one, then the newest.
 */
export async function weekRoots(db: Db, jobsetId: number, week: string): Promise<WeekRootRow[]> {
  const rows = await queryRows<{
    key: string; blocks: string | number; root_build_id: string | number;
    id: number | null; project: string | null; jobset: string | null; job: string | null; system: string | null; state: 'open' | 'fixed' | 'gone' | null;
    build_id: string | number | null; range_from: string | null; range_to: string | null; repo_url: string | null; fixed_by: string | null;
    claim_by: string | null; claim_pr_url: string | null; maintainers: unknown;
  }>(db, sql`
    with wk as (
      select bk.build_id, bk.kind from breakages bk
      where bk.jobset_id = ${jobsetId} and bk.week = ${week} and not bk.preexisting
    ),
    keys as (
      select bc.root_key as key from wk join build_causes bc on bc.build_id = wk.build_id
      where wk.kind = 'dependency' and bc.root_key is not null
      union
      select k.key from wk cross join lateral (select ${buildKeySql(sql`wk.build_id`)} as key) k
      where wk.kind = 'direct' and exists (
        select 1 from build_causes bc join breakages d on d.build_id = bc.build_id and d.state = 'open' and d.kind = 'dependency'
        where bc.root_key = k.key)
    ),
    blocks as (
      select bc.root_key as key, count(distinct (d.jobset_id, d.job_id)) as n
      from build_causes bc join breakages d on d.build_id = bc.build_id and d.state = 'open' and d.kind = 'dependency'
      where bc.root_key in (select key from keys)
      group by 1
    ),
    rb as (
      select bc.root_key as key, bc.root_build_id as build_id from build_causes bc where bc.root_key in (select key from keys)
      union
      select keys.key, fb.id from keys join builds fb on fb.drvpath = keys.key and fb.status <> 0
    ),
    shown as (
      select distinct on (rb.key) rb.key, bk.id
      from rb join builds rbb on rbb.id = rb.build_id join breakages bk on bk.job_id = rbb.job_id
      where ${buildKeySql(sql`bk.build_id`)} = rb.key
      order by rb.key, (bk.jobset_id = ${jobsetId}) desc, (bk.state = 'open') desc, bk.opened_eval_id desc, bk.id
    ),
    one as (select distinct on (key) key, build_id from rb order by key, build_id desc)
    select keys.key, coalesce(blocks.n, 0) as blocks, one.build_id as root_build_id,
      bk.id, js.project, js.name as jobset, j.name as job, j.system, bk.state, bk.build_id, bk.range_from, bk.range_to, js.repo_url, bk.fixed_by,
      c.handle as claim_by, c.pr_url as claim_pr_url, pm.maintainers
    from keys
    join one on one.key = keys.key
    left join blocks on blocks.key = keys.key
    left join shown on shown.key = keys.key
    left join breakages bk on bk.id = shown.id
    left join jobs j on j.id = bk.job_id
    left join jobsets js on js.id = bk.jobset_id
    left join claims c on c.breakage_id = bk.id and c.released_at is null
    left join package_maintainers pm on pm.jobset_id = bk.jobset_id and pm.attr_path = j.package
    order by blocks desc, keys.key`);
  return rows.map((r) => ({
    key: r.key, blocks: Number(r.blocks), rootBuildId: Number(r.root_build_id),
    breakage: r.id === null ? null : {
      id: r.id, jobset: `${r.project}/${r.jobset}`, job: r.job!, system: r.system!, state: r.state!, buildId: Number(r.build_id),
      rangeFrom: r.range_from, rangeTo: r.range_to, repoUrl: r.repo_url!, fixedBy: r.fixed_by, claimBy: r.claim_by, claimPrUrl: r.claim_pr_url,
      maintainers: asMaintainers(r.maintainers).flatMap((m) => (m.github === null ? [] : [m.github])),
    },
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
