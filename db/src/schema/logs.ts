import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The last lines of a derivation's build log (SPEC section 10), fetched from Hydra the first
 * time someone opens a failure and served from here after. Keyed by derivation: every build of
 * the same .drv shares one log.
 */
export const logTails = pgTable('log_tails', {
  drvPath: text('drv_path').primaryKey(),
  lines: text('lines').array().notNull(),
  /** How many lines were asked for; fewer in `lines` means the log is whole. */
  tail: integer('tail').notNull(),
  fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull(),
  /**
   * The build the tail was fetched for: a build stored only as a short record (no drvpath yet)
   * finds its tail here without asking Hydra for its derivation again.
   */
  buildId: bigint('build_id', { mode: 'number' }),
}, (t) => [index('log_tails_build').on(t.buildId)]);
