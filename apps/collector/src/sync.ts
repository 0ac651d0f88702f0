import type { Database, Db } from '@zhf/db';
import {
  appendEval, evalBuildCount, firstEvalOfBuilds, markBackfilled, recordSyncOutcome, saveJobsetProbe, applyOutcomeChanges, countUnfinished, gatesWithoutConstituents, storeConstituents, ensureJobset, finishedAmong, unfinishedAmong, ingestedEvalIds, insertNewBuilds, InsertedJobs, markStatsStale, prependEval, refreshEvalStats,
  analyzeAfterLoad, openRunBuilds, touchBuilds, unfinishedBuilds, unknownBuildIds, upsertBuilds, type BuildChange, type BuildRecord, type EvalRecord, type JobsetRow,
  applyShortStates, breakageBuildsToRecheck, markQueued, buildsSinceEach, buildsWantingDetails, heldUnfinishedBelow, heldUnfinishedIds, jobsLeftAt, jobsOfBuilds, markBulkFailed,
  newPlaceholders, openBreakageCount, rewriteMembers, stalePlaceholders, storeUnresolved, takeResolved, unresolvedIds, type ShortBuild,
  evalProgress,
} from '@zhf/db/queries';
import { HydraError, HydraFiltered, HydraNotFound, type HydraClient } from './hydra/client.ts';
import { evalRevision, toBuildRecord, type HydraEval, type HydraQueueItem, type HydraShortBuild } from './hydra/types.ts';
import { silentLogger, type Logger } from './log.ts';
import { resolveCauses, type CauseReport } from './causes/resolve.ts';
import { refreshMaintainers } from './maintainers/refresh.ts';
import { recomputeBreakages } from './verdicts/recompute.ts';
import { cheapestReach, pollCandidates, widenedNr, windowNr, type WindowSize } from './pure/latest-window.ts';

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
  /**
   * How unknown builds are fetched. `auto` (default): verdicts from the cheap sources
   * (`/eval/:id` ids, one `/api/latestbuilds` per sync, placeholders for awaiting jobs), full
   * records after at the polite budget; a first sync tries the bulk list once. `bulk` and
   * `single` force the earlier full-record paths (tests and the benchmark's "today").
   */
  fetchMode?: 'auto' | 'bulk' | 'single';
  /** The packages.json URL of a jobset (SPEC section 9), read after its new evals; null or absent: none. */
  packagesJsonUrl?: (ref: string) => string | null;
  /** Most full records (`/build/:id`) fetched per jobset and sync, off the path to verdicts. */
  maxDetailFetches?: number;
  /** Largest `nr` asked of `/api/latestbuilds` (one request; Hydra pays a query per row). */
  maxLatestBuilds?: number;
  /**
   * Least `nr` asked of `/api/latestbuilds` every sync, even with nothing awaited: the newest
   * builds' state changes (restarts, re-points of recent builds) are seen within one sync.
   */
  minLatestBuilds?: number;
  /** Syncs per day (from the cron): spreads the daily re-check of open breakages over them. */
  syncsPerDay?: number;
  /** An open breakage's failing build is re-read once it was last read this long ago (default 20 h). */
  recheckAfterHours?: number;
  /**
   * Most requests per pass spent on root causes (SPEC section 8): one HTML build page per
   * dependency failure shown, one `/build/:id` per cause outside the tracked jobs (default 300).
   */
  maxCauseFetches?: number;
  /** The clock for choosing whose causes to read first (this week's, claimed); tests move it. */
  now?: () => Date;
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
  /** Unresolved member builds resolved (job named) in this sync. */
  buildsResolved?: number;
  /** Full records fetched after the verdicts, and open breakages' builds re-checked. */
  detailsFetched?: number;
  rechecked?: number;
  /**
   * The newest eval's members stored with their full record, after the pass (the dashboard's
   * "N of M builds known"); set by the polling phase.
   */
  known?: { evalId: number; known: number; total: number };
}

/** A jobset as `/api/jobsets` lists it: what says it changed, and its current eval's unfinished builds. */
interface JobsetProbe {
  fingerprint: string;
  scheduled: number;
}

/** One `/api/latestbuilds` window: the `nr` to ask first, the id it must reach, what sizes it. */
interface LatestPlan {
  nr: number;
  reach: number;
  size: WindowSize;
  /** Share of the pending members assumed finished (1 without the probe). */
  share: number;
  /** Unresolved members and the new eval's unknown ones. */
  pending: number[];
}

