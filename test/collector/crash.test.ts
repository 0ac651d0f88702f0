import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type Database } from '../../db/src/index.ts';
import { GeneratedHydra, startHydraSim } from '@zhf/sim';
import { startHarness } from '../support/collector.ts';
import { drivers } from '../support/db.ts';

const zhf = join(import.meta.dirname, '../../apps/zhf/bin/zhf.js');

/** Everything a sync decides, in a comparable form. */
async function snapshot(database: Database) {
  const q = <T>(s: ReturnType<typeof sql>) => queryRows<T>(database.db, s);
  return {
    evals: await q(sql`select id::text, revision, build_count from evals order by id`),
    stats: await q(sql`select eval_id::text, counts::text, pending from eval_stats order by eval_id`),
    runs: await q(sql`select count(*)::int as n, sum(build_id)::text as s, sum(coalesce(last_eval_id, 0))::text as l from memberships`),
    builds: await q(sql`select count(*)::int as n, sum(finished)::int as f, sum(coalesce(status, -1))::int as s from builds`),
    breakages: await q(sql`select j.name, b.opened_eval_id::text, b.state, b.closed_eval_id::text, b.kind, b.flaky from breakages b join jobs j on j.id = b.job_id order by j.name, b.opened_eval_id`),
  };
}

/** Runs `step` until `state` stops changing (at most 12 times), and returns that state. */
async function settled<T>(step: () => Promise<void>, state: () => Promise<T>): Promise<T> {
  let before = await state();
  for (let i = 0; i < 12; i++) {
    await step();
    const after = await state();
    if (JSON.stringify(after) === JSON.stringify(before)) return after;
    before = after;
  }
  throw new Error('the state still changed after 12 syncs');
}

function runSync(env: Record<string, string>, killWhen?: (line: string) => number | null): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [zhf, 'sync', '--once'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let armed = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!killWhen || armed) return;
      for (const line of d.toString().split('\n')) {
        const delay = killWhen(line);
        if (delay !== null) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), delay);
          break;
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe.each(drivers)('a collector killed mid-ingest with SIGKILL [%s]', (driver) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('reruns into exactly the state of an uninterrupted run', async () => {
    const hydra = new GeneratedHydra({ seed: 11, jobsPerEval: 3000, evals: 5, churn: 0.1, failureRate: 0.05 });
    const sim = await startHydraSim(hydra, { rateLimit: false });
    cleanups.push(() => sim.close());

    // Reference: one clean run, in process.
    const reference = await openDatabase({ dataDir: 'memory://' });
    cleanups.push(() => reference.close());
    const h = await startHarness(reference, hydra, { collector: { backfillEvals: 5 } });
    cleanups.push(() => h.close());
    const [ok] = await h.collector.syncAll(['nixpkgs/unstable']);
    expect(ok!.error).toBeUndefined();
    expect(ok!.newEvals).toHaveLength(5);
    // Verdicts from cheap sources name an eval's builds over several syncs (SPEC section 3's
    // pending until then): the state to compare is the one further syncs no longer change.
    const referenceState = await settled(async () => {
      const [r] = await h.collector.syncAll(['nixpkgs/unstable']);
      expect(r!.error).toBeUndefined();
    }, () => snapshot(reference));

    const env: Record<string, string> = {
      HYDRA_URL: sim.url, ZHF_JOBSETS: 'nixpkgs/unstable', ZHF_BACKFILL_EVALS: '5', ZHF_HYDRA_RPS: '1000', ZHF_HYDRA_BURST: '1000', ZHF_LOG_LEVEL: 'info',
    };
    let open: () => Promise<Database>;
    if (driver === 'pglite') {
      const dir = mkdtempSync(join(tmpdir(), 'zhf-crash-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      env.ZHF_DATA_DIR = dir;
      open = () => openDatabase({ dataDir: dir });
    } else {
      const base = process.env.TEST_DATABASE_URL!;
      const name = `zhf_crash_${Date.now().toString(36)}`;
      const admin = postgres(base, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      cleanups.push(async () => {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      });
      const u = new URL(base);
      u.pathname = `/${name}`;
      env.DATABASE_URL = u.toString();
      open = () => openDatabase({ databaseUrl: u.toString() });
    }

    // Kill at different points: while fetching, inside the first eval's transaction, after some evals.
    const kills = [
      (l: string) => (l.includes('evals discovered') ? 5 : null),
      (l: string) => (l.includes('eval ingested') ? 0 : null),
      (l: string) => (l.includes('eval ingested') ? 40 : null),
    ];
    let killed = 0;
    for (const when of kills) {
      const r = await runSync(env, when);
      if (r.signal === 'SIGKILL') killed++;
    }
    expect(killed).toBeGreaterThanOrEqual(2);
    const last = await runSync(env);
    expect(last.code, last.out).toBe(0);

    const rerunState = await settled(async () => {
      const r = await runSync(env);
      expect(r.code, r.out).toBe(0);
    }, async () => {
      // Opened only to read: the next sync process must own the directory.
      const db = await open();
      try {
        return await snapshot(db);
      } finally {
        await db.close();
      }
    });
    expect(rerunState).toEqual(referenceState);
    // And a further run changes nothing.
  }, 180_000);
});
