import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWeekOf } from '../../apps/collector/src/pure/week.ts';
import { startHydraSim, type HydraSimOptions, type RunningHydraSim, type ScriptedHydra } from '@zhf/sim';
import { newSim } from '../support/collector.ts';

const zhf = join(import.meta.dirname, '../../apps/zhf/bin/zhf.js');
const X = 'x86_64-linux';
const D = 'aarch64-darwin';

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string>, opts: { onStderr?: (text: string, kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [zhf, ...args], { env: { ...process.env, ZHF_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, (sig) => child.kill(sig));
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * For the enclosing describe block: a fresh data directory, and `script` served by a simulated
 * Hydra from before the block's tests, with the environment that points zhf at both. Both go
 * after the block.
 */
function servedToZhf(script: ScriptedHydra, opts: { jobset: string; backfillEvals: number; sim?: HydraSimOptions }) {
  const served = { dir: mkdtempSync(join(tmpdir(), 'zhf-cli-')), sim: undefined as RunningHydraSim | undefined, env: {} as Record<string, string> };
  beforeAll(async () => {
    served.sim = await startHydraSim(script, { rateLimit: false, ...opts.sim });
    Object.assign(served.env, {
      HYDRA_URL: served.sim.url, ZHF_JOBSETS: opts.jobset, ZHF_DATA_DIR: join(served.dir, 'db'),
      ZHF_HYDRA_RPS: '500', ZHF_HYDRA_BURST: '500', ZHF_BACKFILL_EVALS: String(opts.backfillEvals),
    });
  });
  afterAll(async () => {
    await served.sim?.close();
    rmSync(served.dir, { recursive: true, force: true });
  });
  return served;
}

describe('the zhf command line, as a user runs it', () => {
  const script = newSim(Math.floor(Date.now() / 1000) - 5 * 86400);
  const js = script.jobset('cli', 'unstable');
  const evals: { id: number }[] = [];
  evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'success', [`hello.${D}`]: 'success', [`curl.${X}`]: 'success', [`old.${X}`]: 'failure' } }));
  script.advance(6 * 3600);
  evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'reuse', [`hello.${D}`]: 'reuse', [`curl.${X}`]: 'failure', [`old.${X}`]: 'reuse', [`m1.${X}`]: 'success' } }));
  script.advance(6 * 3600);
  evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'failure', [`hello.${D}`]: 'reuse', [`curl.${X}`]: 'reuse', [`old.${X}`]: 'reuse', [`m2.${X}`]: 'success' } }));
  script.advance(6 * 3600);
  evals.push(script.eval(js, { jobs: { [`hello.${X}`]: 'reuse', [`hello.${D}`]: 'success', [`curl.${X}`]: 'success', [`old.${X}`]: 'reuse', [`m3.${X}`]: 'success' } }));
  script.advance(3600);
  const served = servedToZhf(script, { jobset: 'cli/unstable', backfillEvals: 2 });
  const { dir, env } = served;

  it('sync --once ingests the newest evals, backfill the older ones with progress lines', async () => {
    const s = await run(['sync', '--once'], env);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^cli\/unstable: 2 new evals/m);
    const b = await run(['backfill', '--jobset', 'cli/unstable', '--evals', '5'], env);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/cli\/unstable: 2 older evals ingested/);
    // Not a TTY: plain progress lines, no carriage returns.
    expect(b.stderr).toMatch(/^2\/2 done$/m);
    expect(b.stderr).not.toContain('\r');
    const again = await run(['sync', '--once'], env);
    expect(again.stdout).toMatch(/cli\/unstable: 0 new evals/);
  }, 60_000);

  it('preflight, roundup and check print their reports', async () => {
    const p = await run(['preflight', '--base', String(evals[0]!.id), '--candidate', String(evals[3]!.id)], env);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('10.rebuild-linux');
    const pj = await run(['preflight', '--base', String(evals[0]!.id), '--candidate', String(evals[3]!.id), '--json'], env);
    const report = JSON.parse(pj.stdout);
    expect(report.rebuildsBySystem).toMatchObject({ [X]: expect.any(Number) });

    const week = isoWeekOf(new Date((script.now() - 3600) * 1000));
    const r = await run(['roundup', '--week', week], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`hello.${X}`);
    expect(r.stdout).toMatch(/- \[[ x]\]/);

    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify({ systems: [X], pr: 1, result: { [X]: { failed: ['hello', 'curl'], built: ['m3'], broken: [], blacklisted: [], 'non-existent': [], tests: [] } } }));
    const c = await run(['check', file, '--json'], env);
    expect(c.code, c.stderr).toBe(0);
    const verdicts = Object.fromEntries(JSON.parse(c.stdout).items.map((i: { attr: string; verdict: string }) => [i.attr, i.verdict]));
    expect(verdicts).toMatchObject({ hello: 'already-broken', curl: 'likely-new' });
  }, 60_000);

  // Two kinds of malformed report: not JSON at all, and JSON that is not a report. Same exit code.
  writeFileSync(join(dir, 'not-json.json'), '{"systems": [');
  writeFileSync(join(dir, 'not-a-report.json'), JSON.stringify({ result: { [X]: { failed: 'hello' } } }));

  it.each([
    [['sync', '--jobset', 'nojobset'], {}, /--jobset must be project\/jobset/],
    [['roundup', '--jobset', 'nope/nope'], {}, /^zhf: --jobset nope\/nope is not tracked; tracked jobsets: cli\/unstable/m],
    [['check', join(dir, 'not-json.json'), '--jobset', 'nope/nope'], {}, /^zhf: --jobset nope\/nope is not tracked; tracked jobsets: cli\/unstable/m],
    [['roundup', '--week', '2026-W60'], {}, /^zhf: --week 2026-W60 does not exist: 2026 has 53 ISO weeks$/m],
    [['roundup', '--week', '2027-W53'], {}, /^zhf: --week 2027-W53 does not exist: 2027 has 52 ISO weeks$/m],
    [['roundup', '--week', 'next'], {}, /^zhf: --week must look like 2026-W48, got "next"$/m],
    [['check', join(dir, 'not-json.json')], {}, /not-json\.json is not valid JSON/],
    [['check', join(dir, 'not-a-report.json')], {}, /^zhf: report\.json: result\.x86_64-linux\.failed must be/m],
    [['sync', '--once'], { ZHF_HYDRA_RPS: 'fast' }, /invalid configuration: ZHF_HYDRA_RPS/],
    [['sync', '--once'], { ZHF_SYNC_CRON: 'every minute' }, /invalid configuration: ZHF_SYNC_CRON/],
    [['preflight', '--base', 'x', '--candidate', '1'], {}, /--base must be an eval id/],
    [['check', '/nonexistent/report.json'], {}, /cannot read \/nonexistent\/report.json: ENOENT/],
    [['backfill'], {}, /backfill needs --jobset/],
    [['frobnicate'], {}, /^zhf: unknown command "frobnicate"$/m],
    [['frobnicate'], { ZHF_HYDRA_RPS: 'fast' }, /^zhf: unknown command "frobnicate"$/m],
  ] as [string[], Record<string, string>, RegExp][])('zhf %j fails with one clear line', async (args, extra, message) => {
    const r = await run(args, { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error
  }, 30_000);

  it('a scheduled collector stops promptly on SIGTERM, leaving nothing half-written', async () => {
    const more = script.eval(js, { jobs: { [`hello.${X}`]: 'success', [`late.${X}`]: 'failure' } });
    script.advance(60);
    // What names the new eval's builds hangs (the jobset's latest builds, or single downloads): SIGTERM arrives mid-ingest.
    served.sim!.faults.add({ path: /^\/(build\/\d+$|api\/latestbuilds\?)/, kind: 'slow', delayMs: 30_000, times: 2 });
    const started = Date.now();
    let sent = false;
    const r = await run(['sync'], env, {
      onStderr: (text, kill) => {
        if (!sent && text.includes('evals discovered')) {
          sent = true;
          setTimeout(() => kill('SIGTERM'), 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toContain('shutting down');
    served.sim!.faults.clear();
    const s = await run(['sync', '--once'], env);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/cli\/unstable: 1 new evals/);
    expect(more.id).toBeGreaterThan(evals[3]!.id);
  }, 90_000);
});

describe('zhf sync --once when the bulk list fails', () => {
  const script = newSim(Math.floor(Date.now() / 1000) - 2 * 86400);
  const js = script.jobset('clilean', 'unstable');
  // More builds than one pass fetches full records of (300), so the first sync ends part-known.
  const jobs = Object.fromEntries(Array.from({ length: 420 }, (_, i) => [`pkg${i}.${X}`, i % 7 === 0 ? 'failure' : 'success'] as const));
  script.eval(js, { jobs });
  script.advance(3600);
  const { env } = servedToZhf(script, { jobset: 'clilean/unstable', backfillEvals: 1, sim: { bulkList: { timeoutMs: 50 } } });

  it('shows its progress and says how many builds are known, then finishes on the next sync', async () => {
    const first = await run(['sync', '--once'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^clilean\/unstable: 1 new evals/m);
    // Not a TTY: plain progress lines, from the eval's ingest and the full-record downloads.
    expect(first.stderr).toMatch(/^0\/1 clilean\/unstable: eval \d+$/m);
    expect(first.stderr).toMatch(/^300\/300 clilean\/unstable: full records$/m);
    expect(first.stderr).not.toContain('\r');
    const m = /^clilean\/unstable: (\d+) of 420 builds of eval \d+ known; the rest follow/m.exec(first.stdout);
    expect(m, first.stdout).not.toBeNull();
    expect(Number(m![1])).toBe(300);
    const second = await run(['sync', '--once'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^clilean\/unstable: 0 new evals/m);
    expect(second.stdout).not.toMatch(/builds of eval \d+ known/);
  }, 90_000);
});
