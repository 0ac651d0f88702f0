// Issue 17's figures: how zhf follows hydra.nixos.org as it really behaves, on the simulator with
// its lifecycle on (builds finishing hours after their eval, restarts days later, re-points just
// after an eval, an instance queue full of other jobsets' builds, a failing bulk list, a strict
// rate limiter), through the real collector and client over HTTP, on a fresh PostgreSQL database.
//   node --import tsx test/bench/following-hydra.ts [jobs] [--json]
// Prints Markdown (or, with --json, one JSON object of rows for run.ts).
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../db/src/index.ts';
import { HydraClient } from '../../apps/collector/src/hydra/client.ts';
import { createLogger } from '../../apps/collector/src/log.ts';
import { Collector, splitRef, type CollectorOptions } from '../../apps/collector/src/sync.ts';
import { GeneratedHydra, startHydraSim, type HydraSimOptions } from '@zhf/sim';
import { freshDatabase } from './fresh-database.ts';

const BASE = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REF = 'nixpkgs/unstable';
/** The default cron, every 15 minutes. */
const INTERVAL = 15 * 60;

export interface Row {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

interface Rig {
  gen: GeneratedHydra;
  sim: Awaited<ReturnType<typeof startHydraSim>>;
  client: HydraClient;
  collector: Collector;
  database: Database;
  /** Requests and Hydra-side queries when the collector logged "verdicts current" (the cheap path). */
  atVerdicts: { requests: number; queries: number } | null;
  close(): Promise<void>;
}

async function rig(gen: GeneratedHydra, collector: Partial<CollectorOptions>, sim: HydraSimOptions = {}, client: { rps?: number; burst?: number } = {}): Promise<Rig> {
  const server = await startHydraSim(gen, { rateLimit: false, ...sim });
  const db = await freshDatabase(BASE, 'zhf_follow');
  const c = new HydraClient({ baseUrl: server.url, userAgent: 'zhf-bench (+https://example.invalid/zhf)', rps: client.rps ?? 100_000, burst: client.burst ?? 100_000 });
  // The collector's own log line marks the moment verdicts are current; the simulator's counters are read then.
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      if (line.includes(' verdicts current ') && r.atVerdicts === null) {
        const cost = server.counters.cost();
        r.atVerdicts = { requests: cost.requests, queries: cost.queries };
      }
      if (/ (warn|error) /.test(line)) process.stderr.write(line + '\n');
    },
  });
  const r: Rig = {
    gen, sim: server, client: c, database: db.database, atVerdicts: null,
    collector: new Collector(db.database, c, { backfillEvals: 2, rps: client.rps ?? 1, singleConcurrency: 8, ...collector }, logger),
    async close() {
      c.close();
      await server.close();
      await db.drop();
    },
  };
  return r;
}

/**
 * Jobs of `evalId` whose state in zhf differs from Hydra's now: `late` ones Hydra has finished
 * and zhf shows pending, `stale` ones zhf shows finished that Hydra holds unfinished or with
 * another status (restarts and re-points not seen yet).
 */
async function mismatches(r: Rig, evalId: number): Promise<{ late: number; stale: number; jobs: number }> {
  const rows = await queryRows<{ id: string; finished: number; status: number | null }>(r.database.db, sql`
    select m.build_id as id, b.finished, b.status from memberships m join builds b on b.id = m.build_id
    where m.first_eval_id <= ${evalId} and (m.last_eval_id is null or m.last_eval_id >= ${evalId})
      and m.jobset_id = (select jobset_id from evals where id = ${evalId})`);
  const shown = new Map(rows.map((x) => [Number(x.id), x]));
  let late = 0, stale = 0, jobs = 0;
  for (const id of r.gen.getEval(evalId)!.buildIds()) {
    jobs++;
    const hydra = r.gen.buildState(id)!;
    const zhf = shown.get(id); // absent: unresolved, or a placeholder awaiting it (both pending)
    const zhfFinished = zhf ? Number(zhf.finished) === 1 : false;
    if (hydra.finished === 1 && !zhfFinished) late++;
    else if (zhfFinished && (hydra.finished !== 1 || hydra.buildstatus !== zhf!.status)) stale++;
  }
  return { late, stale, jobs };
}

