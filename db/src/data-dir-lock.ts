// One owner per embedded database directory, across processes. PGlite keeps the database in
// the memory of the process that opened it and writes its files back as it goes: a second
// process opening the same directory reads a stale copy, and its writes and the first one's
// overwrite each other's files until the directory no longer opens. So the process that opens a
// directory holds `<dir>/zhf.lock` for its whole life: created atomically (a hard link of a
// complete file, which fails when the lock exists), naming the owner's pid and the kernel's start
// time of that process, and, once it serves one, the URL of its HTTP API so other commands can
// go through it. The lock is removed when the owner closes the database or exits; one left
// behind by a killed owner is stale as soon as that pid is gone (or is another process now),
// and the next opener takes it over.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

export const LOCK_FILE = 'zhf.lock';

/** What the lock file says about the process that owns the directory. */
export interface DataDirOwner {
  pid: number;
  /** When the kernel started that process (Linux: /proc/<pid>/stat field 22), to tell a reused pid apart; null when unknown. */
  processStart: string | null;
  hostname: string;
  /** The command line, as `zhf start`. */
  command: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** The owner's HTTP API (`http://127.0.0.1:3000`) once it serves one, else null. */
  url: string | null;
  /** Random: tells this lock apart from a later one of the same process. */
  token: string;
}

/** The directory is owned by another live process (or already open in this one). */
export class DataDirBusyError extends Error {
  constructor(readonly dataDir: string, readonly owner: DataDirOwner, detail?: string) {
    super(busyMessage(dataDir, owner, detail));
    this.name = 'DataDirBusyError';
  }
}

/**
 * The one line a command that cannot share the directory prints: who owns it, and the way to
 * run several processes at once. `detail` replaces the default advice after the colon.
 */
export function busyMessage(dataDir: string, owner: DataDirOwner, detail?: string): string {
  const where = owner.hostname === hostname() ? '' : ` on ${owner.hostname}`;
  const self = owner.pid === process.pid && owner.hostname === hostname() ? ', this very process' : '';
  const serving = owner.url ? `, serving ${owner.url}` : '';
  return `the embedded database in ${dataDir} is in use by \`${owner.command}\` (pid ${owner.pid}${where}${self}, since ${owner.since}${serving}): `
    + (detail ?? 'stop that process first, or set DATABASE_URL to a PostgreSQL server so that several zhf processes can share one database');
}

export interface DataDirLock {
  readonly dataDir: string;
  readonly path: string;
  /** What the lock file says now. */
  readonly owner: DataDirOwner;
  /** Records the URL of the HTTP API this process serves, for other commands to go through. */
  advertise(url: string | null): void;
  /** Removes the lock (only while it is still this one). Idempotent. */
  release(): void;
}

/** Locks held by this process, by lock path: released on exit if nobody closed them. */
const held = new Map<string, string>();
let exitHook = false;

/**
 * Takes the directory for this process, creating it when missing. Throws DataDirBusyError when a
 * live process owns it, taking over a lock whose owner is gone.
 */
export function acquireDataDirLock(dataDir: string, opts: { command?: string } = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const owner: DataDirOwner = {
    pid: process.pid,
    processStart: processStartOf(process.pid),
    hostname: hostname(),
    command: opts.command ?? commandLine(),
    since: new Date().toISOString(),
    url: null,
    token: randomBytes(8).toString('hex'),
  };
  // A few rounds: each one either takes the lock, meets a live owner, or clears a stale lock.
  for (let round = 0; round < 10; round++) {
    if (createExclusive(path, owner)) {
      held.set(path, owner.token);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', releaseAllHeld);
      }
      return handle(dataDir, path, owner);
    }
    const found = readLock(path);
    if (found === 'missing') continue;
    if (found !== 'unreadable' && isLive(path, found)) throw new DataDirBusyError(dataDir, found);
    removeStale(path, found === 'unreadable' ? null : found.token);
  }
  throw new Error(`could not take ${path}: other processes keep creating and removing it`);
}

/** The live owner of the directory, or null when nobody holds it (no lock, or a stale one). */
export function dataDirOwner(dataDir: string): DataDirOwner | null {
  const path = join(dataDir, LOCK_FILE);
  const found = readLock(path);
  if (found === 'missing' || found === 'unreadable') return null;
  return isLive(path, found) ? found : null;
}

/**
 * Empties the directory (a fresh database), refusing with DataDirBusyError while a live process
 * owns it: the lock is held while the files go, then released.
 */
