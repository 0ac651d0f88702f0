import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';

export interface MaintainerRef {
  github: string | null;
  githubId: number | null;
  name: string | null;
}

export interface PackageAttributionRow {
  attrPath: string;
  maintainers: MaintainerRef[];
  teams: string[];
}

export interface PackageSourceRow {
  jobsetId: number;
  url: string;
  revisionKey: string | null;
  release: string | null;
  packages: number | null;
  attributed: number | null;
  readAt: string | null;
  checkedAt: string | null;
  lastError: string | null;
}

export async function packageSource(db: Db, jobsetId: number): Promise<PackageSourceRow | null> {
  const [r] = await queryRows<{
    jobset_id: number; url: string; revision_key: string | null; release: string | null; packages: number | null; attributed: number | null;
    read_at: string | Date | null; checked_at: string | Date | null; last_error: string | null;
  }>(db, sql`select * from package_sources where jobset_id = ${jobsetId}`);
  if (!r) return null;
  const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
  return {
    jobsetId: r.jobset_id, url: r.url, revisionKey: r.revision_key, release: r.release, packages: r.packages, attributed: r.attributed,
    readAt: iso(r.read_at), checkedAt: iso(r.checked_at), lastError: r.last_error,
  };
}

/** Rows per insert statement: one jsonb parameter each, so no driver's parameter limit is near. */
const BATCH = 5000;

/**
 * Replaces the jobset's attribution with a newly read file, in one transaction: readers see the
 * old revision or the new one, never a mix, and a failure leaves the old one whole.
 */
export async function replaceAttribution(
  db: Db, jobsetId: number, source: { url: string; revisionKey: string; release: string | null; packages: number; now: Date },
  rows: PackageAttributionRow[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`delete from package_maintainers where jobset_id = ${jobsetId}`);
    await tx.execute(sql`delete from maintainer_packages where jobset_id = ${jobsetId}`);
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const pkgs = JSON.stringify(batch.map((r) => ({ a: r.attrPath, m: r.maintainers, t: r.teams })));
      await tx.execute(sql`
        insert into package_maintainers (jobset_id, attr_path, maintainers, teams)
        select ${jobsetId}, x.a, x.m, array(select jsonb_array_elements_text(x.t))
        from jsonb_to_recordset(${pkgs}::jsonb) as x(a text, m jsonb, t jsonb)
        on conflict (jobset_id, attr_path) do update set maintainers = excluded.maintainers, teams = excluded.teams`);
      const refs = batch.flatMap((r) => r.maintainers.filter((m) => m.github !== null || m.githubId !== null)
        .map((m) => ({ a: r.attrPath, l: m.github?.toLowerCase() ?? null, g: m.githubId })));
      if (refs.length) {
        await tx.execute(sql`
          insert into maintainer_packages (jobset_id, attr_path, login, github_id)
          select ${jobsetId}, x.a, x.l, x.g from jsonb_to_recordset(${JSON.stringify(refs)}::jsonb) as x(a text, l text, g bigint)`);
      }
    }
    // Before commit: readers see the new attribution and the breakages it names together.
    await refreshBreakageMaintainerKeys(tx, jobsetId);
    const now = source.now.toISOString();
    await tx.execute(sql`
      insert into package_sources (jobset_id, url, revision_key, release, packages, attributed, read_at, checked_at, last_error, last_error_at)
      values (${jobsetId}, ${source.url}, ${source.revisionKey}, ${source.release}, ${source.packages}, ${rows.length}, ${now}::timestamptz, ${now}::timestamptz, null, null)
      on conflict (jobset_id) do update set url = excluded.url, revision_key = excluded.revision_key, release = excluded.release,
        packages = excluded.packages, attributed = excluded.attributed, read_at = excluded.read_at, checked_at = excluded.checked_at,
        last_error = null, last_error_at = null`);
  });
  // Vacuumed, not only analyzed: the rows are all new, and until the visibility map knows them
  // every index-only read of a maintainer (findMaintainer) visits the heap for each of 13k rows.
  await db.execute(sql`vacuum (analyze) package_maintainers, maintainer_packages`);
}

/** Records a check of the source: `error` null when the channel had not moved; otherwise what failed (attribution untouched). */
export async function recordSourceCheck(db: Db, jobsetId: number, url: string, now: Date, error: string | null): Promise<void> {
  const t = now.toISOString();
  await db.execute(sql`
    insert into package_sources (jobset_id, url, checked_at, last_error, last_error_at)
    values (${jobsetId}, ${url}, ${t}::timestamptz, ${error}, ${error === null ? null : t}::timestamptz)
    on conflict (jobset_id) do update set checked_at = excluded.checked_at, last_error = excluded.last_error,
      last_error_at = excluded.last_error_at`);
}

/** A GitHub identity to filter by: the login as asked, and the stable id when known. */
export interface MaintainerIdentity {
  login: string;
  githubId: number | null;
  /** The login the package files use, when it differs (the person renamed their account). */
  fileLogins: string[];
}

/**
 * Who `login` is (case-insensitive): a signed-in user's GitHub id, else the id the package files
 * give that login. Null when neither a user nor any package knows the login.
 */
