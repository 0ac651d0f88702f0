import type { Database, Db } from '@zhf/db';
import {
  appendEval, evalBuildCount, firstEvalOfBuilds, markBackfilled, recordSyncOutcome, saveJobsetProbe, applyOutcomeChanges, countUnfinished, gatesWithoutConstituents, storeConstituents, ensureJobset, finishedAmong, unfinishedAmong, ingestedEvalIds, insertNewBuilds, InsertedJobs, markStatsStale, prependEval, refreshEvalStats,
  analyzeAfterLoad, openRunBuilds, touchBuilds, unfinishedBuilds, unknownBuildIds, upsertBuilds, type BuildChange, type BuildRecord, type EvalRecord, type JobsetRow,
} from '@zhf/db/queries';
import { HydraNotFound, type HydraClient } from './hydra/client.ts';
import { evalRevision, toBuildRecord, type HydraEval } from './hydra/types.ts';
import { silentLogger, type Logger } from './log.ts';
import { recomputeBreakages } from './verdicts/recompute.ts';

export interface CollectorOptions {
  backfillEvals: number;
  /** Request rate, to weigh single requests against one bulk download. */
  rps: number;
  /** Longest time single requests may take before a bulk download is preferred. */
  maxSingleSeconds?: number;
  /** Single /build requests in flight at once (the client's token bucket still sets the rate). */
  singleConcurrency?: number;
  /** Most single /build polls of unfinished builds per jobset and run. */
  maxBuildPolls?: number;
  /** Least time between two bulk polls of the same eval's builds. */
  bulkPollIntervalMs?: number;
  /** How many queued builds to read from /api/queue to notice restarts (0: never). */
  queueProbe?: number;
  /** Force how unknown builds are fetched (tests and benchmarks); `auto` weighs both. */
  fetchMode?: 'auto' | 'bulk' | 'single';
}

export interface SyncReport {
  jobset: string;
  skipped?: 'locked';
  newEvals: number[];
  buildsFetched: number;
  buildsUpdated: number;
  breakagesOpened: number;
  breakagesClosed: number;
  error?: string;
  ms: number;
  /**
   * Of `ms`, the time spent fetching unknown builds one `/build/:id` request at a time. Against
   * hydra.nixos.org this is mostly the rate limit's waiting (5k builds at 1 request/s: 83 min).
   */
  fetchMs: number;
}

/** A report with nothing done yet, for `ref`. */
function emptyReport(ref: string): SyncReport {
  return { jobset: ref, newEvals: [], buildsFetched: 0, buildsUpdated: 0, breakagesOpened: 0, breakagesClosed: 0, ms: 0, fetchMs: 0 };
}

export interface Progress {
  (done: number, total: number, label: string): void;
}

/**
 * Policy for fetching an eval's unknown builds: one bulk `/eval/:id/builds` download, or one
 * `/build/:id` request each. Hydra serves the bulk list with ~5 queries per member build
 * (HYDRA-API.md), so it costs the server in proportion to the whole eval, while single
 * requests cost in proportion to what we lack (plus a request's overhead, ~3 builds' worth).
 * Singles are kinder to Hydra until we lack a third of the eval; past that, or when singles
 * would take longer than `maxSingleSeconds` at our request rate, one bulk download wins.
 * Steady state (2% churn, ~5k of 250k builds at 1 req/s: ~83 min, well inside the ~6 h
 * between nixpkgs evals) goes single; a first ingest or a mass rebuild goes bulk.
 */
export function chooseFetchMode(unknown: number, evalSize: number, rps: number, maxSingleSeconds = 7200): 'bulk' | 'single' {
  if (unknown <= 50) return 'single';
  return unknown * 3 > evalSize || unknown / rps > maxSingleSeconds ? 'bulk' : 'single';
}

export class Collector {
  private log: Logger;
  private lastBulkPoll = new Map<string, number>();
  /** One /api/jobsets answer per project and pass over the jobsets. */
  private probeCache = new Map<string, Promise<Map<string, string> | null>>();
  private inPass = false;