/** Of the builds zhf shows pending (held unfinished or not named yet), how many Hydra has finished. */
async function late(r: Rig, jobsetRef: string): Promise<number> {
  const [project, name] = splitRef(jobsetRef);
  const rows = await queryRows<{ id: string }>(r.database.db, sql`
    select b.id from builds b join jobs j on j.id = b.job_id join jobsets s on s.id = j.jobset_id
    where s.project = ${project} and s.name = ${name} and b.finished = 0 and b.id > 0
    union select u.build_id from unresolved_members u join jobsets s on s.id = u.jobset_id where s.project = ${project} and s.name = ${name}`);
  return rows.filter((x) => r.gen.buildState(Number(x.id))?.finished === 1).length;
}

const newestEval = (gen: GeneratedHydra) => gen.evalIds('nixpkgs', 'unstable')[0]!;
const n = (x: number) => x.toLocaleString('en');

/** One steady 2% eval, an hour after it appeared, after a synced one: today's full records or the cheap sources. */
export async function steadyEval(jobs: number, mode: 'single' | 'auto') {
  const gen = new GeneratedHydra({ jobsPerEval: jobs, evals: 3, massRebuilds: [], lifecycle: true, seed: 17 });
  const end = gen.now();
  gen.setClock(end - 2 * 3600); // the newest eval appears ~1 h before the end: not there yet
  const r = await rig(gen, { fetchMode: mode, maxDetailFetches: 0 });
  try {
    await r.collector.syncAll([REF]);
    gen.setClock(end);
    r.sim.counters.reset();
    r.atVerdicts = null;
    const [rep] = await r.collector.syncAll([REF]);
    const cost = r.sim.counters.cost();
    const routes = Object.fromEntries(Object.entries(r.sim.counters.snapshot()).map(([k, v]) => [k, { requests: v.requests, queries: v.queries }]));
    const [newest, previous] = gen.evalIds('nixpkgs', 'unstable');
    const m = await mismatches(r, newest!);
    const before = new Set(gen.getEval(previous!)!.buildIds());
    const newBuilds = [...gen.getEval(newest!)!.buildIds()].filter((id) => !before.has(id)).length;
    const until = r.atVerdicts ?? { requests: cost.requests, queries: cost.queries };
    return { mode, error: rep!.error ?? null, newBuilds, requests: cost.requests, queries: cost.queries, until, routes, ...m };
  } finally {
    await r.close();
  }
}

/**
 * A day at the default cron (96 syncs, every 15 min) with an eval every 6 h and the lifecycle on,
 * after a first sync. After each sync: jobs of the newest eval whose finished build zhf still
 * shows pending (late). At the end: open breakages whose failing build was re-read in the last
 * 24 h. Simulated time moves the simulator's clock and every build's `checked_at` alike.
 */
