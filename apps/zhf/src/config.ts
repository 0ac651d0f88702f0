import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { PackagesJsonConfigError, parsePackagesJsonSetting, type PackagesJsonRule } from '@zhf/collector/maintainers/source';
import type { LogLevel } from '@zhf/collector/log';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';

export const VERSION = '0.1.0';
export const PROJECT_URL = 'https://github.com/zhf-nix/zhf';

const cron = (name: string) => z.string().refine((v) => validateCron(v), { message: `${name} is not a valid cron expression` });
const positive = z.coerce.number().positive();

const schema = z.object({
  HYDRA_URL: z.url({ protocol: /^https?$/ }).default('https://hydra.nixos.org').transform((u) => u.replace(/\/+$/, '')),
  ZHF_JOBSETS: z.string().default('nixpkgs/unstable,nixos/unstable')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((l) => l.length > 0 && l.every((j) => JOBSET_REF.test(j)), { message: 'must be comma-separated project/jobset names' }),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  ZHF_DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  ZHF_SYNC_CRON: cron('ZHF_SYNC_CRON').default('*/15 * * * *'),
  ZHF_ROUNDUP_CRON: cron('ZHF_ROUNDUP_CRON').default('45 6 * * 3'),
  ZHF_HYDRA_RPS: positive.default(1),
  ZHF_HYDRA_BURST: z.coerce.number().int().min(1).default(4),
  ZHF_BACKFILL_EVALS: z.coerce.number().int().min(1).max(1000).default(8),
  ZHF_USER_AGENT: z.string().min(1).default(`zhf/${VERSION} (+${PROJECT_URL})`),
  ZHF_PUBLIC_URL: z.url().optional(),
  ZHF_GITHUB_CLIENT_ID: z.string().min(1).optional(),
  ZHF_GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  ZHF_GITHUB_TOKEN: z.string().min(1).optional(),
  ZHF_GITHUB_URL: z.url().default('https://github.com').transform((u) => u.replace(/\/+$/, '')),
  ZHF_GITHUB_API_URL: z.url().default('https://api.github.com').transform((u) => u.replace(/\/+$/, '')),
  // `force`: dev login even behind an https ZHF_PUBLIC_URL (a deployment), where it is otherwise refused.
  ZHF_DEV_LOGIN: z.enum(['0', '1', 'true', 'false', 'force']).default('0'),
  ZHF_MAINTAINERS: z.string().default('').transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)),
  ZHF_NIXPKGS_GIT: z.string().min(1).optional(),
  ZHF_PACKAGES_JSON: z.string().optional().transform((s, ctx) => {
    try {
      return s === undefined ? null : parsePackagesJsonSetting(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof PackagesJsonConfigError ? err.message : String(err) });
      return z.NEVER;
    }
  }),
  ZHF_ROUNDUP_MENTIONS: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  ZHF_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be one of debug, info, warn, error' }).default('info'),
});

export type Env = z.input<typeof schema>;

export interface Config {
  hydraUrl: string;
  jobsets: string[];
  databaseUrl: string | null;
  dataDir: string;
  port: number;
  host: string;
  syncCron: string;
  roundupCron: string;
  hydraRps: number;
  hydraBurst: number;
  backfillEvals: number;
  userAgent: string;
  publicUrl: string | null;
  github: { clientId: string | null; clientSecret: string | null; token: string | null; url: string; apiUrl: string };
  devLogin: boolean;
  /** ZHF_DEV_LOGIN=force: dev login stays on behind an https public URL. */
  devLoginForced?: boolean;
  maintainers: string[];
  nixpkgsGit: string | null;
  /**
   * Where each jobset's packages.json comes from (ZHF_PACKAGES_JSON). Unset: the channel defaults
   * for nixpkgs/* and nixos/* against hydra.nixos.org, none against any other Hydra.
   */
  packagesJson: PackagesJsonRule[] | null;
  /** The roundup writes maintainers as @mentions (ZHF_ROUNDUP_MENTIONS=1) rather than plain handles. */
  roundupMentions: boolean;
  logLevel: LogLevel;
}

export class ConfigError extends Error {}

/** What `zhf demo` changes in the defaults: its own data directory, and ten days of history so
 * trends, the backlog and last week's roundup have something to show. The environment still wins. */
/** The demo's simulated Hydra enforces hydra.nixos.org's limits (2/s, burst 7): the client uses them, with its margins. */
export const DEMO_DEFAULTS: Env = { ZHF_DATA_DIR: './data/demo', ZHF_BACKFILL_EVALS: '40', ZHF_HYDRA_RPS: '2', ZHF_HYDRA_BURST: '7' };

/**
 * Reads and validates the environment once (the only module that reads `process.env`); the
 * first problem is reported naming its variable. `defaults` replace the built-in defaults.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, defaults: Env = {}): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const clean = { ...defaults, ...set };
  const parsed = schema.safeParse(clean);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`invalid configuration: ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    hydraUrl: e.HYDRA_URL,
    jobsets: e.ZHF_JOBSETS,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.ZHF_DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    syncCron: e.ZHF_SYNC_CRON,
    roundupCron: e.ZHF_ROUNDUP_CRON,
    hydraRps: e.ZHF_HYDRA_RPS,
    hydraBurst: e.ZHF_HYDRA_BURST,
    backfillEvals: e.ZHF_BACKFILL_EVALS,
    userAgent: e.ZHF_USER_AGENT,
    publicUrl: e.ZHF_PUBLIC_URL ?? null,
    github: {
      clientId: e.ZHF_GITHUB_CLIENT_ID ?? null,
      clientSecret: e.ZHF_GITHUB_CLIENT_SECRET ?? null,
      token: e.ZHF_GITHUB_TOKEN ?? null,
      url: e.ZHF_GITHUB_URL,
      apiUrl: e.ZHF_GITHUB_API_URL,
    },
    devLogin: e.ZHF_DEV_LOGIN === '1' || e.ZHF_DEV_LOGIN === 'true' || e.ZHF_DEV_LOGIN === 'force',
    devLoginForced: e.ZHF_DEV_LOGIN === 'force',
    maintainers: e.ZHF_MAINTAINERS,
    nixpkgsGit: e.ZHF_NIXPKGS_GIT ?? null,
    packagesJson: e.ZHF_PACKAGES_JSON ?? (e.HYDRA_URL === 'https://hydra.nixos.org' ? [] : null),
    roundupMentions: e.ZHF_ROUNDUP_MENTIONS,
    logLevel: e.ZHF_LOG_LEVEL,
  };
}

/**
 * SvelteKit's adapter-node learns the site's origin from the environment when its handler
 * loads: ORIGIN, else a protocol header and Host. Behind a proxy ZHF_PUBLIC_URL is the truth;
 * otherwise the zhf server names the protocol itself in `protocolHeader`.
 */
export function prepareAdapterEnv(config: Pick<Config, 'publicUrl'>, protocolHeader: string): void {
  const env = process.env;
  if (config.publicUrl && !env.ORIGIN) env.ORIGIN = new URL(config.publicUrl).origin;
  if (!env.ORIGIN) env.PROTOCOL_HEADER = protocolHeader;
}