  constructor(private database: Database, private client: HydraClient, private opts: CollectorOptions, logger?: Logger) {
    this.log = logger ?? silentLogger;
  }

  private get db(): Db {
    return this.database.db;
  }

  /**
   * One pass over the jobsets; a failing jobset does not stop the others. New evals of every
   * jobset come first, then the slower polling of unfinished builds, so a fresh dashboard
   * fills up before anything waits on hundreds of polls.
   */
  async syncAll(refs: string[], signal?: AbortSignal): Promise<SyncReport[]> {
    this.probeCache.clear();
    this.inPass = true;
    try {
      return await this.pass(refs, signal);
    } finally {
      this.inPass = false;
    }
  }

  private async pass(refs: string[], signal?: AbortSignal): Promise<SyncReport[]> {
    // A shutdown aborts the request in flight too; the eval in hand then rolls back untouched.
    this.client.abortSignal = signal;
    const out: SyncReport[] = [];
    for (const ref of refs) {
      if (signal?.aborted) break;
      out.push(await this.syncJobset(ref, signal, 'evals'));
    }
    for (const report of out) {
      if (signal?.aborted) break;
      if (report.skipped || report.error) continue;
      const polled = await this.syncJobset(report.jobset, signal, 'builds');
      report.buildsUpdated += polled.buildsUpdated;
      report.breakagesOpened += polled.breakagesOpened;
      report.breakagesClosed += polled.breakagesClosed;
      report.error = polled.error;
      report.ms += polled.ms;
      report.fetchMs += polled.fetchMs;
    }
    return out;
  }

  /** Ingests new evals (`evals`), polls unfinished builds (`builds`), or both, holding the jobset's lock. */
  async syncJobset(ref: string, signal?: AbortSignal, phase: 'evals' | 'builds' | 'all' = 'all'): Promise<SyncReport> {
    const started = Date.now();
    const report = emptyReport(ref);
    const [project, name] = splitRef(ref);
    if (!this.inPass) this.probeCache.clear();
    const locked = await this.database.tryWithLock(`zhf:ingest:${ref}`, async () => {
      const js = await ensureJobset(this.db, project, name);
      try {
        if (phase !== 'builds') await this.discoverAndIngest(js, report, signal);
        if (phase !== 'evals' && !signal?.aborted) await this.pollUnfinished(js, report);
        // New evals are what a sync is for: once they are in, the jobset counts as synced.
        await recordSyncOutcome(this.db, js.id, { error: null, ms: Date.now() - started });
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
        this.log.error('sync failed', { jobset: ref, phase, reason: report.error });
        await recordSyncOutcome(this.db, js.id, { error: report.error, ms: Date.now() - started });
      }
      return true;
    });
    if (locked === null) {
      report.skipped = 'locked';
      this.log.info('another collector is ingesting this jobset; skipped', { jobset: ref });
    }
    report.ms = Date.now() - started;
    return report;
  }

  /** Fingerprints of a project's jobsets from the cheap /api/jobsets listing (null when unavailable). */
  private probe(project: string): Promise<Map<string, string> | null> {
    let p = this.probeCache.get(project);
    if (!p) {
      p = this.client.jobsetSummaries(project).then(
        (list) => new Map(list.map((j) => [j.name, `${j.lastcheckedtime}:${j.starttime}:${j.nrtotal}`])),
        (err) => {
          this.log.warn('jobset probe failed; paging evals instead', { project, reason: String(err?.message ?? err) });
          return null;
        },
      );
      this.probeCache.set(project, p);
    }
    return p;
  }

