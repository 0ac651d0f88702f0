/** Breakages: derived per job from its runs and upserted (the claimable unit), and read back as the API lists them. */
import { sql, type SQL } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { outcomeSql, kindSql } from '../verdict/index.ts';
import { buildKeySql, idArray } from './sql-fragments.ts';
import { asMaintainers, maintainerKeys, packageMaintainerKeysSql, type MaintainerIdentity, type MaintainerRef } from './maintainers.ts';
import { commitRange, pgTextArray, type Page } from './verdicts.ts';

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

// ---------- reading breakages: filters, views, pages (the API's list) ----------

/** A claim counts as active until released or 14 days after its last update (SPEC section 4). */
export const CLAIM_TTL_MS = 14 * 86_400_000;

export type BreakageState = 'open' | 'fixed' | 'gone';
/** `kind`: direct failures first (the ones to fix), then dependency failures; each by system and job. */
export type BreakageSort = 'job' | 'opened' | 'system' | 'kind';

export interface BreakageFilters {
  jobsetId?: number;
  /** One ISO week (preexisting breakages excluded), or the backlog (open, opened before `currentWeek` or preexisting). */
  week?: { kind: 'week'; week: string } | { kind: 'backlog'; currentWeek: string };
  systems?: string[];
  states?: BreakageState[];
  kinds?: ('direct' | 'dependency')[];
  claimed?: boolean;
  /** false: only breakages opened in a known week (the feed of new breakages). */
  preexisting?: boolean;
  /** Case-insensitive substring of the job name. */
  q?: string;
  jobId?: number;
  /** Packages this person maintains (SPEC section 9). */
  maintainer?: MaintainerIdentity;
  /** Packages of this team (case-insensitive name). */
  team?: string;
  /**
   * Whether the breakage is folded under a root that `/api/roots` lists with the same filters
   * (whatever its claim): the root's own breakages, and its open, unclaimed dependents. false:
   * what the roots view lists below the roots, so nothing is hidden (SPEC section 8).
   */
  folded?: boolean;
  sort: BreakageSort;
}

export interface ClaimView {
  by: string;
  at: string;
  updatedAt: string;
  expiresAt: string;
  prUrl: string | null;
  note: string | null;
}

export interface BreakageView {
  id: number;
  jobset: string;
  job: string;
  system: string;
  state: BreakageState;
  kind: 'direct' | 'dependency' | null;
  status: number | null;
  flaky: boolean;
  /** Already failing in the jobset's oldest ingested eval: in the backlog, never opened in a week. */
  preexisting: boolean;
  week: string;
  openedEvalId: number;
  openedAt: string;
  closedEvalId: number | null;
  closedAt: string | null;
  buildId: number;
  buildUrl: string;
  /** Hydra's log of the failing build: `<hydra>/build/<id>/log`. */
  logUrl: string;
  range: { from: string; to: string; url: string } | null;
  claim: ClaimView | null;
  fixedBy: string | null;
  /** From the channel's packages.json by attribute path; empty when unknown. */
  maintainers: MaintainerRef[];
  teams: string[];
  /** The direct failure behind a dependency failure (SPEC section 8); null: not resolved yet, or Hydra does not say. */
  rootCause: RootCauseView | null;
  /** Distinct open dependency failures, over all tracked jobsets, whose root is this breakage's failing build. */
  blocks: number;
}

export interface RootCauseView {
  buildId: number;
  job: string;
  jobset: string;
  system: string;
  /** The root's breakage when its job is tracked (open first, newest first). */
  breakageId: number | null;
  /** Who holds the active claim on the root's breakage: this dependent is covered by it. */
  claimedBy: string | null;
}

/** Keyset position of a row in the chosen order: the values of its sort columns, then its id. */
export type BreakageCursor = (string | number)[];

