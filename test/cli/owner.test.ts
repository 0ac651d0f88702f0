// One process owns an embedded (PGlite) data directory. With real zhf processes: beside a
// running `zhf serve`, check and roundup go through its API (and so see a claim made a moment
// ago), the commands that write refuse with one line naming its pid; after the server is killed
// with SIGKILL the next one starts on the same directory with the data intact. And freezing a
// week that has not ended needs --force.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHydraSim, type RunningHydraSim } from '@zhf/sim';
import { isoWeekOf, previousWeek } from '../../apps/collector/src/pure/week.ts';
import { newSim } from '../support/collector.ts';

const zhf = join(import.meta.dirname, '../../apps/zhf/bin/zhf.js');
const X = 'x86_64-linux';

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [zhf, ...args], { env: { ...process.env, ZHF_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Server { child: ChildProcess; url: string; exited: Promise<number | null>; stderr: () => string }

/** A long-running `zhf serve`, once it listens. */
function serve(env: Record<string, string>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [zhf, 'serve'], { env: { ...process.env, ZHF_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /dashboard and API listening url=(\S+)/.exec(stderr);
      if (m) resolve({ child, url: m[1]!, exited, stderr: () => stderr });
    });
    void exited.then((code) => reject(new Error(`zhf serve exited ${code}: ${stderr}`)));
  });
}