  private async discoverAndIngest(js: JobsetRow, report: SyncReport, signal?: AbortSignal): Promise<void> {
    const ref = `${js.project}/${js.name}`;
    const known = await ingestedEvalIds(this.db, js.id);
    const fingerprint = (await this.probe(js.project))?.get(js.name) ?? null;
    if (known.length > 0 && fingerprint !== null && fingerprint === js.probe) {
      this.log.debug('no change since the last probe', { jobset: ref });
      return;
    }
    const newest = known.length ? known[known.length - 1]! : null;
    const wanted = newest === null ? this.opts.backfillEvals : Number.POSITIVE_INFINITY;
    const found = new Map<number, HydraEval>();
    let reachedKnown = false;
    for (let page = 1; ; page++) {
      // New evals are taken as the page streams in. Reading stops at the first known eval, or once
      // enough new ones are in hand: the rest of the page is megabytes of build arrays we already
      // hold or do not want. (A retried page hands the same evals again: keyed by id.)
      const res = await this.client.evalsPage(js.project, js.name, page, (e) => {
        if (newest !== null && e.id <= newest) return (reachedKnown = true);
        if (!found.has(e.id)) found.set(e.id, e);
        return found.size >= wanted;
      });
      if (reachedKnown || res.stopped || !res.next || res.evals.length === 0) break;
    }
    const fresh = [...found.values()].sort((a, b) => a.id - b.id);
    this.log.info('evals discovered', { jobset: ref, new: fresh.length, newestKnown: newest });
    let prev = newest;
    for (const e of fresh) {
      if (signal?.aborted) return;
      await this.ingestEval(js, e, prev, 'append', report, newest === null);
      prev = e.id;
    }
    if (prev !== null && !signal?.aborted) await this.readGates(js, prev);
    // Only remember the probe once everything it announced is in: a failure retries next run.
    if (fingerprint !== null) await saveJobsetProbe(this.db, js.id, fingerprint);
    if (newest === null && fresh.length) await markBackfilled(this.db, js.id);
  }

  /**
   * Reads the constituents of the newest eval's channel gates (`tested`, `unstable`) once per
   * gate build: one small request each, so the dashboard can say what blocks the channel.
   */
  private async readGates(js: JobsetRow, evalId: number): Promise<void> {
    for (const gate of await gatesWithoutConstituents(this.db, js.id, evalId)) {
      try {
        const builds = await this.client.constituents(gate);
        await storeConstituents(this.db, gate, builds.map((b) => ({ id: b.id, job: b.job })));
      } catch (err) {
        if (!(err instanceof HydraNotFound)) throw err;
        this.log.warn('gate build has no constituents on Hydra', { jobset: `${js.project}/${js.name}`, build: gate });
      }
    }
  }