/** The lowest id of a window's rows (Infinity when empty). */
function lowestId(rows: { id: number }[]): number {
  return rows.reduce((m, r) => Math.min(m, r.id), Infinity);
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
  private probeCache = new Map<string, Promise<Map<string, JobsetProbe> | null>>();
  private inPass = false;
  /** Where the pass in hand reports its progress (`zhf sync --once` draws it). */
  private progress?: Progress;

  constructor(private database: Database, private client: HydraClient, private opts: CollectorOptions, logger?: Logger) {
    this.log = logger ?? silentLogger;
  }

  private get db(): Db {
    return this.database.db;
  }

  private get lean(): boolean {
    return (this.opts.fetchMode ?? 'auto') === 'auto';
  }

  /** The instance's queue (`/api/queue`), read once per pass for every jobset. */
  private queueCache: Promise<HydraQueueItem[]> | null = null;

  /** The first `queueProbe` builds of Hydra's instance-wide queue; one request per pass. */
  private queueProbe(): Promise<HydraQueueItem[]> {
    if (!this.queueCache || !this.inPass) {
      this.queueCache = this.client.queue(this.opts.queueProbe ?? 1000);
      // A failed probe is not kept: the next jobset (or pass) asks again.
      this.queueCache.catch(() => (this.queueCache = null));
    }
    return this.queueCache;
  }

  /** Newest finished builds per jobset, read once per pass (`/api/latestbuilds`). */
  private latestCache = new Map<string, { nr: number; rows: HydraShortBuild[] }>();

  /**
   * One pass over the jobsets; a failing jobset does not stop the others. New evals of every
   * jobset come first, then the slower polling of unfinished builds, so a fresh dashboard
   * fills up before anything waits on hundreds of polls.
   */
  async syncAll(refs: string[], signal?: AbortSignal, progress?: Progress): Promise<SyncReport[]> {
    this.probeCache.clear();
    this.latestCache.clear();
    this.queueCache = null;
    this.inPass = true;
    this.progress = progress;
    try {
      return await this.pass(refs, signal);
    } finally {
      this.inPass = false;
      this.progress = undefined;
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
      report.buildsResolved = (report.buildsResolved ?? 0) + (polled.buildsResolved ?? 0);
      report.detailsFetched = polled.detailsFetched;
      report.rechecked = polled.rechecked;
      report.known = polled.known;
    }
    if (!signal?.aborted && out.some((r) => !r.skipped && !r.error)) await this.resolveCauses(signal);
    return out;
  }

  /**
   * Reads the causes of the dependency failures shown, across jobsets, within the budget; a
   * failure here never fails the sync (the next pass continues where this one stopped).
   */
  async resolveCauses(signal?: AbortSignal): Promise<CauseReport | null> {
    const budget = this.opts.maxCauseFetches ?? 300;
    if (budget <= 0) return null;
    const t0 = Date.now();
    const r = await this.database.tryWithLock('zhf:causes', async () => {
      try {
        return await resolveCauses(this.db, this.client, { now: this.opts.now?.() ?? new Date(), budget, log: this.log, signal });
      } catch (err) {
        if (!(err instanceof HydraFiltered)) this.log.warn('root causes not read this pass', { reason: err instanceof Error ? err.message : String(err) });
        return null;
      }
    });
    if (r && r.pages + r.records > 0) this.log.info('root causes read', { pages: r.pages, records: r.records, causes: r.causes, rooted: r.rooted, failed: r.failed, ms: Date.now() - t0 });
    return r ?? null;
  }

  /** Ingests new evals (`evals`), polls unfinished builds (`builds`), or both, holding the jobset's lock. */
  async syncJobset(ref: string, signal?: AbortSignal, phase: 'evals' | 'builds' | 'all' = 'all'): Promise<SyncReport> {
    const started = Date.now();
    const report = emptyReport(ref);
    const [project, name] = splitRef(ref);
    if (!this.inPass) {
      this.probeCache.clear();
      this.latestCache.clear();
    }
    const locked = await this.database.tryWithLock(`zhf:ingest:${ref}`, async () => {
      const js = await ensureJobset(this.db, project, name);
      try {
        if (phase !== 'builds') await this.discoverAndIngest(js, report, signal);
        if (phase !== 'evals' && !signal?.aborted) {
          if (this.lean) await this.pollLean(js, report, signal);
          else await this.pollUnfinished(js, report);
        }
        // New evals are what a sync is for: once they are in, the jobset counts as synced.
        await recordSyncOutcome(this.db, js.id, { error: null, ms: Date.now() - started });
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
        // A filtered answer was logged once by the client; its message is the jobset's health status.
        if (err instanceof HydraFiltered) report.error = err.message.replace(/ \(url=.*$/, '');
        else this.log.error('sync failed', { jobset: ref, phase, reason: report.error });
        await recordSyncOutcome(this.db, js.id, { error: report.error, ms: Date.now() - started });
      }
      return true;
    });
    if (locked === null) {
      report.skipped = 'locked';
      this.log.info('another collector is ingesting this jobset; skipped', { jobset: ref });
    } else if (phase !== 'builds' && !signal?.aborted) await this.refreshMaintainers(ref, project, name);
    report.ms = Date.now() - started;
    return report;
  }

  /** Reads the jobset's packages.json when the channel moved; a failure is recorded and never fails the sync. */
  private async refreshMaintainers(ref: string, project: string, name: string): Promise<void> {
    const url = this.opts.packagesJsonUrl?.(ref) ?? null;
    if (url === null) return;
    const lock = await this.database.tryWithLock(`zhf:maintainers:${ref}`, async () => {
      const js = await ensureJobset(this.db, project, name);
      return refreshMaintainers(this.db, this.client, { jobsetId: js.id, ref, url, log: this.log });
    });
    if (lock === null) this.log.info('another collector is reading packages.json; skipped', { jobset: ref });
  }

  /** Fingerprints of a project's jobsets from the cheap /api/jobsets listing (null when unavailable). */
  private probe(project: string): Promise<Map<string, JobsetProbe> | null> {
    let p = this.probeCache.get(project);
    if (!p) {
      p = this.client.jobsetSummaries(project).then(
        (list) => new Map(list.map((j) => [j.name, { fingerprint: `${j.lastcheckedtime}:${j.starttime}:${j.nrtotal}`, scheduled: j.nrscheduled }])),
        (err) => {
          // A filtered answer was logged once by the client; the evals page then fails the same way.
          // Unreachable (no HTTP status): the evals page fails next and the failed sync logs it once.
          if (!(err instanceof HydraFiltered)) {
            const level = err instanceof HydraError && err.status === null ? 'debug' : 'warn';
            this.log[level]('jobset probe failed; paging evals instead', { project, reason: String(err?.message ?? err) });
          }
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
    const fingerprint = (await this.probe(js.project))?.get(js.name)?.fingerprint ?? null;
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
    for (const [i, e] of fresh.entries()) {
      if (signal?.aborted) return;
      this.progress?.(i, fresh.length, `${ref}: eval ${e.id}`);
      await this.ingestEval(js, e, prev, 'append', report, newest === null);
      prev = e.id;
    }
    if (fresh.length) this.progress?.(fresh.length, fresh.length, `${ref}: evals in`);
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
    if (this.lean && mode === 'append' && unknown.length > 0) {
      // A first sync tries the bulk list once (full records in one request); when it fails or
      // is cut, the eval goes the cheap way like any other, and the bulk list is not asked again.
      let bulkFailed = false;
      if (catchUp && unknown.length > 50) {
        try {
          await this.ingestEvalFull(js, e, neighbour, mode, report, open, unknown, 'bulk', t0, phases, 1);
          return;
        } catch (err) {
          if (err instanceof HydraFiltered || this.client.abortSignal?.aborted) throw err;
          bulkFailed = true;
          this.log.warn('bulk build list failed; ingesting from the cheap sources instead', { jobset: `${js.project}/${js.name}`, eval: e.id, reason: String((err as Error)?.message ?? err) });
        }
      }
      await this.ingestEvalLean(js, e, neighbour, report, open, unknown, t0, phases);
      if (bulkFailed) await markBulkFailed(this.db, e.id);
      return;
    }
    const forced = this.opts.fetchMode && this.opts.fetchMode !== 'auto' ? this.opts.fetchMode : null;
    const fetchMode = unknown.length === 0 ? 'single'
      : (forced ?? (catchUp && unknown.length > 50 ? 'bulk' : chooseFetchMode(unknown.length, e.builds.length, this.opts.rps, this.opts.maxSingleSeconds)));
    await this.ingestEvalFull(js, e, neighbour, mode, report, open, unknown, fetchMode, t0, phases);
  }

  /**
   * After an eval is appended, inside its transaction: the breakages of the jobs it changed, its
   * cached counts, and (`olderChanged`: builds of older evals moved too) every stale eval's.
   */
  private async deriveAppended(tx: Db, js: JobsetRow, evalId: number, jobIds: number[] | 'all', olderChanged: boolean, report: SyncReport, phases: Record<string, number>): Promise<void> {
    let t = Date.now();
    const b = await recomputeBreakages(tx, js.id, jobIds);
    report.breakagesOpened += b.opened;
    report.breakagesClosed += b.closed;
    phases.breakagesMs = Date.now() - t;
    t = Date.now();
    await refreshEvalStats(tx, js.id, [evalId]);
    if (olderChanged) await refreshEvalStats(tx, js.id);
    phases.statsMs = Date.now() - t;
  }

  /** The eval with full records of every unknown build (bulk list or singles), in one transaction. */
  private async ingestEvalFull(
    js: JobsetRow, e: HydraEval, neighbour: number | null, mode: 'append' | 'prepend', report: SyncReport,
    open: Set<number>, unknown: number[], fetchMode: 'bulk' | 'single', t0: number, phases: Record<string, number>,
    /** Attempts at the bulk list (a first sync asks it once: a 504 or cut takes the cheap path). */
    bulkAttempts?: number,
  ): Promise<void> {
    const lap = (name: string, since: number) => (phases[`${name}Ms`] = Date.now() - since);
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
        fetched = await this.streamBuildsInto(tx, js.id, e, unknown, changed, bulkAttempts);
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
        const jobIds = membership.jobIds === 'all' ? 'all' : [...new Set([...membership.jobIds, ...stateChanged.map((c) => c.jobId)])];
        await this.deriveAppended(tx, js, e.id, jobIds, stateChanged.length > 0, report, phases);
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
  private async streamBuildsInto(tx: Db, jobsetId: number, e: HydraEval, unknown: number[], changed: BuildChange[], attempts?: number): Promise<number> {
    const wanted = new Set(unknown);
    // When no member is stored (a first ingest), none can be held unfinished: skip the 250k-id probe.
    const held = new Set(unknown.length === e.builds.length ? [] : await unfinishedAmong(tx, e.builds));
    const found = new Set<number>();
    // Known builds stored from the list; a retried download hands them again (counted once).
    const updatedIds = new Set<number>();
    let restarted = 0;
    let fresh: BuildRecord[] = [];
    let chunk: BuildRecord[] = [];
    let inflight: Promise<void> = Promise.resolve();
    const insertedJobs = new InsertedJobs();
    const flush = () => {
      const [f, c] = [fresh, chunk];
      fresh = [];
      chunk = [];
      for (const b of c) if (!found.has(b.id)) updatedIds.add(b.id);
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
    }, e.builds.length, attempts);
    await inflight;
    if (fresh.length + chunk.length) flush();
    await inflight;
    if (found.size < wanted.size) {
      const missing = unknown.find((id) => !found.has(id));
      throw new Error(`eval ${e.id}: bulk build list lacks ${wanted.size - found.size} member builds (e.g. ${missing})`);
    }
    if (restarted) this.log.info('restarted builds seen in a bulk download', { eval: e.id, builds: restarted });
    return found.size + updatedIds.size;
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
        const queued = (await this.queueProbe()).filter((q) => q.project === js.project && q.jobset === js.name);
        for (const id of await finishedAmong(this.db, queued.map((q) => q.id))) records.push(toBuildRecord(await this.client.build(id)));
      } catch (err) {
        if (!(err instanceof HydraNotFound)) this.log.warn('queue probe failed; restarts are noticed on the next bulk poll', { jobset: ref, reason: String(err) });
      }
    }
    if (!records.length && !polled.length) return;
    await this.applyBuildChanges(js, records, polled, report);
  }

  /**
   * The `/api/latestbuilds` window. It must reach the builds in `mustCover` (a new eval's unknown
   * members: what its verdicts wait on). Below them, older unresolved members and builds we hold
   * unfinished are covered only while reaching further costs Hydra less than asking them one by
   * one (`pure/latest-window.ts`: a row ~1 query, a `/build/:id` ~14), never leaving more than
   * `maxBuildPolls` to ask; `pollLean` asks those below the window. Hydra lists finished builds
   * only, so a window's rows are the stored builds at or above its reach plus the share of the
   * pending members there that has finished: the jobset's `nrscheduled` tells how many have not.
   */
  private async planLatestBuilds(js: JobsetRow, unresolved: number[], mustCover: number[] = []): Promise<LatestPlan> {
    const budget = this.opts.maxBuildPolls ?? 300;
    const mustFloor = mustCover.reduce((m, id) => Math.min(m, id), Infinity);
    // The oldest held builds (a prefix of all of them when more than the budget are held).
    const held = await heldUnfinishedIds(this.db, js.id, budget + 1);
    const heldCut = held.length > budget ? held[held.length - 1]! : Infinity;
    // Everything the window may cover, oldest first: complete up to heldCut.
    const optional = [...new Set([...held, ...unresolved])].filter((id) => id < mustFloor && id <= heldCut).sort((a, b) => a - b);
    // Reaching only mustFloor (polling every optional one) is possible when no held build below it is unlisted.
    const complete = heldCut === Infinity || heldCut >= mustFloor;
    const candidates = complete ? pollCandidates(optional.length) : pollCandidates(Math.min(budget, optional.length - 1));
    const reachOf = (i: number) => (i < optional.length ? optional[i]! : mustFloor);
    const finite = [...new Set(candidates.map(reachOf).filter((r) => r !== Infinity))];
    const stored = new Map<number, { finished: number; unfinished: number }>();
    (await buildsSinceEach(this.db, js.id, finite)).forEach((n, k) => stored.set(finite[k]!, n));
    const heldAll = held.length > budget ? await countUnfinished(this.db, js.id) : held.length;
    const share = await this.finishedShare(js, unresolved.length + mustCover.length, heldAll);
    // Builds held unfinished take a row only once finished: they count with the pending share.
    const sizeOf = (i: number): WindowSize => {
      const reach = reachOf(i);
      const min = this.opts.minLatestBuilds ?? 1000, max = this.opts.maxLatestBuilds ?? 300_000;
      if (reach === Infinity) return { stored: 0, pending: mustCover.length, min, max };
      const s = stored.get(reach)!;
      return { stored: s.finished, pending: s.unfinished + unresolved.filter((id) => id >= reach).length + mustCover.length, min, max };
    };
    const options = candidates.map((i) => ({ rows: windowNr(sizeOf(i), share), polls: i }));
    const best = Math.max(0, cheapestReach(options, budget));
    const size = sizeOf(candidates[best]!);
    this.log.debug('latestbuilds window planned', { jobset: `${js.project}/${js.name}`, share: Number(share.toFixed(3)), held: heldAll, nr: options[best]!.rows, polls: candidates[best] });
    return { nr: options[best]!.rows, reach: reachOf(candidates[best]!), size, share, pending: [...unresolved, ...mustCover] };
  }

  /**
   * The share of pending builds likely finished by now: the jobset's current eval has
   * `nrscheduled` unfinished builds, of which `held` we hold unfinished already; the rest are
   * taken to be among the `pending` members. Without the probe: all (the window then is as wide
   * as if every pending build had finished).
   */
  private async finishedShare(js: JobsetRow, pending: number, held: number): Promise<number> {
    const scheduled = (await this.probe(js.project))?.get(js.name)?.scheduled;
    if (scheduled === undefined || pending === 0) return 1;
    const unfinishedPending = Math.min(pending, Math.max(0, scheduled - held));
    return Math.min(1, (pending - unfinishedPending) / pending + 0.05);
  }

  /**
   * The jobset's newest finished builds, read once per pass unless a wider window is needed. An
   * answer that fills `nr` yet stops above the plan's reach is asked again, wider (`widenedNr`),
   * up to the plan's full size; what lies below the last answer is then polled singly.
   */
  private async latestBuilds(js: JobsetRow, plan: LatestPlan): Promise<{ rows: HydraShortBuild[]; nr: number }> {
    const ref = `${js.project}/${js.name}`;
    const cached = this.latestCache.get(ref);
    if (cached && cached.nr >= plan.nr && (cached.rows.length < cached.nr || lowestId(cached.rows) <= plan.reach)) return cached;
    const full = windowNr(plan.size, 1);
    let nr = plan.nr;
    for (;;) {
      const rows = (await this.client.latestBuilds(js.project, js.name, nr))
        .filter((r) => r.project === js.project && r.jobset === js.name && r.finished === 1);
      const lowest = lowestId(rows);
      if (rows.length < nr || lowest <= plan.reach || nr >= full) {
        const out = { nr, rows };
        this.latestCache.set(ref, out);
        return out;
      }
      const above = plan.pending.filter((id) => id >= lowest);
      const aboveSet = new Set(above);
      const named = rows.filter((r) => aboveSet.has(r.id)).length;
      const next = widenedNr(plan.size, nr, named, above.length, plan.share);
      this.log.debug('latestbuilds window widened', { jobset: ref, nr, next, named, above: above.length });
      nr = next;
    }
  }

  /**
   * Ingests an eval from its member ids alone: the builds `/api/latestbuilds` names are stored in
   * their short shape; the rest stay unresolved members, and each job whose previous build left
   * the eval awaits its new build (a placeholder: pending). One transaction, all or nothing.
   */
  private async ingestEvalLean(js: JobsetRow, e: HydraEval, neighbour: number | null, report: SyncReport, open: Set<number>, unknown: number[], t0: number, phases: Record<string, number>): Promise<void> {
    const ref = `${js.project}/${js.name}`;
    const lap = (name: string, since: number) => (phases[`${name}Ms`] = Date.now() - since);
    let t = Date.now();
    const stillUnresolved = await unresolvedIds(this.db, js.id);
    const unknownSet = new Set(unknown);
    // Members already unresolved in earlier evals (still queued) need not be in this window: they are asked singly when cheaper.
    const earlierSet = new Set(stillUnresolved);
    const plan = await this.planLatestBuilds(js, stillUnresolved, unknown.filter((id) => !earlierSet.has(id)));
    const { rows } = await this.latestBuilds(js, plan);
    lap('latest', t);
    phases.latestRows = rows.length;
    const short = rows.filter((r) => unknownSet.has(r.id)).map(shortToRecord);
    const named = new Set(short.map((b) => b.id));
    const unresolved = unknown.filter((id) => !named.has(id));
    const { revision } = evalRevision(e, js.inputName);
    const rec: EvalRecord = {
      id: e.id, revision, timestamp: e.timestamp, checkoutTime: e.checkouttime, evalTime: e.evaltime, flake: e.flake,
      inputs: e.jobsetevalinputs, buildIds: e.builds,
    };
    await this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      t = Date.now();
      await insertNewBuilds(tx, js.id, short);
      await analyzeAfterLoad(tx, 'builds, jobs', short.length);
      lap('store', t);
      t = Date.now();
      // While members are unresolved, an awaiting job's placeholder stays: it is not "gone".
      const openForDiff = unresolved.length ? new Set([...open].filter((id) => id > 0)) : open;
      const membership = await appendEval(tx, js.id, rec, neighbour, openForDiff);
      lap('membership', t);
      t = Date.now();
      let awaiting: number[] = [];
      if (unresolved.length && neighbour !== null) {
        awaiting = await jobsLeftAt(tx, js.id, neighbour, e.id);
        const ph = await newPlaceholders(tx, awaiting);
        await rewriteMembers(tx, js.id, awaiting.map((jobId) => ({ jobId, evalId: e.id, buildId: ph.get(jobId)! })));
      }
      await storeUnresolved(tx, js.id, e.id, unresolved);
      lap('awaiting', t);
      t = Date.now();
      // Builds named now that earlier evals listed unresolved take their place there too.
      const earlier = short.length ? await this.settle(tx, js, report, [], short.map((b) => b.id), false) : [];
      lap('settle', t);
      const jobIds = membership.jobIds === 'all' ? 'all' : [...new Set([...membership.jobIds, ...awaiting, ...earlier])];
      await this.deriveAppended(tx, js, e.id, jobIds, true, report, phases);
    });
    t = Date.now();
    await analyzeAfterLoad(this.db, 'breakages', short.length);
    lap('analyze', t);
    report.newEvals.push(e.id);
    report.buildsFetched += short.length;
    this.log.info('eval ingested', { jobset: ref, eval: e.id, builds: e.builds.length, named: short.length, unresolved: unresolved.length, mode: 'lean', ms: Date.now() - t0, ...phases });
  }

  /**
   * Keeps verdicts current from the cheap sources, then fetches full records at the budget:
   * 1. one `/api/latestbuilds` names unresolved members (job, status) and finished states of
   *    builds held unfinished; held builds older than its window are polled one by one;
   * 2. the queue probe, as before;
   * 3. the daily re-check of open breakages' failing builds (restarts, re-points);
   * 4. full records (`/build/:id`) of short and unresolved builds, failures first.
   */
  private async pollLean(js: JobsetRow, report: SyncReport, signal?: AbortSignal): Promise<void> {
    const ref = `${js.project}/${js.name}`;
    const unresolved = await unresolvedIds(this.db, js.id);
    const plan = await this.planLatestBuilds(js, unresolved);
    if (plan.nr > 0) {
      const { rows, nr } = await this.latestBuilds(js, plan);
      const pendingSet = new Set(unresolved);
      const named = rows.filter((r) => pendingSet.has(r.id));
      const states = rows.filter((r) => !pendingSet.has(r.id)).map(shortToState);
      const fresh = new Set(await unknownBuildIds(this.db, named.map((r) => r.id)));
      await this.db.transaction(async (txRaw) => {
        const tx = txRaw as unknown as Db;
        await insertNewBuilds(tx, js.id, named.filter((r) => fresh.has(r.id)).map(shortToRecord));
        const changed = await applyShortStates(tx, states);
        await this.settle(tx, js, report, changed, named.map((r) => r.id));
      });
      report.buildsResolved = (report.buildsResolved ?? 0) + named.length;
      // Held builds and unresolved members below the window (it did not reach the jobset's oldest
      // build) are asked one by one, the unresolved first (verdicts wait on them).
      if (rows.length >= nr) {
        const floor = rows.reduce((m, r) => Math.min(m, r.id), Infinity);
        const budget = this.opts.maxBuildPolls ?? 300;
        const left = unresolved.filter((id) => id < floor).slice(0, budget);
        const below = [...left, ...(await heldUnfinishedBelow(this.db, js.id, floor, budget - left.length))];
        if (below.length) await this.fetchAndApply(js, below, report, 'poll');
      }
    }
    if (signal?.aborted) return;
    // Queued builds we hold finished were restarted or re-pointed: pending from now on; their
    // full records (a re-point's new derivation, the seen-success/failure flags) follow below.
    let requeued: number[] = [];
    if ((this.opts.queueProbe ?? 1000) > 0) {
      try {
        const queued = (await this.queueProbe()).filter((q) => q.project === js.project && q.jobset === js.name);
        if (queued.length) {
          await this.db.transaction(async (txRaw) => {
            const tx = txRaw as unknown as Db;
            const changed = await markQueued(tx, queued.map((q) => q.id));
            requeued = changed.map((c) => c.id);
            if (changed.length) await this.settle(tx, js, report, changed, []);
          });
        }
      } catch (err) {
        if (err instanceof HydraFiltered) throw err;
        if (!(err instanceof HydraNotFound)) this.log.warn('queue probe failed', { jobset: ref, reason: String(err) });
      }
    }
    this.log.debug('verdicts current', { jobset: ref, requeued: requeued.length });
    if (signal?.aborted) return;
    if (requeued.length) await this.fetchAndApply(js, requeued, report, 'requeued');
    if (signal?.aborted) return;
    // Every open breakage's failing build at least once a day, spread over the day's syncs.
    const open = await openBreakageCount(this.db, js.id);
    if (open > 0) {
      const perSync = Math.ceil((open * 1.5) / (this.opts.syncsPerDay ?? 96)) + 2;
      const due = await breakageBuildsToRecheck(this.db, js.id, perSync, this.opts.recheckAfterHours ?? 20);
      if (due.length) report.rechecked = (report.rechecked ?? 0) + (await this.fetchAndApply(js, due, report, 'recheck'));
    }
    if (signal?.aborted) return;
    const wanted = await buildsWantingDetails(this.db, js.id, this.opts.maxDetailFetches ?? 300);
    if (wanted.length) {
      const label = `${ref}: full records`;
      this.progress?.(0, wanted.length, label);
      report.detailsFetched = (report.detailsFetched ?? 0) + (await this.fetchAndApply(js, wanted, report, 'details', (n) => this.progress?.(n, wanted.length, label)));
    }
    const newest = (await ingestedEvalIds(this.db, js.id)).at(-1);
    if (newest !== undefined && !signal?.aborted) {
      const p = await evalProgress(this.db, newest);
      report.known = { evalId: newest, known: p.known, total: p.total };
      if (p.known < p.total) this.log.info('builds known', { jobset: ref, eval: newest, known: p.known, total: p.total, unresolved: p.unresolved });
    }
  }

  /**
   * `/build/:id` for each id (skipping those Hydra no longer has), stored in one transaction
   * with what depends on them; every id counts as checked. Returns how many were read.
   */
  private async fetchAndApply(js: JobsetRow, ids: number[], report: SyncReport, why: string, onRead?: (n: number) => void): Promise<number> {
    const records: BuildRecord[] = [];
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          records.push(toBuildRecord(await this.client.build(id)));
        } catch (err) {
          if (!(err instanceof HydraNotFound)) throw err;
          this.log.warn('build vanished from Hydra', { jobset: `${js.project}/${js.name}`, build: id, why });
        }
        onRead?.(++done);
      }
    };
    const t = Date.now();
    await Promise.all(Array.from({ length: Math.min(this.opts.singleConcurrency ?? 4, ids.length) }, worker));
    report.fetchMs += Date.now() - t;
    const mine = records.filter((r) => r.id > 0);
    await this.db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      const all = await upsertBuilds(tx, js.id, mine);
      const changed = all.filter((c) => !c.inserted);
      await touchBuilds(tx, ids);
      await this.settle(tx, js, report, changed, all.filter((c) => c.inserted).map((c) => c.id));
    });
    return records.length;
  }

  /**
   * After builds were stored or changed: unresolved members now stored take their place in the
   * evals that listed them (where the job awaited, or was absent), placeholders left without an
   * unresolved member go, and histograms, stats and breakages follow. Inside a transaction.
   */
  private async settle(tx: Db, js: JobsetRow, report: SyncReport, changed: BuildChange[], stored: number[], refresh = true): Promise<number[]> {
    const jobs = new Set<number>(changed.map((c) => c.jobId));
    let fromEval = Infinity;
    const outcomeChanges = changed.filter((c) => c.oldFinished !== null);
    if (outcomeChanges.length) {
      await applyOutcomeChanges(tx, outcomeChanges);
      const first = await firstEvalOfBuilds(tx, outcomeChanges.map((c) => c.id));
      if (first !== null) fromEval = Math.min(fromEval, first);
    }
    const resolved = await takeResolved(tx, stored);
    if (resolved.length) {
      const jobOf = await jobsOfBuilds(tx, [...new Set(resolved.map((r) => r.buildId))]);
      // The member takes the place of a placeholder or of nothing; a job listed twice keeps its newest build.
      const w = await rewriteMembers(tx, js.id, resolved.filter((r) => jobOf.has(r.buildId)).map((r) => ({ jobId: jobOf.get(r.buildId)!, evalId: r.evalId, buildId: r.buildId })),
        (current, wanted) => (current === null || current < 0 || (wanted !== null && wanted > current) ? wanted : current));
      for (const j of w.jobIds) jobs.add(j);
      if (w.evalIds.length) fromEval = Math.min(fromEval, w.evalIds[0]!);
    }
    const stale = await stalePlaceholders(tx, js.id);
    if (stale.length) {
      const w = await rewriteMembers(tx, js.id, stale.map((s) => ({ ...s, buildId: null })));
      for (const j of w.jobIds) jobs.add(j);
      if (w.evalIds.length) fromEval = Math.min(fromEval, w.evalIds[0]!);
    }
    if (!jobs.size) return [];
    if (fromEval !== Infinity) await markStatsStale(tx, js.id, fromEval);
    if (!refresh) return [...jobs];
    const b = await recomputeBreakages(tx, js.id, [...jobs]);
    report.breakagesOpened += b.opened;
    report.breakagesClosed += b.closed;
    report.buildsUpdated += outcomeChanges.length;
    await refreshEvalStats(tx, js.id);
    return [...jobs];
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

/** A short row as a build record: no derivation or outputs yet (`detailed: false`). */
function shortToRecord(r: HydraShortBuild): BuildRecord {
  return {
    id: r.id, job: r.job, system: r.system, finished: r.finished, status: r.buildstatus, drvpath: '', outputs: [],
    nixname: r.nixname, timestamp: r.timestamp, starttime: null, stoptime: null, detailed: false,
  };
}

function shortToState(r: HydraShortBuild): ShortBuild {
  return { id: r.id, job: r.job, system: r.system, finished: r.finished, status: r.buildstatus, nixname: r.nixname, timestamp: r.timestamp };
}

export function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) throw new Error(`jobset must be project/jobset, got ${JSON.stringify(ref)}`);
  return [ref.slice(0, i), ref.slice(i + 1)];
}

