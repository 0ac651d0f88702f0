/** Claims: one active holder per breakage, taken, released and updated under a row lock. */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { CLAIM_TTL_MS, type BreakageState } from './breakages.ts';

export type ClaimResult =
  | { ok: true }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_open'; state: BreakageState }
  | { ok: false; reason: 'held'; holder: string };

/**
 * Claims breakage `breakageId` for the user. Atomic through the partial unique index on
 * active claims: of simultaneous claims one insert wins, the others do nothing and read the
 * holder. A claim stale for 14 days is expired first, in the same transaction.
 */
export async function claimBreakage(
  db: Db, a: { breakageId: number; userId: number; handle: string; prUrl: string | null; note: string | null; now: Date },
): Promise<ClaimResult> {
  const now = a.now.toISOString();
  const cutoff = new Date(a.now.getTime() - CLAIM_TTL_MS).toISOString();
  return db.transaction(async (tx) => {
    const [bk] = await queryRows<{ state: BreakageState }>(tx, sql`select state from breakages where id = ${a.breakageId}`);
    if (!bk) return { ok: false, reason: 'not_found' } as const;
    if (bk.state !== 'open') return { ok: false, reason: 'not_open', state: bk.state } as const;
    await tx.execute(sql`
      update claims set released_at = ${now}::timestamptz, release_reason = 'expired', released_by = 'zhf'
      where breakage_id = ${a.breakageId} and released_at is null and updated_at <= ${cutoff}::timestamptz`);
    const inserted = await queryRows<{ id: number }>(tx, sql`
      insert into claims (breakage_id, user_id, handle, claimed_at, updated_at, pr_url, note)
      values (${a.breakageId}, ${a.userId}, ${a.handle}, ${now}::timestamptz, ${now}::timestamptz, ${a.prUrl}, ${a.note})
      on conflict (breakage_id) where released_at is null do nothing
      returning id`);
    if (inserted.length) return { ok: true } as const;
    const [holder] = await queryRows<{ handle: string }>(tx, sql`select handle from claims where breakage_id = ${a.breakageId} and released_at is null`);
    return { ok: false, reason: 'held', holder: holder?.handle ?? 'someone' } as const;
  });
}

export type ClaimChangeResult =
  | { ok: true }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'no_claim' }
  | { ok: false; reason: 'not_holder'; holder: string };

/** The active (unexpired) claim of a breakage, locked for update inside `tx`. */
async function activeClaimForUpdate(tx: Db, breakageId: number, now: Date) {
  const cutoff = new Date(now.getTime() - CLAIM_TTL_MS).toISOString();
  const [bk] = await queryRows<{ id: number }>(tx, sql`select id from breakages where id = ${breakageId}`);
  if (!bk) return 'not_found' as const;
  const [c] = await queryRows<{ id: number; user_id: number; handle: string }>(tx, sql`
    select id, user_id, handle from claims
    where breakage_id = ${breakageId} and released_at is null and updated_at > ${cutoff}::timestamptz for update`);
  return c ?? ('no_claim' as const);
}

/** Releases the active claim: its holder, or a maintainer, may. */
export async function releaseClaim(
  db: Db, a: { breakageId: number; userId: number; handle: string; maintainer: boolean; now: Date },
): Promise<ClaimChangeResult> {
  return db.transaction(async (tx) => {
    const c = await activeClaimForUpdate(tx, a.breakageId, a.now);
    if (typeof c === 'string') return { ok: false, reason: c } as const;
    if (c.user_id !== a.userId && !a.maintainer) return { ok: false, reason: 'not_holder', holder: c.handle } as const;
    await tx.execute(sql`
      update claims set released_at = ${a.now.toISOString()}::timestamptz, release_reason = 'released', released_by = ${a.handle}
      where id = ${c.id}`);
    return { ok: true } as const;
  });
}

/** Sets the PR link and/or note of the holder's claim (undefined: unchanged, null: cleared); renews its 14 days. */
export async function updateClaim(
  db: Db, a: { breakageId: number; userId: number; prUrl?: string | null; note?: string | null; now: Date },
): Promise<ClaimChangeResult> {
  return db.transaction(async (tx) => {
    const c = await activeClaimForUpdate(tx, a.breakageId, a.now);
    if (typeof c === 'string') return { ok: false, reason: c } as const;
    if (c.user_id !== a.userId) return { ok: false, reason: 'not_holder', holder: c.handle } as const;
    await tx.execute(sql`
      update claims set updated_at = ${a.now.toISOString()}::timestamptz,
        pr_url = ${a.prUrl === undefined ? sql`pr_url` : sql`${a.prUrl}`},
        note = ${a.note === undefined ? sql`note` : sql`${a.note}`}
      where id = ${c.id}`);
    return { ok: true } as const;
  });
}