describe('one zhf process owns an embedded database directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zhf-owner-'));
  const dataDir = join(dir, 'db');
  let sim: RunningHydraSim;
  let env: Record<string, string>;
  const servers: ChildProcess[] = [];
  const script = newSim(Math.floor(Date.now() / 1000) - 2 * 86400);
  const js = script.jobset('cli', 'owner');
  const report = join(dir, 'report.json');
  let week: string;
  const evals: number[] = [];

  beforeAll(async () => {
    evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'success', [`curl.${X}`]: 'success' } }).id);
    script.advance(6 * 3600);
    evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'failure', [`curl.${X}`]: 'reuse' } }).id);
    script.advance(3600);
    week = isoWeekOf(new Date((script.now() - 3600) * 1000));
    sim = await startHydraSim(script, { rateLimit: false });
    env = {
      HYDRA_URL: sim.url, ZHF_JOBSETS: 'cli/owner', ZHF_DATA_DIR: dataDir, ZHF_HYDRA_RPS: '500', ZHF_HYDRA_BURST: '500',
      ZHF_BACKFILL_EVALS: '2', PORT: '0', ZHF_DEV_LOGIN: '1',
    };
    writeFileSync(report, JSON.stringify({ systems: [X], pr: 7, result: { [X]: { failed: ['hello'], built: ['curl'], broken: [], blacklisted: [], 'non-existent': [], tests: [] } } }));
    const s = await run(['sync', '--once'], env);
    expect(s.code, s.stderr).toBe(0);
  }, 180_000);
  const killServers = () => {
    for (const c of servers.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  afterEach(killServers);
  afterAll(async () => {
    killServers();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const helloOf = (r: Run) => {
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { items: { attr: string; verdict: string; breakage?: { id: number; claim: { by: string } | null } }[] }).items.find((i) => i.attr === 'hello')!;
  };

  it('beside a running server: reads go through its API, writes are refused with one line, and a SIGKILLed owner leaves nothing in the way', async () => {
    const first = await serve(env);
    servers.push(first.child);
    const pid = first.child.pid!;
    expect(JSON.parse(readFileSync(join(dataDir, 'zhf.lock'), 'utf8'))).toMatchObject({ pid, url: first.url, command: 'zhf serve' });

    // A claim made in the dashboard (its API) ...
    const login = await fetch(`${first.url}/auth/dev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'alice' }) });
    expect(login.status).toBe(200);
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = /zhf_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
    const list = (await (await fetch(`${first.url}/api/breakages?week=all`)).json()) as { items: { id: number; job: string }[] };
    const breakage = list.items.find((b) => b.job === `hello.${X}`)!;
    expect(breakage).toBeDefined();
    const claim = await fetch(`${first.url}/api/breakages/${breakage.id}/claim`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: '{}',
    });
    expect(claim.status).toBe(201);

    // ... is what `zhf check` sees: it asks the server instead of opening the directory.
    const c = await run(['check', report, '--json'], env);
    expect(helloOf(c)).toMatchObject({ verdict: 'already-broken', breakage: { id: breakage.id, claim: { by: 'alice' } } });
    expect(c.stderr).toContain(`is open in \`zhf serve\` (pid ${pid}): asking it`);
    const text = await run(['check', report], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('hello');

    const r = await run(['roundup', '--week', week], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`hello.${X}`);
    expect(r.stderr).toContain('asking it');
    const preflight = ['preflight', '--base', String(evals[0]), '--candidate', String(evals[1]), '--json'];
    const pRemote = await run(preflight, env);
    expect(pRemote.code, pRemote.stderr).toBe(0);
    expect(pRemote.stderr).toContain('asking it');
    const unknown = await run(['roundup', '--week', week, '--jobset', 'cli/nope'], env);
    // An untracked jobset is a usage error, named before any database is asked.
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--jobset cli/nope is not tracked');

    // Commands that would write the directory refuse, each with one line naming the owner.
    for (const args of [['backfill', '--jobset', 'cli/owner', '--evals', '5'], ['sync', '--once'], ['serve'], ['roundup', '--week', previousWeek(week), '--freeze']]) {
      const refused = await run(args, env);
      expect(refused.code, `${args.join(' ')}: ${refused.stderr}`).toBe(1);
      const lines = refused.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(new RegExp(`^zhf: the embedded database in ${dataDir} is in use by \`zhf serve\` \\(pid ${pid}, since \\S+, serving ${first.url.replace(/[.[\]]/g, '\\$&')}\\): .*set DATABASE_URL to a PostgreSQL server`));
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      expect(refused.stdout).toBe('');
    }
    expect(first.child.exitCode).toBeNull();

    // The owner dies without cleaning up: its lock stays, naming a pid that is gone.
    first.child.kill('SIGKILL');
    await first.exited.catch(() => null);
    expect(existsSync(join(dataDir, 'zhf.lock'))).toBe(true);
    const second = await serve(env);
    servers.push(second.child);
    expect(JSON.parse(readFileSync(join(dataDir, 'zhf.lock'), 'utf8'))).toMatchObject({ pid: second.child.pid, url: second.url });
    // The claim made through the killed server survived.
    const again = await run(['check', report, '--json'], env);
    expect(helloOf(again)).toMatchObject({ breakage: { id: breakage.id, claim: { by: 'alice' } } });
    expect(again.stderr).toContain(`(pid ${second.child.pid}): asking it`);
    second.child.kill('SIGTERM');
    expect(await second.exited.catch(() => 0)).toBe(0);
    expect(existsSync(join(dataDir, 'zhf.lock'))).toBe(false);

    // Nobody owns it now: the command opens the directory itself.
    const alone = await run(['check', report, '--json'], env);
    expect(helloOf(alone)).toMatchObject({ breakage: { claim: { by: 'alice' } } });
    expect(alone.stderr).not.toContain('asking it');
    // The same report as the server gave.
    const pLocal = await run(preflight, env);
    expect(pLocal.code, pLocal.stderr).toBe(0);
    expect(JSON.parse(pRemote.stdout)).toEqual(JSON.parse(pLocal.stdout));
  }, 480_000);

  it('freezing a week that has not ended needs --force, and says what it froze', async () => {
    const thisWeek = isoWeekOf(new Date());
    const refused = await run(['roundup', '--freeze'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^zhf: ${thisWeek} has not ended \\(it ends \\S+\\); .*add --force`));
    expect(refused.stdout).toBe('');
    // Nothing was frozen: the week is still computed live.
    const live = await run(['roundup'], env);
    expect(live.code, live.stderr).toBe(0);

    const forced = await run(['roundup', '--freeze', '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(new RegExp(`zhf: froze the roundup of ${thisWeek} for cli/owner as of \\S+: \\d+ breakages in \\d+ part\\(s\\), before the week ended`));
    expect(forced.stdout).toContain('#');

    // A week that has ended freezes without --force.
    const last = previousWeek(thisWeek);
    const ended = await run(['roundup', '--freeze', '--week', last], env);
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stderr).toMatch(new RegExp(`froze the roundup of ${last} for cli/owner as of \\S+: \\d+ breakages in \\d+ part\\(s\\)\\n`));
    expect(ended.stderr).not.toContain('before the week ended');

    const misuse = await run(['roundup', '--force'], env);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--force only applies to --freeze');
  }, 180_000);
});
