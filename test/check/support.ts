import { expect } from 'vitest';
import type { DataSource } from '@zhf/sim';
import type { Database } from '../../db/src/index.ts';
import type { SyncReport } from '../../apps/collector/src/sync.ts';
import { createApp, type ApiConfig } from '../../apps/dashboard/src/lib/server/api/index.ts';
import { checkRoutes } from '../../apps/dashboard/src/lib/server/api/routes/check.ts';
import { withHarness } from '../support/collector.ts';

/** The API's configuration for the check routes: nixpkgs/unstable, no GitHub token and no local clone unless given. */
export function checkConfig(over: { githubApiUrl?: string; jobsets?: string[]; token?: string | null; nixpkgsGit?: string | null } = {}): ApiConfig {
  return {
    hydraUrl: 'http://hydra.invalid', jobsets: over.jobsets ?? ['nixpkgs/unstable'], publicUrl: null,
    github: { clientId: null, clientSecret: null, token: over.token ?? null, url: 'http://github.invalid', apiUrl: over.githubApiUrl ?? 'http://127.0.0.1:9' },
    devLogin: false, maintainers: [], nixpkgsGit: over.nixpkgsGit ?? null,
  };
}

/** The API with the check routes mounted. */
export function checkApp(database: Database, config: ApiConfig) {
  return createApp({ database, config }, { extraRoutes: (api) => void api.route('/', checkRoutes({ database, config })) });
}

/**
 * One sync of nixpkgs/unstable from `source` by the real collector, which must succeed. The
 * simulated Hydra is closed before any check: answers come from zhf's database alone.
 */
export async function syncNixpkgsOnce(database: Database, source: DataSource): Promise<SyncReport> {
  const [report] = await withHarness(database, source, {}, (h) => h.collector.syncAll(['nixpkgs/unstable']));
  expect(report!.error).toBeUndefined();
  return report!;
}
