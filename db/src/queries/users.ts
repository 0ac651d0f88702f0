import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';

export interface UserRow {
  id: number;
  login: string;
  name: string | null;
  avatarUrl: string | null;
  githubId: number | null;
}

interface RawUser { id: number; login: string; name: string | null; avatar_url: string | null; github_id: string | number | null }

const toUser = (r: RawUser): UserRow => ({
  id: r.id, login: r.login, name: r.name, avatarUrl: r.avatar_url, githubId: r.github_id === null ? null : Number(r.github_id),
});

/**
 * The user GitHub knows as `githubId`, created or refreshed. Keyed on the id: a renamed
 * account keeps its row. A different row holding the login (a dev-login user, or an account
 * that gave the name up) is adopted when it has no GitHub id, else renamed out of the way.
 */
export async function upsertGithubUser(db: Db, u: { githubId: number; login: string; name: string | null; avatarUrl: string | null }): Promise<UserRow> {
  return db.transaction(async (tx) => {
    const [byId] = await queryRows<RawUser>(tx, sql`select * from users where github_id = ${u.githubId} for update`);
    const [byLogin] = await queryRows<RawUser>(tx, sql`select * from users where lower(login) = lower(${u.login}) for update`);
    if (byLogin && byLogin.id !== byId?.id) {
      if (byLogin.github_id === null && !byId) {
        const [r] = await queryRows<RawUser>(tx, sql`
          update users set github_id = ${u.githubId}, login = ${u.login}, name = ${u.name}, avatar_url = ${u.avatarUrl}
          where id = ${byLogin.id} returning *`);
        return toUser(r!);
      }
      await tx.execute(sql`update users set login = login || '~' || id::text where id = ${byLogin.id}`);
    }
    const [r] = await queryRows<RawUser>(tx, sql`
      insert into users (github_id, login, name, avatar_url) values (${u.githubId}, ${u.login}, ${u.name}, ${u.avatarUrl})
      on conflict (github_id) do update set login = excluded.login, name = excluded.name, avatar_url = excluded.avatar_url
      returning *`);
    return toUser(r!);
  });
}

/** The dev-login user named `login` (no GitHub id), created on first use. */
export async function upsertDevUser(db: Db, login: string): Promise<UserRow> {
  const [existing] = await queryRows<RawUser>(db, sql`select * from users where lower(login) = lower(${login})`);
  if (existing) return toUser(existing);
  const [r] = await queryRows<RawUser>(db, sql`
    insert into users (login) values (${login})
    on conflict (login) do update set login = excluded.login returning *`);
  return toUser(r!);
}

export async function insertSession(db: Db, s: { idHash: string; userId: number; csrf: string; expiresAt: Date }): Promise<void> {
  await db.execute(sql`
    insert into sessions (id, user_id, csrf, expires_at) values (${s.idHash}, ${s.userId}, ${s.csrf}, ${s.expiresAt.toISOString()}::timestamptz)`);
}

export interface SessionRow {
  user: UserRow;
  csrf: string;
  expiresAt: Date;
}

export async function sessionByHash(db: Db, idHash: string, now: Date): Promise<SessionRow | null> {
  const [r] = await queryRows<RawUser & { csrf: string; expires_at: string | Date }>(db, sql`
    select u.*, s.csrf, s.expires_at from sessions s join users u on u.id = s.user_id
    where s.id = ${idHash} and s.expires_at > ${now.toISOString()}::timestamptz`);
  return r ? { user: toUser(r), csrf: r.csrf, expiresAt: new Date(r.expires_at) } : null;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.execute(sql`delete from sessions where id = ${idHash}`);
}
