import type { Config } from '@zhf/collector/config';
import type { Database } from '@zhf/db';
import type { SessionUser } from './auth.ts';

/** The configuration the API reads: a subset of the collector's `Config`, so a full one fits. */
export type ApiConfig = Pick<Config, 'hydraUrl' | 'jobsets' | 'publicUrl' | 'github' | 'devLogin' | 'devLoginForced' | 'maintainers'>;

export interface ApiMetrics {
  /** Hydra requests so far, keyed `endpoint status` (HydraClient's `stats.requests`). */
  hydraRequests(): Map<string, number>;
}

export interface ApiDeps {
  database: Database;
  config: ApiConfig;
  /** The clock (claim expiry, the current week, ages); tests inject it. */
  now?: () => Date;
  metrics?: ApiMetrics;
  /** For the GitHub token exchange and /user; tests may inject it. */
  fetch?: typeof fetch;
}

export type ResolvedDeps = ApiDeps & { now: () => Date };

export type ApiEnv = {
  Variables: {
    deps: ResolvedDeps;
    user: SessionUser | null;
  };
};