async function day(jobs: number) {
  const gen = new GeneratedHydra({ jobsPerEval: jobs, evals: 6, massRebuilds: [], lifecycle: true, seed: 23 });
  const end = gen.now();
  const start = end - 24 * 3600;
  gen.setClock(start);
  const r = await rig(gen, { maxDetailFetches: 300 });
  try {
    await r.collector.syncAll([REF]);
    let lateMax = 0, lateSyncs = 0, staleMax = 0, requests = 0, queries = 0, maxRequests = 0, rechecked = 0;
    const perSync: number[] = [];
    for (let k = 1; k <= 96; k++) {
      gen.setClock(start + k * INTERVAL);
      await r.database.db.execute(sql`update builds set checked_at = checked_at - make_interval(secs => ${INTERVAL})`);
      r.sim.counters.reset();
      const [rep] = await r.collector.syncAll([REF]);
      if (rep!.error) throw new Error(`sync ${k}: ${rep!.error}`);
      const cost = r.sim.counters.cost();
      requests += cost.requests;
      queries += cost.queries;
      maxRequests = Math.max(maxRequests, cost.requests);
      perSync.push(cost.requests);
      rechecked += rep!.rechecked ?? 0;
      const l = await late(r, REF);
      lateMax = Math.max(lateMax, l);
      if (l) lateSyncs++;
      if (k % 16 === 0) {
        const m = await mismatches(r, newestEval(gen));
        staleMax = Math.max(staleMax, m.stale);
        process.stderr.write(`  day: sync ${k}/96, ${cost.requests} requests, late ${l} (newest eval: ${m.late}), stale ${m.stale}\n`);
      }
    }
    const [cov] = await queryRows<{ open: number; fresh: number }>(r.database.db, sql`
      select count(*)::int as open, count(*) filter (where b.checked_at >= now() - interval '24 hours')::int as fresh
      from breakages bk join builds b on b.id = bk.build_id where bk.state = 'open' and b.id > 0`);
    return { lateMax, lateSyncs, staleMax, requests, queries, maxRequests, rechecked, open: cov!.open, fresh: cov!.fresh };
  } finally {
    await r.close();
  }
}

/**
 * A new user's first sync while every bulk list answers 504: killed once after its first eval,
 * then run again until the jobset's newest eval has every member named.
 */
async function bulkFailing(jobs: number) {
  const gen = new GeneratedHydra({ jobsPerEval: jobs, evals: 3, massRebuilds: [], lifecycle: true, seed: 29 });
  const r = await rig(gen, { maxDetailFetches: 300 }, { bulkList: { timeoutMs: 50 } });
  try {
    const t0 = Date.now();
    const stop = new AbortController();
    const progress: string[] = [];
    await r.collector.syncAll([REF], stop.signal, (done, total, label) => {
      progress.push(`${done}/${total} ${label}`);
      if (label.includes('eval') && done >= 1) stop.abort(); // killed after the first eval is in
    });
    const afterKill = (await queryRows<{ n: number }>(r.database.db, sql`select count(*)::int as n from evals`))[0]!.n;
    const runs: { known?: { known: number; total: number } }[] = [];
    for (let i = 0; i < 5; i++) {
      const [rep] = await r.collector.syncAll([REF], undefined, (done, total, label) => progress.push(`${done}/${total} ${label}`));
      if (rep!.error) throw new Error(`first sync, run ${i + 2}: ${rep!.error}`);
      runs.push(rep!);
      const unresolved = (await queryRows<{ n: number }>(r.database.db, sql`select count(*)::int as n from unresolved_members`))[0]!.n;
      if (unresolved === 0) break;
    }
    const evals = (await queryRows<{ n: number }>(r.database.db, sql`select count(*)::int as n from evals`))[0]!.n;
    const bulk = r.sim.counters.snapshot()['/eval/:id/builds'];
    const m = await mismatches(r, newestEval(gen));
    return {
      ms: Date.now() - t0, afterKill, runs: runs.length + 1, evals, bulkRequests: bulk?.requests ?? 0, bulk504: bulk?.statuses[504] ?? 0,
      known: runs.at(-1)?.known, progressLines: progress.length, late: m.late, requests: r.sim.counters.cost().requests,
    };
  } finally {
    await r.close();
  }
}

/** A first sync of a small jobset, one request per build, with the client at 2/s burst 7 against a strict limiter of 2/s burst 7. */
async function atTheLimit(jobsPerEval: number) {
  const gen = new GeneratedHydra({ jobsPerEval, evals: 2, massRebuilds: [], lifecycle: true, seed: 31 });
  const r = await rig(gen, { fetchMode: 'single', backfillEvals: 2, maxDetailFetches: 0 }, { rateLimit: { rps: 2, burst: 7 } }, { rps: 2, burst: 7 });
  try {
    const t0 = Date.now();
    await r.collector.syncAll([REF]);
    return { requests: r.sim.counters.cost().requests, s: (Date.now() - t0) / 1000, r429: r.sim.counters.total429() };
  } finally {
    await r.close();
  }
}