  /**
   * Fetches what the eval needs, then makes it visible in one transaction (all or nothing).
   * `catchUp` (first sync, backfill): baselines are a one-time cost where time to a useful
   * dashboard matters, so any real amount of unknown builds goes bulk (minutes, not hours).
   */
  private async ingestEval(js: JobsetRow, e: HydraEval, neighbour: number | null, mode: 'append' | 'prepend', report: SyncReport, catchUp = false): Promise<void> {
    const t0 = Date.now();
    const phases: Record<string, number> = {};
    // Logged as `<phase>Ms` next to the eval's totals.
    const lap = (name: string, since: number) => (phases[`${name}Ms`] = Date.now() - since);
    // Builds of the newest eval's runs are stored: only the rest can be unknown. We hold the
    // jobset's ingest lock, so the open runs stay as read until the eval is appended.
    const open = await openRunBuilds(this.db, js.id);
    const unknown = await unknownBuildIds(this.db, e.builds.filter((id) => !open.has(id)));
    lap('lookup', t0);
    const forced = this.opts.fetchMode && this.opts.fetchMode !== 'auto' ? this.opts.fetchMode : null;
    const fetchMode = unknown.length === 0 ? 'single'
      : (forced ?? (catchUp && unknown.length > 50 ? 'bulk' : chooseFetchMode(unknown.length, e.builds.length, this.opts.rps, this.opts.maxSingleSeconds)));
    // Singles are fetched before the transaction (the time is logged as fetchMs: against Hydra,
    // mostly the rate limit's waiting); a bulk download streams into it chunk by chunk.
    let t = Date.now();
    const prefetched = fetchMode === 'single' ? await this.fetchSingles(unknown) : null;
    if (prefetched) report.fetchMs += lap('fetch', t);
    const { revision } = evalRevision(e, js.inputName);
    const rec: EvalRecord = {
      id: e.id, revision, timestamp: e.timestamp, checkoutTime: e.checkouttime, evalTime: e.evaltime, flake: e.flake,
      inputs: e.jobsetevalinputs, buildIds: e.builds,
    };
    let fetched = 0;
    await this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      t = Date.now();
      const changed: BuildChange[] = [];
      if (prefetched) {
        // Unknown before the transaction, under the jobset's lock: new rows, copied in.
        fetched = await insertNewBuilds(tx, js.id, prefetched);
      } else {
        fetched = await this.streamBuildsInto(tx, js.id, e, unknown, changed);
      }
      // Every eval a changed build belongs to keeps an exact outcome histogram.
      await applyOutcomeChanges(tx, changed);
      await analyzeAfterLoad(tx, 'builds, jobs', fetched);
      lap('store', t);
      t = Date.now();
      const membership = mode === 'append' || neighbour === null
        ? await appendEval(tx, js.id, rec, neighbour, open)
        : await prependEval(tx, js.id, rec, neighbour);
      lap('membership', t);
      // Known builds whose state changed (seen in a bulk download) reach back to older evals.
      const stateChanged = changed.filter((c) => !c.inserted);
      if (stateChanged.length) await this.markStaleFor(tx, js.id, stateChanged.map((c) => c.id));
      if (mode === 'append') {
        t = Date.now();
        const jobIds = membership.jobIds === 'all' ? 'all' : [...new Set([...membership.jobIds, ...stateChanged.map((c) => c.jobId)])];
        const b = await recomputeBreakages(tx, js.id, jobIds);
        report.breakagesOpened += b.opened;
        report.breakagesClosed += b.closed;
        lap('breakages', t);
        t = Date.now();
        await refreshEvalStats(tx, js.id, [e.id]);
        if (stateChanged.length) await refreshEvalStats(tx, js.id);
        lap('stats', t);
      }
      report.buildsUpdated += stateChanged.length;
    });
    // Builds, jobs and runs were analyzed inside the transaction. Breakages are derived from what
    // was loaded, so a big load (counted in builds) rewrote them across the jobset too.
    await analyzeAfterLoad(this.db, 'breakages', fetched);
    report.newEvals.push(e.id);
    report.buildsFetched += fetched;
    this.log.info('eval ingested', { jobset: `${js.project}/${js.name}`, eval: e.id, builds: e.builds.length, fetched, mode: fetchMode, ms: Date.now() - t0, ...phases });
  }

  /**
   * Streams the eval's bulk build list into the open transaction, 7,500 builds at a time, one
   * chunk in the database while the next is parsed. Keeps what is new to us, and what the
   * list says about builds we hold as unfinished or that Hydra restarted. Builds new to us are
   * copied in (`insertNewBuilds`), the others upserted. Memory stays at a couple of chunks
   * whatever the eval's size. Returns how many builds were stored.
   */
  private async streamBuildsInto(tx: Db, jobsetId: number, e: HydraEval, unknown: number[], changed: BuildChange[]): Promise<number> {
    const wanted = new Set(unknown);
    // When no member is stored (a first ingest), none can be held unfinished: skip the 250k-id probe.
    const held = new Set(unknown.length === e.builds.length ? [] : await unfinishedAmong(tx, e.builds));
    const found = new Set<number>();
    let restarted = 0;
    let stored = 0;
    let fresh: BuildRecord[] = [];
    let chunk: BuildRecord[] = [];
    let inflight: Promise<void> = Promise.resolve();
    const insertedJobs = new InsertedJobs();
    const flush = () => {
      const [f, c] = [fresh, chunk];
      fresh = [];
      chunk = [];
      stored += f.length + c.length;
      inflight = inflight.then(async () => {
        await insertNewBuilds(tx, jobsetId, f, insertedJobs);
        // Inserted builds carry no old state: only changes of known ones matter downstream.
        for (const ch of await upsertBuilds(tx, jobsetId, c)) if (!ch.inserted) changed.push(ch);
      });
    };
    await this.client.streamEvalBuilds(e.id, async (batch) => {
      for (const b of batch) {
        if (wanted.has(b.id) && !found.has(b.id)) {
          found.add(b.id);
          fresh.push(b);
          continue;
        }
        // A build listed twice is upserted the second time, as before.
        if (!wanted.has(b.id) && !held.has(b.id)) {
          if (b.finished !== 0) continue;
          restarted++;
        }
        chunk.push(b);
      }
      // 7,500 (250k-build first ingest, parse in its worker): peak RSS ~340-390 MB; at 5k it was
      // ~310-350 MB but 10-15% slower in the same runs; 10k passed 400 MB.
      if (fresh.length + chunk.length >= 7_500) {
        await inflight;
        flush();
      }
    }, e.builds.length);
    await inflight;
    if (fresh.length + chunk.length) flush();
    await inflight;
    if (found.size < wanted.size) {
      const missing = unknown.find((id) => !found.has(id));
      throw new Error(`eval ${e.id}: bulk build list lacks ${wanted.size - found.size} member builds (e.g. ${missing})`);
    }
    if (restarted) this.log.info('restarted builds seen in a bulk download', { eval: e.id, builds: restarted });
    return stored;
  }

  /** `/build/:id` for each id, a few in flight at once; the client's token bucket keeps the rate. */
  private async fetchSingles(ids: number[]): Promise<BuildRecord[]> {
    const out: BuildRecord[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        out[i] = toBuildRecord(await this.client.build(ids[i]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.singleConcurrency ?? 4, ids.length) }, worker));
    return out;
  }

  private async markStaleFor(tx: Db, jobsetId: number, buildIds: number[]): Promise<void> {
    const first = await firstEvalOfBuilds(tx, buildIds);
    if (first !== null) await markStatsStale(tx, jobsetId, first);
  }

  /**
   * Re-polls unfinished builds until they finish: one bulk download of the eval holding most
   * of them when that is cheaper (at most every bulkPollIntervalMs), else single requests, oldest check first.
   * Builds that Hydra lists as queued but we hold as finished were restarted: they are polled too.
   */
  private async pollUnfinished(js: JobsetRow, report: SyncReport): Promise<void> {
    const ref = `${js.project}/${js.name}`;
    const records: BuildRecord[] = [];
    const polled: number[] = [];
    const pending = await countUnfinished(this.db, js.id);
    const newestEval = (await ingestedEvalIds(this.db, js.id)).at(-1);
    const bulkOk = Date.now() - (this.lastBulkPoll.get(ref) ?? 0) >= (this.opts.bulkPollIntervalMs ?? 2 * 3600_000);
    const size = pending > 0 && newestEval !== undefined && bulkOk ? await evalBuildCount(this.db, newestEval) : null;
    if (size !== null && chooseFetchMode(pending, size, this.opts.rps, this.opts.maxSingleSeconds) === 'bulk') {
      const targets = await unfinishedBuilds(this.db, js.id, 1_000_000);
      const byEval = new Map<number, number>();
      for (const t of targets) if (t.evalId !== null) byEval.set(t.evalId, (byEval.get(t.evalId) ?? 0) + 1);
      const evalId = [...byEval.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? newestEval;
      await this.client.streamEvalBuilds(evalId, (batch) => {
        for (const b of batch) records.push(b);
      }, size);
      this.lastBulkPoll.set(ref, Date.now());
    } else if (pending > 0) {
      for (const t of await unfinishedBuilds(this.db, js.id, this.opts.maxBuildPolls ?? 300)) {
        try {
          records.push(toBuildRecord(await this.client.build(t.id)));
        } catch (err) {
          if (!(err instanceof HydraNotFound)) throw err;
          this.log.warn('unfinished build vanished from Hydra', { jobset: ref, build: t.id });
        }
        polled.push(t.id);
      }
    }
    if ((this.opts.queueProbe ?? 1000) > 0) {
      try {
        const queued = (await this.client.queue(this.opts.queueProbe ?? 1000)).filter((q) => q.project === js.project && q.jobset === js.name);
        for (const id of await finishedAmong(this.db, queued.map((q) => q.id))) records.push(toBuildRecord(await this.client.build(id)));
      } catch (err) {
        if (!(err instanceof HydraNotFound)) this.log.warn('queue probe failed; restarts are noticed on the next bulk poll', { jobset: ref, reason: String(err) });
      }
    }
    if (!records.length && !polled.length) return;
    await this.applyBuildChanges(js, records, polled, report);
  }

  /** Stores new build states and re-derives what depends on them, in one transaction. */
  async applyBuildChanges(js: JobsetRow, records: BuildRecord[], polled: number[], report: SyncReport): Promise<void> {
    await this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      // Only builds we already hold: a bulk poll lists members of one eval, all stored.
      const changed = (await upsertBuilds(tx, js.id, records)).filter((c) => !c.inserted);
      await touchBuilds(tx, polled);
      if (!changed.length) return;
      await applyOutcomeChanges(tx, changed);
      await this.markStaleFor(tx, js.id, changed.map((c) => c.id));
      const b = await recomputeBreakages(tx, js.id, [...new Set(changed.map((c) => c.jobId))]);
      report.breakagesOpened += b.opened;
      report.breakagesClosed += b.closed;
      report.buildsUpdated += changed.length;
      await refreshEvalStats(tx, js.id);
    });
  }

  /** Ingests `count` evals older than the oldest one stored (newest of them first), reporting progress. */
  async backfill(ref: string, count: number, progress?: Progress): Promise<SyncReport> {
    const started = Date.now();
    const report = emptyReport(ref);
    const [project, name] = splitRef(ref);
    const res = await this.database.tryWithLock(`zhf:ingest:${ref}`, async () => {
      const js = await ensureJobset(this.db, project, name);
      const known = await ingestedEvalIds(this.db, js.id);
      const oldest = known[0] ?? null;
      const older: HydraEval[] = [];
      for (let page = 1; older.length < count; page++) {
        progress?.(0, count, `reading evals page ${page}`);
        const res = await this.client.evalsPage(project, name, page);
        for (const e of res.evals) if ((oldest === null || e.id < oldest) && older.length < count && !older.some((o) => o.id === e.id)) older.push(e);
        if (!res.next || res.evals.length === 0) break;
      }
      older.sort((a, b) => b.id - a.id);
      let neighbour = oldest;
      for (const [i, e] of older.entries()) {
        progress?.(i, older.length, `eval ${e.id}`);
        await this.ingestEval(js, e, neighbour, neighbour === null ? 'append' : 'prepend', report, true);
        neighbour = e.id;
      }
      if (older.length) {
        progress?.(older.length, older.length, 'deriving breakages');
        await this.db.transaction(async (txRaw) => {
          const tx = txRaw as unknown as Db;
          const b = await recomputeBreakages(tx, js.id, 'all');
          report.breakagesOpened += b.opened;
          report.breakagesClosed += b.closed;
          // The oldest eval changed, so every eval's baselines may have: recount them all.
          await markStatsStale(tx, js.id, 0);
          await refreshEvalStats(tx, js.id);
        });
      }
      progress?.(older.length, older.length, 'done');
      return true;
    });
    if (res === null) report.skipped = 'locked';
    report.ms = Date.now() - started;
    return report;
  }
}

export function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) throw new Error(`jobset must be project/jobset, got ${JSON.stringify(ref)}`);
  return [ref.slice(0, i), ref.slice(i + 1)];
}