export async function findMaintainer(db: Db, login: string): Promise<MaintainerIdentity | null> {
  const l = login.toLowerCase();
  // A user signed in with GitHub carries the id; one signed in otherwise (dev login) only the login.
  const [u] = await queryRows<{ login: string; github_id: string | number | null }>(db, sql`
    select login, github_id from users where lower(login) = ${l} order by (github_id is null) limit 1`);
  let githubId = u?.github_id == null ? null : Number(u.github_id);
  if (githubId === null) {
    // The id the files give this login most often (one person's entries normally agree).
    const [m] = await queryRows<{ github_id: string | number | null }>(db, sql`
      select github_id from maintainer_packages where login = ${l} group by github_id order by (github_id is null), count(*) desc limit 1`);
    if (!m && !u) return null;
    githubId = m?.github_id == null ? null : Number(m.github_id);
  }
  const logins = githubId === null ? [] : await queryRows<{ login: string }>(db, sql`
    select distinct login from maintainer_packages where github_id = ${githubId} and login is not null and login <> ${l} limit 10`);
  return { login: u?.login ?? login, githubId, fileLogins: logins.map((r) => r.login) };
}

/** `(jobset_id, attr_path)` pairs maintained by `m`: by GitHub id when known on both sides, else by login. */
export function maintainedPackagesSql(m: MaintainerIdentity): SQL {
  const l = m.login.toLowerCase();
  const match = m.githubId === null
    ? sql`mp.login = ${l}`
    : sql`(mp.github_id = ${m.githubId} or (mp.github_id is null and mp.login = ${l}))`;
  return sql`select mp.jobset_id, mp.attr_path from maintainer_packages mp where ${match}`;
}

/**
 * The match keys of one `maintainer_packages` row `mp`, as rows `v(k)` (null: no key): `g:<id>`
 * for an entry with a GitHub id, `n:<login>` for one with a login and no id, `l:<login>` for any
 * with a login. A breakage stores its package's keys (`breakages.maintainer_keys`), and
 * `maintainerKeys` gives the keys a person matches, so that overlapping key sets mean exactly
 * what `maintainedPackagesSql` means. The migration that added the column repeats this.
 */
export const maintainerKeyRows = sql`cross join lateral (values
    (case when mp.github_id is not null then 'g:' || mp.github_id end),
    (case when mp.github_id is null and mp.login is not null then 'n:' || mp.login end),
    (case when mp.login is not null then 'l:' || mp.login end)) v(k)`;

/** The keys of package `pkg` in jobset `jobsetId` (SQL expressions), sorted; `{}` when nobody maintains it. */
export function packageMaintainerKeysSql(jobsetId: SQL, pkg: SQL): SQL {
  return sql`array(select distinct v.k from maintainer_packages mp ${maintainerKeyRows}
    where mp.jobset_id = ${jobsetId} and mp.attr_path = ${pkg} and v.k is not null order by v.k)`;
}

/** The keys `m` matches (see `maintainerKeyRows`): by id, or by login where the file gives no id; by login alone when `m`'s id is unknown. */
export function maintainerKeys(m: MaintainerIdentity): string[] {
  const l = m.login.toLowerCase();
  return m.githubId === null ? [`l:${l}`] : [`g:${m.githubId}`, `n:${l}`];
}

/** Brings `maintainer_keys` of the jobset's breakages up to its current attribution (only rows whose keys change are written). */
export async function refreshBreakageMaintainerKeys(db: Db, jobsetId: number): Promise<void> {
  await db.execute(sql`
    with k as (
      select mp.attr_path, array_agg(distinct v.k order by v.k) as keys
      from maintainer_packages mp ${maintainerKeyRows}
      where mp.jobset_id = ${jobsetId} and v.k is not null
      group by mp.attr_path
    )
    update breakages bk set maintainer_keys = coalesce(k.keys, '{}'::text[])
    from jobs j left join k on k.attr_path = j.package
    where j.id = bk.job_id and bk.jobset_id = ${jobsetId} and bk.maintainer_keys is distinct from coalesce(k.keys, '{}'::text[])`);
}

/** Attribution of the given `(jobsetId, package)` pairs. */
export async function attributionOf(db: Db, keys: { jobsetId: number; pkg: string }[]): Promise<Map<string, { maintainers: MaintainerRef[]; teams: string[] }>> {
  const out = new Map<string, { maintainers: MaintainerRef[]; teams: string[] }>();
  if (keys.length === 0) return out;
  const rows = await queryRows<{ jobset_id: number; attr_path: string; maintainers: unknown; teams: string[] }>(db, sql`
    select pm.jobset_id, pm.attr_path, pm.maintainers, pm.teams
    from jsonb_to_recordset(${JSON.stringify(keys.map((k) => ({ j: k.jobsetId, p: k.pkg })))}::jsonb) as k(j int, p text)
    join package_maintainers pm on pm.jobset_id = k.j and pm.attr_path = k.p`);
  for (const r of rows) out.set(`${r.jobset_id}:${r.attr_path}`, { maintainers: asMaintainers(r.maintainers), teams: r.teams ?? [] });
  return out;
}

/** jsonb arrives parsed on both drivers (postgres.js and PGlite); a string would be a driver change, parsed here. */
export function asMaintainers(v: unknown): MaintainerRef[] {
  const arr = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!Array.isArray(arr)) return [];
  return arr.map((m: { github?: string | null; githubId?: number | null; name?: string | null }) => ({
    github: m.github ?? null, githubId: m.githubId ?? null, name: m.name ?? null,
  }));
}

/** How many packages `m` maintains (over all jobsets) and the teams those packages belong to. */
export async function maintainedPackageSummary(db: Db, m: MaintainerIdentity): Promise<{ packages: number; teams: string[] }> {
  const [pk] = await queryRows<{ n: string | number; teams: string[] | null }>(db, sql`
    select count(distinct (p.jobset_id, p.attr_path)) as n,
      (select array_agg(distinct t order by t) from package_maintainers pm, unnest(pm.teams) t
        where (pm.jobset_id, pm.attr_path) in (${maintainedPackagesSql(m)})) as teams
    from (${maintainedPackagesSql(m)}) p`);
  return { packages: Number(pk?.n ?? 0), teams: pk?.teams ?? [] };
}