export async function followingHydra(jobs: number): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (figure: string, measured: string, target: string, met: boolean | null) => rows.push({ figure, measured, target, met });
  process.stderr.write('  following Hydra: one steady eval, full records and cheap sources\n');
  const today = await steadyEval(jobs, 'single');
  const cheap = await steadyEval(jobs, 'auto');
  row(`requests until every job of a 2% eval shows its current state (${n(cheap.newBuilds)} new builds, an hour after the eval; checked against the simulator: ${n(cheap.late)} late, ${n(cheap.stale)} stale of ${n(cheap.jobs)})`,
    `${n(cheap.until.requests)} (today's full records: ${n(today.requests)}, ${n(today.late)} late after them)`, '<= 10', cheap.until.requests <= 10 && cheap.late === 0);
  const ratio = today.queries / cheap.until.queries;
  row('Hydra-side queries (cost model) per 2% eval until verdicts are current',
    `${n(cheap.until.queries)}; today's ${n(today.queries)} (1/${ratio.toFixed(0)}); the cheap sync in all, with the queue's requeued builds' full records: ${n(cheap.queries)} (1/${(today.queries / cheap.queries).toFixed(0)})`,
    '<= 1/20 of today\'s', ratio >= 20);
  process.stderr.write('  following Hydra: a day at the default cron\n');
  const d = await day(jobs);
  row('delay from Hydra finishing a build to zhf showing it, at the default cron (96 syncs over 24 h, 4 new evals)',
    d.lateMax === 0 ? `within the sync after it: after every sync, none of the builds zhf shows pending had finished on Hydra` : `${d.lateSyncs} of 96 syncs left jobs late (at most ${n(d.lateMax)})`,
    '<= one sync interval', d.lateMax === 0);
  rows.at(-1)!.measured += `; finished states Hydra has since reset (restarts, re-points not seen yet), every 4 h: at most ${n(d.staleMax)} jobs of the newest eval`;
  row('open breakages whose failing build was re-read in the last 24 h (default budget)',
    `${n(d.fresh)} of ${n(d.open)} (${((100 * d.fresh) / Math.max(1, d.open)).toFixed(1)}%); ${n(d.requests)} requests in the day (at most ${n(d.maxRequests)} per sync), ${n(d.queries)} Hydra-side queries`,
    '100%', d.fresh === d.open);
  process.stderr.write('  following Hydra: a first sync while every bulk list fails\n');
  const b = await bulkFailing(jobs);
  row(`first sync of a ${n(jobs)}-build jobset while every bulk request fails (killed once after its first eval)`,
    `finishes: ${b.evals} evals in ${b.runs} runs, ${(b.ms / 1000).toFixed(0)} s, ${n(b.requests)} requests; the bulk list asked ${b.bulkRequests === 1 ? "once" : `${b.bulkRequests} times`} (${b.bulk504} answered 504), ${b.progressLines} progress lines; ${b.known ? `${n(b.known.known)} of ${n(b.known.total)} builds known (full records follow at 300 per sync)` : ''}; ${n(b.late)} jobs late`,
    'finishes, resumable, progress shown', b.late === 0);
  process.stderr.write('  following Hydra: at the limit (real time)\n');
  const l = await atTheLimit(jobs >= 100_000 ? 60 : 20);
  row('429s at ZHF_HYDRA_RPS=2 ZHF_HYDRA_BURST=7 against a limiter of 2/s burst 7', `${l.r429} in ${l.requests} requests (${l.s.toFixed(0)} s)`, '0', l.r429 === 0);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jobs = Number(process.argv[2] ?? 20_000);
  const rows = await followingHydra(jobs);
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows) + '\n');
  else for (const r of rows) process.stdout.write(`| ${r.figure} | ${r.measured} | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : '**missed**'} |\n`);
}
