// Commands beside a running server on the embedded database. The process that owns a PGlite
// directory (db/src/data-dir-lock.ts) is the only one that may open it; when it serves the HTTP
// API, read-only commands (check, roundup, preflight) ask it, and so see what the dashboard
// sees, claims made a second ago included. Commands that would write refuse (DataDirBusyError).

import { DataDirBusyError, dataDirOwner, type DataDirOwner } from '@zhf/db';
import type { Config } from './config.ts';
import { createLogger, type Logger } from '@zhf/collector/log';

export interface OwnerApi {
  dataDir: string;
  owner: DataDirOwner;
  /** The owner's HTTP API base, as `http://127.0.0.1:3000`. */
  url: string;
}

/** An answer of the owner's API outside 2xx: `status` as the API said, `message` its error message. */
export class OwnerApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'OwnerApiError';
  }
}

/**
 * The process owning the embedded database, to go through: null when `DATABASE_URL` is set or
 * no live process owns the directory (the command opens it itself). Throws DataDirBusyError when
 * the owner serves no API (a `zhf sync`, or a server still starting).
 */
export function ownerApi(config: Pick<Config, 'databaseUrl' | 'dataDir'>): OwnerApi | null {
  if (config.databaseUrl) return null;
  const owner = dataDirOwner(config.dataDir);
  if (!owner) return null;
  if (!owner.url) throw new DataDirBusyError(config.dataDir, owner);
  return { dataDir: config.dataDir, owner, url: owner.url };
}

/**
 * A read-only command's answer: from the owner's API when a running process owns the embedded
 * database (`remote`), else from the database opened here (`local`).
 */
export async function throughOwner<T>(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  remote: (api: OwnerApi) => Promise<T>,
  local: () => Promise<T>,
  log: Logger = createLogger(),
): Promise<T> {
  const api = ownerApi(config);
  if (!api) return local();
  log.info(`${api.dataDir} is open in \`${api.owner.command}\` (pid ${api.owner.pid}): asking it`, { url: api.url });
  return remote(api);
}

/** One JSON request to the owner's API; errors as OwnerApiError (4xx) or one line naming the owner. */
export async function ownerJson<T>(api: OwnerApi, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, api.url), {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(300_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new DataDirBusyError(api.dataDir, api.owner,
      `its API did not answer (${cause}); stop that process first, or set DATABASE_URL to a PostgreSQL server so that several zhf processes can share one database`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OwnerApiError(`${api.url}${path} answered ${res.status} with no JSON: ${text.slice(0, 200)}`, res.status < 500 ? res.status : 502);
  }
  if (res.ok) return json as T;
  const message = (json as { error?: { message?: unknown } }).error?.message;
  throw new OwnerApiError(typeof message === 'string' ? message : `${api.url}${path} answered ${res.status}`, res.status);
}