export interface RawBreakage {
  id: number; project: string; jobset_name: string; repo_url: string; job: string; system: string; state: BreakageState;
  kind: 'direct' | 'dependency' | null; status: number | null; flaky: boolean; preexisting: boolean; week: string; opened_eval_id: string | number;
  opened_at: string | Date; closed_eval_id: string | number | null; closed_at: string | Date | null; build_id: string | number;
  range_from: string | null; range_to: string | null; fixed_by: string | null; claim_by: string | null;
  claimed_at: string | Date | null; claim_updated_at: string | Date | null; pr_url: string | null; note: string | null;
  maintainers: unknown; teams: string[] | null;
  root_build_id: string | number | null; root_job: string | null; root_jobset: string | null; root_system: string | null;
  root_breakage_id: number | null; root_claim_by: string | null; blocks: string | number | null;
}

export function isoTime(v: string | Date): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export const activeClaimJoin = (now: Date) => sql`
  left join claims c on c.breakage_id = bk.id and c.released_at is null and c.updated_at > ${new Date(now.getTime() - CLAIM_TTL_MS).toISOString()}::timestamptz`;

export const breakageColumns = sql`
  bk.id, js.project, js.name as jobset_name, js.repo_url, j.name as job, j.system, bk.state, bk.kind, bk.status, bk.flaky, bk.preexisting, bk.week,
  bk.opened_eval_id, bk.opened_at, bk.closed_eval_id, bk.closed_at, bk.build_id, bk.range_from, bk.range_to, bk.fixed_by,
  c.handle as claim_by, c.claimed_at, c.updated_at as claim_updated_at, c.pr_url, c.note, pm.maintainers, pm.teams,
  rc.root_build_id, rc.root_job, rc.root_jobset, rc.root_system, rc.root_breakage_id, rcl.handle as root_claim_by, blk.n as blocks`;

/**
 * The root cause of the row's failing build (its breakage preferring an open one) and the
 * claim on it, and how many open dependency failures have this row's build as their root
 * (`blocks: false`: not counted here, `blk.n` is null; the caller counts them another way).
 */
export const rootJoins = (now: Date, opts: { blocks?: boolean } = {}) => sql`
  left join lateral (
    select bc.root_build_id, rb.job as root_job, rb.project || '/' || rb.jobset as root_jobset, rb.system as root_system,
      (select r.id from builds rbb join breakages r on r.job_id = rbb.job_id where rbb.id = bc.root_build_id
        order by (r.state = 'open') desc, r.opened_eval_id desc limit 1) as root_breakage_id
    from build_causes bc join cause_builds rb on rb.id = bc.root_build_id
    where bc.build_id = bk.build_id and bc.root_build_id <> bk.build_id
  ) rc on true
  left join claims rcl on rcl.breakage_id = rc.root_breakage_id and rcl.released_at is null
    and rcl.updated_at > ${new Date(now.getTime() - CLAIM_TTL_MS).toISOString()}::timestamptz
  ${opts.blocks === false ? sql`cross join (select null::bigint as n) blk` : sql`left join lateral (
    select count(distinct (d.jobset_id, d.job_id)) as n from build_causes dc
    join breakages d on d.build_id = dc.build_id and d.state = 'open' and d.kind = 'dependency'
    where dc.root_key = ${buildKeySql(sql`bk.build_id`)} and d.id <> bk.id
  ) blk on true`}`;

/** A job's attribution is its package's (the job name without the system), read once per package. */
export const attributionJoin = sql`left join package_maintainers pm on pm.jobset_id = bk.jobset_id and pm.attr_path = j.package`;

const activeClaimExists = (now: Date) => sql`exists (
  select 1 from claims c where c.breakage_id = bk.id and c.released_at is null
    and c.updated_at > ${new Date(now.getTime() - CLAIM_TTL_MS).toISOString()}::timestamptz)`;

/**
 * What `BreakageFilters.folded` tests a row against, read once per request: the builds of the
 * roots the same filters list, and the builds whose root is one of them.
 */
export interface FoldSets {
  rootBuilds: number[];
  dependentBuilds: number[];
}