export function clearDataDir(dataDir: string): void {
  const lock = acquireDataDirLock(dataDir);
  try {
    for (const entry of readdirSync(dataDir)) {
      if (entry !== LOCK_FILE) rmSync(join(dataDir, entry), { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
}

function handle(dataDir: string, path: string, initial: DataDirOwner): DataDirLock {
  let owner = initial;
  const mine = () => held.get(path) === owner.token;
  return {
    dataDir,
    path,
    get owner() {
      return owner;
    },
    advertise(url) {
      if (!mine()) return;
      owner = { ...owner, url };
      // Replace the file whole, so a reader never sees half of it.
      const tmp = `${path}.${owner.token}.tmp`;
      writeFileSync(tmp, JSON.stringify(owner) + '\n');
      renameSync(tmp, path);
    },
    release() {
      if (!mine()) return;
      held.delete(path);
      removeIfToken(path, owner.token);
    },
  };
}

/** Creates `path` holding `owner` only when it does not exist: a complete file appears at once. */
function createExclusive(path: string, owner: DataDirOwner): boolean {
  const tmp = `${path}.${owner.token}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner) + '\n');
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // A file system without hard links: O_EXCL creation, then the content.
    try {
      writeFileSync(path, JSON.stringify(owner) + '\n', { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readLock(path: string): DataDirOwner | 'missing' | 'unreadable' {
  // An empty or partial file can only be one being written where hard links are missing: wait a little.
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
    const parsed = parseOwner(text);
    if (parsed) return parsed;
    if (attempt >= 20 || ageMs(path) > 5_000) return 'unreadable';
    sleepMs(50);
  }
}

function parseOwner(text: string): DataDirOwner | null {
  try {
    const o = JSON.parse(text) as Partial<DataDirOwner>;
    if (typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid <= 0 || typeof o.token !== 'string') return null;
    return {
      pid: o.pid,
      processStart: typeof o.processStart === 'string' ? o.processStart : null,
      hostname: typeof o.hostname === 'string' ? o.hostname : '?',
      command: typeof o.command === 'string' ? o.command : 'zhf',
      since: typeof o.since === 'string' ? o.since : '?',
      url: typeof o.url === 'string' && /^https?:\/\//.test(o.url) ? o.url : null,
      token: o.token,
    };
  } catch {
    return null;
  }
}

/** Whether the process the lock names still runs (the same process, not a later one given its pid). */
function isLive(path: string, owner: DataDirOwner): boolean {
  // This process's own pid: live only when this process took that very lock (a container's pid 1
  // restarted finds its predecessor's lock under its own pid).
  if (owner.pid === process.pid) return held.get(path) === owner.token;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it runs, as another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const proc = procStat(owner.pid);
  // A killed process nobody has reaped yet still answers kill(pid, 0).
  if (proc?.state === 'Z' || proc?.state === 'X') return false;
  if (owner.processStart === null) return true;
  const now = proc ? proc.start : processStartOf(owner.pid);
  return now === null || now === owner.processStart;
}

/**
 * Removes a stale lock without removing a fresh one another process has just put in its place:
 * move it aside (atomic), and put it back if it turns out to be someone else's.
 */
function removeStale(path: string, staleToken: string | null): void {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  const isStaleOne = moved === 'missing' || moved === 'unreadable' ? staleToken === null : moved.token === staleToken;
  if (!isStaleOne) {
    try {
      linkSync(aside, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  rmSync(aside, { force: true });
}

function removeIfToken(path: string, token: string): void {
  const found = readLock(path);
  if (found !== 'missing' && found !== 'unreadable' && found.token === token) rmSync(path, { force: true });
}

function releaseAllHeld(): void {
  for (const [path, token] of held) {
    try {
      removeIfToken(path, token);
    } catch {
      // Exiting anyway: the lock is stale once this pid is gone.
    }
  }
  held.clear();
}

/** The kernel's start time of a process: a pid reused by a later process has another. */
function processStartOf(pid: number): string | null {
  const proc = procStat(pid);
  if (proc) return proc.start;
  if (process.platform === 'linux') return null;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2_000 }).trim();
    return out || null;
  } catch {
    return null;
  }
}

/** Linux's view of a process: its state letter and start time (clock ticks since boot); null elsewhere or when gone. */
function procStat(pid: number): { state: string; start: string | null } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name (which may hold spaces): state is field 3, starttime 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', start: fields[19] ?? null };
}

/** `zhf start` for `node …/bin/zhf.js start`. */
function commandLine(): string {
  const script = process.argv[1] ? basename(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') : basename(process.execPath);
  return [script, ...process.argv.slice(2)].join(' ').slice(0, 200);
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
