import type { Database } from '@zhf/db';
import type { LogSource } from '@zhf/collector/logs/tail';
import type { SessionUser } from './auth.ts';

/** The configuration the API reads (zhf's whole configuration fits). */
export interface ApiConfig {
  hydraUrl: string;
  jobsets: string[];
  publicUrl: string | null;
  github: { clientId: string | null; clientSecret: string | null; token: string | null; url: string; apiUrl: string };
  devLogin: boolean;
  /** ZHF_DEV_LOGIN=force: dev login even beside GitHub OAuth or an https public URL. */
  devLoginForced?: boolean;
  maintainers: string[];
  /** A local nixpkgs clone for commit ancestry (the check routes); GitHub when unset. */
  nixpkgsGit?: string | null;
}

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
  /** The one Hydra client (the collector's, so one request budget): build logs are read on demand. */
  hydra?: LogSource;
}

export type ResolvedDeps = ApiDeps & { now: () => Date };

export type ApiEnv = {
  Variables: {
    deps: ResolvedDeps;
    user: SessionUser | null;
  };
};
