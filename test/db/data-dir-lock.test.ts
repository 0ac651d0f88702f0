// One owner per PGlite data directory, across real processes: a second process is refused while
// the first lives, a lock left by a SIGKILLed owner (or one naming a pid now used by another
// process) is taken over, and of many processes racing for a stale lock exactly one wins.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, clearDataDir, DataDirBusyError, dataDirOwner, LOCK_FILE } from '../../db/src/data-dir-lock.ts';
import { openDatabase } from '../../db/src/index.ts';

const holder = join(import.meta.dirname, 'support/lock-holder.ts');
const root = mkdtempSync(join(tmpdir(), 'zhf-lock-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`);
const children: ChildProcess[] = [];

interface Holder { child: ChildProcess; line: Promise<string>; exit: Promise<number | null> }

function startHolder(dir: string, mode = 'hold', goFile?: string): Holder & { ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', holder, dir, mode, ...(goFile ? [goFile] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  const lines = () => out.split('\n').slice(0, -1).filter((l) => l !== 'ready');
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) onReady();
      if (lines().length) resolve(lines()[0]!);
    });
    child.on('exit', (code) => (lines().length ? undefined : reject(new Error(`holder exited ${code} without a word`))));
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, line, exit, ready };
}

/** A pid no process has: one that just exited (and was reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function writeLock(dir: string, fields: Record<string, unknown>): void {
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ hostname: 'h', command: 'zhf start', since: '2026-01-01T00:00:00Z', url: null, token: 'old', processStart: null, ...fields }));
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the data directory lock', () => {
  it('refuses a second process while the first holds the directory, naming its pid', async () => {
    const dir = freshDir();
    const first = startHolder(dir);
    const pid = first.child.pid!;
    expect(await first.line).toBe(`held ${pid}`);
    const second = startHolder(dir);
    const line = await second.line;
    expect(await second.exit).toBe(3);
    expect(line).toMatch(new RegExp(`^busy the embedded database in ${dir} is in use by \`lock-holder\` \\(pid ${pid}, since [^)]+\\): .*DATABASE_URL`));
    // This process too: openDatabase on it is refused before PGlite touches the files.
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirBusyError);
    expect(dataDirOwner(dir)).toMatchObject({ pid, command: 'lock-holder' });
    // A clean stop removes the lock; the next one takes the directory.
    first.child.kill('SIGTERM');
    await first.exit;
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(dataDirOwner(dir)).toBeNull();
    const third = startHolder(dir, 'once');
    expect(await third.line).toMatch(/^held /);
  }, 60_000);

  it('takes over the lock of an owner killed with SIGKILL', async () => {
    const dir = freshDir();
    const first = startHolder(dir, 'advertise');
    expect(await first.line).toMatch(/^held /);
    await new Promise((r) => setTimeout(r, 100));
    expect(dataDirOwner(dir)?.url).toBe('http://127.0.0.1:9/');
    first.child.kill('SIGKILL');
    await first.exit;
    // The file stays behind, but it names a process that is gone.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    expect(dataDirOwner(dir)).toBeNull();
    const next = startHolder(dir, 'once');
    expect(await next.line).toBe(`held ${next.child.pid}`);
    expect(await next.exit).toBe(0);
  }, 60_000);

  it('treats as stale a lock whose pid is gone, or is another process now, or is this process but not its lock', async () => {
    const gone = freshDir();
    writeLock(gone, { pid: deadPid() });
    expect(dataDirOwner(gone)).toBeNull();
    const a = acquireDataDirLock(gone);
    expect(JSON.parse(readFileSync(join(gone, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, token: a.owner.token });
    a.release();

    // A live pid whose process started at another time: the pid was reused.
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    const reused = freshDir();
    writeLock(reused, { pid: sleeper.pid, processStart: '1' });
    if (process.platform === 'linux') expect(dataDirOwner(reused)).toBeNull();
    // The same pid with its real start time is a live owner.
    const live = freshDir();
    const realStart = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    writeLock(live, { pid: sleeper.pid, processStart: realStart });
    expect(dataDirOwner(live)).toMatchObject({ pid: sleeper.pid });
    expect(() => acquireDataDirLock(live)).toThrow(DataDirBusyError);

    // A restarted container's pid 1 finds its predecessor's lock under its own pid.
    const own = freshDir();
    writeLock(own, { pid: process.pid });
    const b = acquireDataDirLock(own);
    expect(b.owner.pid).toBe(process.pid);
    // ... but a directory this process holds is not opened twice.
    expect(() => acquireDataDirLock(own)).toThrow(/this very process/);
    b.release();
    b.release();
    expect(existsSync(join(own, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('lets exactly one of many processes racing for a stale lock win', async () => {
    const dir = freshDir();
    writeLock(dir, { pid: deadPid() });
    const go = join(root, `go${n}`);
    const racers = Array.from({ length: 6 }, () => startHolder(dir, 'hold', go));
    await Promise.all(racers.map((r) => r.ready));
    writeFileSync(go, '');
    const lines = await Promise.all(racers.map((r) => r.line));
    const winners = lines.filter((l) => l.startsWith('held '));
    expect(winners, lines.join('\n')).toHaveLength(1);
    expect(dataDirOwner(dir)?.pid).toBe(Number(winners[0]!.slice(5)));
  }, 60_000);

  it('clears a directory for a fresh start only when nobody owns it', async () => {
    const dir = freshDir();
    const first = startHolder(dir);
    expect(await first.line).toMatch(/^held /);
    writeFileSync(join(dir, 'PG_VERSION'), '17');
    expect(() => clearDataDir(dir)).toThrow(DataDirBusyError);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    first.child.kill('SIGTERM');
    await first.exit;
    clearDataDir(dir);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(false);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);
});