/** The filters on the breakage row itself (claims through `exists`: at most one claim is active). */
export function breakageFilterSql(f: BreakageFilters, now: Date, fold?: FoldSets): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.jobsetId !== undefined) parts.push(sql`bk.jobset_id = ${f.jobsetId}`);
  if (f.week?.kind === 'week') parts.push(sql`bk.week = ${f.week.week} and not bk.preexisting`);
  // Week strings are zero-padded, so text order is time order.
  if (f.week?.kind === 'backlog') parts.push(sql`bk.state = 'open' and (bk.week < ${f.week.currentWeek} or bk.preexisting)`);
  if (f.states?.length) parts.push(sql`bk.state = any(${pgTextArray(f.states)}::text[])`);
  if (f.kinds?.length) parts.push(sql`bk.kind = any(${pgTextArray(f.kinds)}::text[])`);
  if (f.preexisting !== undefined) parts.push(sql`bk.preexisting = ${f.preexisting}`);
  if (f.claimed === true) parts.push(activeClaimExists(now));
  if (f.claimed === false) parts.push(sql`not ${activeClaimExists(now)}`);
  if (f.jobId !== undefined) parts.push(sql`bk.job_id = ${f.jobId}`);
  // The package's maintainers as stored on the breakage: one GIN lookup, no join to the job and its package.
  if (f.maintainer) parts.push(sql`bk.maintainer_keys && ${pgTextArray(maintainerKeys(f.maintainer))}::text[]`);
  if (f.folded !== undefined) {
    if (!fold) throw new Error('breakageFilterSql: the folded filter needs the fold sets (foldSets)');
    parts.push(f.folded ? foldedSql(fold, now) : sql`not ${foldedSql(fold, now)}`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * The open dependency failures with a known root, grouped by root key: distinct jobs, then a
 * count per key (two hash aggregates; `count(distinct (a, b))` sorts the row values instead).
 */
const rootGroupsSql = sql`
  select root_key, count(*) as n from (
    select distinct bc.root_key, d.jobset_id, d.job_id
    from build_causes bc join breakages d on d.build_id = bc.build_id and d.state = 'open' and d.kind = 'dependency'
    where bc.root_key is not null
  ) x group by root_key`;

/**
 * The roots under filters `f`, as a `with` clause defining `rb` (each root key's builds) and
 * `cand` (per root key: how many jobs it blocks, `n`, and the breakage shown for it, `id`). A root
 * is a key (`buildKeySql`: the root build's derivation), so the same derivation failing in several
 * tracked jobsets is one root; of its breakages the open, newest one matching `f` is shown.
 * Its own aliases (bk, j) shadow an outer query's, so it can sit in a filter on `bk`.
 */
export function rootCandidatesSql(f: BreakageFilters, now: Date): SQL {
  const own = { ...f, folded: undefined };
  const bkWhere = breakageFilterSql(own, now);
  const jWhere = jobFilterSql(own) ?? sql`true`;
  return sql`
    with g as (${rootGroupsSql}),
    rb as (
      select distinct bc2.root_key, bc2.root_build_id as build_id from build_causes bc2 where bc2.root_key in (select root_key from g)
      union
      select g.root_key, fb.id from g join builds fb on fb.drvpath = g.root_key and fb.status <> 0
    ),
    cand as (
      select distinct on (g.root_key) g.root_key, g.n, bk.id
      from g
      join rb on rb.root_key = g.root_key
      join builds rbb on rbb.id = rb.build_id
      -- Each root job's few breakages by index (offset 0: not a merge join over every breakage).
      cross join lateral (
        select bk.id, bk.job_id, bk.build_id, bk.state, bk.opened_eval_id from breakages bk
        where bk.job_id = rbb.job_id and ${bkWhere} offset 0) bk
      join jobs j on j.id = bk.job_id
      where ${jWhere} and ${buildKeySql(sql`bk.build_id`)} = g.root_key
      order by g.root_key, (bk.state = 'open') desc, bk.opened_eval_id desc, bk.id
    )`;
}

/**
 * The fold sets of filters `f` (`BreakageFilters.folded`): the builds of the roots the same
 * filters list, claimed or not (a claimed root covers its dependents), and the builds whose root
 * is one of them. One statement, so that the count and the page test rows against the same sets
 * without computing the roots twice each.
 */
export async function foldSets(db: Db, f: BreakageFilters, now: Date): Promise<FoldSets> {
  const roots = rootCandidatesSql({ ...f, claimed: undefined, kinds: undefined }, now);
  const rows = await queryRows<{ dependent: boolean; build_id: string | number }>(db, sql`
    ${roots}
    select false as dependent, rb.build_id from rb where rb.root_key in (select root_key from cand)
    union all
    select true, bc.build_id from build_causes bc where bc.root_key in (select root_key from cand)`);
  const out: FoldSets = { rootBuilds: [], dependentBuilds: [] };
  for (const r of rows) (r.dependent ? out.dependentBuilds : out.rootBuilds).push(Number(r.build_id));
  return out;
}

/**
 * Folded under a listed root: a build of a root (claimed or not), or an open dependency failure
 * behind one that has no claim of its own (a claimed dependent stays in sight). `in (select
 * unnest(...))` is a hashed lookup whatever plan the statement gets.
 */
function foldedSql(fold: FoldSets, now: Date): SQL {
  return sql`(bk.build_id in (select unnest(${idArray(fold.rootBuilds)}))
    or (bk.state = 'open' and bk.kind = 'dependency' and not ${activeClaimExists(now)}
      and bk.build_id in (select unnest(${idArray(fold.dependentBuilds)}))))`;
}

/** The filters on the job (`j`), or null when there are none. */
export function jobFilterSql(f: BreakageFilters): SQL | null {
  const parts: SQL[] = [];
  if (f.systems?.length) parts.push(sql`j.system = any(${pgTextArray(f.systems)}::text[])`);
  if (f.q) parts.push(sql`j.name ilike ${likePattern(f.q)}`);
  if (f.team) {
    parts.push(sql`exists (select 1 from package_maintainers tm where tm.jobset_id = j.jobset_id and tm.attr_path = j.package
      and exists (select 1 from unnest(tm.teams) t where lower(t) = ${f.team.toLowerCase()}))`);
  }
  return parts.length ? sql.join(parts, sql` and `) : null;
}

/** 0 for direct failures, 1 for dependency failures: the first key of the `kind` order. */
const KIND_RANK = sql`(case when bk.kind = 'dependency' then 1 else 0 end)`;

const ORDER: Record<BreakageSort, { keys: SQL; order: SQL; after: (c: BreakageCursor) => SQL; cursorOf: (r: RawBreakage) => BreakageCursor }> = {
  job: {
    keys: sql`j.name, bk.id`,
    order: sql`j.name, bk.id`,
    after: (c) => sql`(j.name, bk.id) > (${String(c[0])}, ${Number(c[1])})`,
    cursorOf: (r) => [r.job, r.id],
  },
  system: {
    keys: sql`j.system, j.name, bk.id`,
    order: sql`j.system, j.name, bk.id`,
    after: (c) => sql`(j.system, j.name, bk.id) > (${String(c[0])}, ${String(c[1])}, ${Number(c[2])})`,
    cursorOf: (r) => [r.system, r.job, r.id],
  },
  kind: {
    keys: sql`${KIND_RANK}, j.system, j.name, bk.id`,
    order: sql`${KIND_RANK}, j.system, j.name, bk.id`,
    after: (c) => sql`(${KIND_RANK}, j.system, j.name, bk.id) > (${Number(c[0])}, ${String(c[1])}, ${String(c[2])}, ${Number(c[3])})`,
    cursorOf: (r) => [r.kind === 'dependency' ? 1 : 0, r.system, r.job, r.id],
  },
  opened: {
    keys: sql`bk.opened_eval_id, bk.id`,
    order: sql`bk.opened_eval_id desc, bk.id desc`,
    after: (c) => sql`(bk.opened_eval_id, bk.id) < (${Number(c[0])}::bigint, ${Number(c[1])})`,
    cursorOf: (r) => [Number(r.opened_eval_id), r.id],
  },
};

/** The shape each sort's cursor must have: checked before it reaches SQL. */
export function validBreakageCursor(sort: BreakageSort, c: unknown): c is BreakageCursor {
  if (!Array.isArray(c)) return false;
  const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const isText = (v: unknown) => typeof v === 'string' && v.length <= 1000;
  if (sort === 'job') return c.length === 2 && isText(c[0]) && isId(c[1]) && (c[1] as number) <= 2 ** 31 - 1;
  if (sort === 'kind') return c.length === 4 && (c[0] === 0 || c[0] === 1) && isText(c[1]) && isText(c[2]) && isId(c[3]) && (c[3] as number) <= 2 ** 31 - 1;
  if (sort === 'system') return c.length === 3 && isText(c[0]) && isText(c[1]) && isId(c[2]) && (c[2] as number) <= 2 ** 31 - 1;
  return c.length === 2 && isId(c[0]) && isId(c[1]) && (c[1] as number) <= 2 ** 31 - 1;
}

export function toView(r: RawBreakage, hydraUrl: string): BreakageView {
  const claimUpdated = r.claim_updated_at === null ? null : new Date(r.claim_updated_at);
  return {
    id: r.id,
    jobset: `${r.project}/${r.jobset_name}`,
    job: r.job,
    system: r.system,
    state: r.state,
    kind: r.kind,
    status: r.status,
    flaky: r.flaky,
    preexisting: r.preexisting,
    week: r.week,
    openedEvalId: Number(r.opened_eval_id),
    openedAt: isoTime(r.opened_at),
    closedEvalId: r.closed_eval_id === null ? null : Number(r.closed_eval_id),
    closedAt: r.closed_at === null ? null : isoTime(r.closed_at),
    buildId: Number(r.build_id),
    buildUrl: `${hydraUrl}/build/${Number(r.build_id)}`,
    logUrl: `${hydraUrl}/build/${Number(r.build_id)}/log`,
    range: r.range_from && r.range_to ? commitRange(r.repo_url, r.range_from, r.range_to) : null,
    claim: r.claim_by === null || claimUpdated === null ? null : {
      by: r.claim_by,
      at: isoTime(r.claimed_at!),
      updatedAt: claimUpdated.toISOString(),
      expiresAt: new Date(claimUpdated.getTime() + CLAIM_TTL_MS).toISOString(),
      prUrl: r.pr_url,
      note: r.note,
    },
    fixedBy: r.fixed_by,
    maintainers: asMaintainers(r.maintainers),
    teams: r.teams ?? [],
    rootCause: r.root_build_id === null ? null : {
      buildId: Number(r.root_build_id),
      job: r.root_job!,
      jobset: r.root_jobset!,
      system: r.root_system!,
      breakageId: r.root_breakage_id,
      claimedBy: r.root_claim_by,
    },
    blocks: Number(r.blocks ?? 0),
  };
}

export interface BreakageCtx {
  now: Date;
  hydraUrl: string;
}

/**
 * With at least this many matches, a page by job name walks the jobs in name order
 * (jobs_jobset_name) and looks up each job's breakages: about limit x jobs / matches lookups.
 * With fewer, it looks up the job of each match and sorts them: `matches` lookups.
 */
const WALK_MIN_MATCHES = 2000;

/**
 * Breakages matching every filter, in `f.sort` order, one keyset page after `cursor`.
 * The count reads breakages alone (jobs only for a system or name filter); the page picks its
 * ids first and reads claims, jobsets and the rest for those rows only.
 */
export async function listBreakages(
  db: Db, ctx: BreakageCtx, f: BreakageFilters, cursor: BreakageCursor | null, limit: number,
): Promise<Page<BreakageView> & { nextCursorKey: BreakageCursor | null }> {
  const o = ORDER[f.sort];
  const fold = f.folded === undefined ? undefined : await foldSets(db, f, ctx.now);
  const bkWhere = breakageFilterSql(f, ctx.now, fold);
  const jWhere = jobFilterSql(f);
  const [c] = await queryRows<{ n: string | number }>(db, jWhere === null
    ? sql`select count(*) as n from breakages bk where ${bkWhere}`
    : sql`select count(*) as n from breakages bk join jobs j on j.id = bk.job_id where ${bkWhere} and ${jWhere}`);
  const total = Number(c?.n ?? 0);
  const after = cursor === null ? sql`true` : o.after(cursor);
  let page: SQL;
  if (total === 0) {
    page = sql`select null::int as id where false`;
  } else if (f.sort === 'opened') {
    page = sql`
      select bk.id from breakages bk ${jWhere === null ? sql`` : sql`join jobs j on j.id = bk.job_id`}
      where ${bkWhere} and ${jWhere ?? sql`true`} and ${after}
      order by ${o.order} limit ${limit + 1}`;
  } else if (f.sort === 'job' && total >= WALK_MIN_MATCHES) {
    // Walk each jobset's jobs by name from the cursor; the lateral probes breakages_job_opened per job.
    const walk = (jobset: SQL) => sql`
      select bk.id, j.name from jobs j
      cross join lateral (select bk.id from breakages bk where bk.job_id = j.id and ${bkWhere} offset 0) bk
      where j.jobset_id = ${jobset} and ${jWhere ?? sql`true`}
        ${cursor === null ? sql`` : sql`and j.name >= ${String(cursor[0])} and ${after}`}
      order by j.name, bk.id limit ${limit + 1}`;
    page = f.jobsetId !== undefined
      ? sql`select id from (${walk(sql`${f.jobsetId}`)}) w`
      : sql`select w.id from jobsets js cross join lateral (${walk(sql`js.id`)}) w order by w.name, w.id limit ${limit + 1}`;
  } else {
    // Few matches: each match's job by primary key, then sort (by system: the planner's choice of join).
    const job = (f.sort === 'system' || f.sort === 'kind') && total >= WALK_MIN_MATCHES
      ? sql`join jobs j on j.id = bk.job_id`
      : sql`cross join lateral (select j.name, j.system, j.jobset_id, j.package from jobs j where j.id = bk.job_id offset 0) j`;
    page = sql`
      select bk.id from breakages bk ${job}
      where ${bkWhere} and ${jWhere ?? sql`true`} and ${after}
      order by ${o.order} limit ${limit + 1}`;
  }
  const rows = await queryRows<RawBreakage>(db, sql`
    select ${breakageColumns}
    from (${page}) p join breakages bk on bk.id = p.id join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id
    ${activeClaimJoin(ctx.now)} ${attributionJoin} ${rootJoins(ctx.now)}
    order by ${o.order}`);
  const items = rows.slice(0, limit);
  const nextCursorKey = rows.length > limit ? o.cursorOf(items[items.length - 1]!) : null;
  return { items: items.map((r) => toView(r, ctx.hydraUrl)), total, nextCursor: null, nextCursorKey };
}

export async function getBreakage(db: Db, ctx: BreakageCtx, id: number): Promise<BreakageView | null> {
  const [r] = await queryRows<RawBreakage>(db, sql`
    select ${breakageColumns}
    from breakages bk join jobs j on j.id = bk.job_id join jobsets js on js.id = bk.jobset_id ${activeClaimJoin(ctx.now)} ${attributionJoin} ${rootJoins(ctx.now)}
    where bk.id = ${id}`);
  return r ? toView(r, ctx.hydraUrl) : null;
}
