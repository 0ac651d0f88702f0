import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { jobsets } from './hydra.ts';

/**
 * Where a jobset's maintainers come from (SPEC section 9): the channel's packages.json, and the
 * revision of it last read. A failed read leaves `revisionKey` and the attribution as they were.
 */
export const packageSources = pgTable('package_sources', {
  jobsetId: integer('jobset_id').primaryKey().references(() => jobsets.id),
  url: text('url').notNull(),
  /** Identifies the revision read (the release folder the channel redirected to). */
  revisionKey: text('revision_key'),
  /** Channel release name, e.g. nixpkgs-26.05pre912345.abc123def456. */
  release: text('release'),
  packages: integer('packages'),
  attributed: integer('attributed'),
  readAt: timestamp('read_at', { withTimezone: true }),
  checkedAt: timestamp('checked_at', { withTimezone: true }),
  lastError: text('last_error'),
  lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
});

/**
 * Who maintains a package of a jobset, once per attribute path (not per eval): jobs reach it by
 * `jobs.package`. `maintainers` is `[{ github, githubId, name }]` as the file lists them.
 */
export const packageMaintainers = pgTable('package_maintainers', {
  jobsetId: integer('jobset_id').notNull(),
  attrPath: text('attr_path').notNull(),
  maintainers: jsonb('maintainers').notNull(),
  teams: text('teams').array().notNull(),
}, (t) => [primaryKey({ columns: [t.jobsetId, t.attrPath] })]);

/** The reverse lookup, one row per (package, maintainer with a GitHub account): "whose packages are these". */
export const maintainerPackages = pgTable('maintainer_packages', {
  jobsetId: integer('jobset_id').notNull(),
  attrPath: text('attr_path').notNull(),
  /** Lower-cased login. */
  login: text('login'),
  githubId: bigint('github_id', { mode: 'number' }),
}, (t) => [
  // With the other column: who a login is (its ids) and a person's other logins are read from the index.
  index('maintainer_packages_login').on(t.login, t.githubId),
  index('maintainer_packages_github_id').on(t.githubId, t.login),
  index('maintainer_packages_package').on(t.jobsetId, t.attrPath),
]);
