/**
 * The simulated Hydra's HTTP side: answers exactly as /work/shared/HYDRA-API.md describes,
 * reading a `HydraData` as of its `now()`. Adds what tests need around it: a per-IP token
 * bucket (429 + Retry-After), per-route counters, and switchable faults.
 *
 *   const sim = await startHydraSim(data, { rateLimit: { rps: 2, burst: 7 }, seed: 1 });
 *   sim.faults.add({ kind: 'status', status: 503, path: '/eval/1800000', times: 2 });
 *   await fetch(`${sim.url}/eval/1800000`, { headers: { accept: 'application/json' } });
 *   sim.counters.get('/eval/:id')  // { requests, bytes, statuses: { 503: 1 } }
 *   await sim.close();
 */
import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { mountChannelFiles } from './packages-json.ts';
import { serveLocal, type LocalServer } from './serve-local.ts';
import { type HydraData, type SimBuild, type SimBuildSummary, type SimEval, prng } from './model.ts';
import { type OtherJobsetsOptions, withOtherJobsets } from './instance.ts';
import { type BuildPageBuild, type StepPageStep, type StepStatusText, renderBuildPageHtml, renderStepPageHtml } from './build-page-html.ts';

// ---------- options ----------

export interface RateLimitOptions {
  /** Tokens added per second. */
  rps: number;
  /** Bucket size. */
  burst: number;
  /**
   * How the excess is answered:
   * - 'retry-after' (default): a token bucket of `burst`; an empty bucket answers 429 with Retry-After.
   * - 'strict': the same bucket, answered as hydra.nixos.org's proxy answers (429, nginx page, no Retry-After).
   * - 'nginx': nginx's `limit_req` without `nodelay`, as in front of hydra.nixos.org: requests over
   *   the rate wait (up to `burst` of them queued, each delayed to keep the rate), beyond that 429
   *   without Retry-After.
   */
  mode?: 'retry-after' | 'strict' | 'nginx';
}

/** The bulk list `/eval/{id}/builds` failing as it does on hydra.nixos.org (see HYDRA-API.md, Timeouts). */
export interface BulkListFaults {
  /** Answer 504 (nginx's page) after this many real milliseconds instead of the list (the proxy's 900 s, scaled). */
  timeoutMs?: number;
  /** Stream the list and drop the connection once this fraction (0..1) of the member builds is sent. */
  cutAtFraction?: number;
  /** Only evals with at least this many builds fail (default 0: every eval). */
  minBuilds?: number;
  /** How many requests fail this way (default Infinity). */
  times?: number;
}

/** The bot filter in front of hydra.nixos.org (iocaine): HTTP 200 text/html generated text to matching clients. */
export interface FilterOptions {
  /** User agents answered with HTML: a string matches as a case-insensitive substring; '' matches a missing or empty one. */
  userAgents?: (string | RegExp)[];
  /** Client addresses (whole networks on the real filter) answered with HTML. */
  ips?: string[];
}

/** User agents iocaine answers with generated text on hydra.nixos.org (browser-like, generic, AI crawlers). */
export const FILTERED_USER_AGENTS: (string | RegExp)[] = ['', /^Mozilla\//, 'Go-http-client', 'python-requests', 'curl/', 'GPTBot', 'ClaudeBot', 'CCBot', 'Bytespider', /^node$/, /^undici/];

export interface HydraSimOptions {
  /** Per client IP; default { rps: 2, burst: 7 } like hydra.nixos.org; false lifts it. */
  rateLimit?: RateLimitOptions | false;
  /** Seeds key shuffling and probabilistic faults. */
  seed?: number;
  /** Shuffle object keys per object (default true): clients must not rely on key order. */
  shuffleKeys?: boolean;
  /** Builds per chunk written when streaming /eval/:id/builds (default 200). */
  streamChunkBuilds?: number;
  /** The bulk list's 504 and cut stream (off by default); changeable later through `config.bulkList`. */
  bulkList?: BulkListFaults;
  /** The filter answering HTML (off by default); changeable later through `config.filter`. */
  filter?: FilterOptions;
  /** Other jobsets' builds filling the instance's queue (see instance.ts); off by default. */
  otherJobsets?: OtherJobsetsOptions;
  /** Queries per request the cost model charges; defaults are `DEFAULT_COSTS` (read from Hydra's controllers). */
  costs?: Partial<QueryCosts>;
  /** Build logs only in the binary cache, as on hydra.nixos.org (off by default); changeable later through `config.logsInCache`. */
  logsInCache?: boolean;
}

/** Options that can be changed while the simulator runs. */
export interface HydraSimConfig {
  bulkList: BulkListFaults | undefined;
  filter: FilterOptions | undefined;
  /**
   * Hydra has no log files of its own and redirects `/log/{drv}` to its `log_prefix`
   * (hydra.nixos.org: `upload_logs_to_binary_cache`, `log_prefix = https://cache.nixos.org/`),
   * here `/cache/log/{drv}` of the simulator: the whole log, brotli-encoded, `tail` ignored.
   */
  logsInCache?: boolean;
}

/** Something that is, or carries, the data (ScriptedHydra exposes `.data`). */
export type DataSource = HydraData | { data: HydraData };

// ---------- faults ----------

interface FaultMatch {
  /** Exact pathname (or pathname+query when the string contains '?'), or a RegExp tested on pathname+query. */
  path: string | RegExp;
  /** How many times it fires (default 1; Infinity for always). */
  times?: number;
  /** Chance to fire on a matching request, from the seeded PRNG (default 1). */
  probability?: number;
}

export type Fault = FaultMatch &
  (
    | { kind: 'status'; status: 500 | 502 | 503 | 504 }
    | { kind: 'slow'; delayMs: number }
    /** Closes the socket after `afterBytes` bytes of body (Content-Length kept when known). */
    | { kind: 'cut'; afterBytes: number }
    /** Valid HTTP response whose body simply ends after `bytes` (default: half, or half the first chunk when streamed). */
    | { kind: 'truncate'; bytes?: number }
    /** Garbage injected after `atByte` bytes (default as for truncate). */
    | { kind: 'malformed'; atByte?: number }
    /** 200 text/html "are you a bot" page instead of the answer. */
    | { kind: 'botcheck' }
    /** 429 with Retry-After (seconds, default 1); use `times` for a burst. */
    | { kind: '429'; retryAfter?: number }
    /** Runs `run` after a matching response has been fully sent (e.g. reveal an eval between pages). */
    | { kind: 'hook'; run: (info: { path: string; route: string }) => void }
  );

export interface FaultHandle {
  readonly fault: Fault;
  /** Times it has fired so far. */
  fired: number;
  remaining(): number;
}

export class Faults {
  private list: FaultHandle[] = [];
  constructor(private readonly rnd: () => number) {}

  add(fault: Fault): FaultHandle {
    const h: FaultHandle = { fault, fired: 0, remaining: () => (fault.times ?? 1) - h.fired };
    this.list.push(h);
    return h;
  }

  clear(): void {
    this.list = [];
  }

  /** Total fires per kind since the last clear/reset. */
  firedByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const h of this.list) out[h.fault.kind] = (out[h.fault.kind] ?? 0) + h.fired;
    return out;
  }

  /** Fires (and consumes) every matching fault with budget left. */
  take(pathAndQuery: string, pathname: string): Fault[] {
    const out: Fault[] = [];
    for (const h of this.list) {
      const f = h.fault;
      if (h.remaining() <= 0) continue;
      const hit =
        typeof f.path === 'string' ? (f.path.includes('?') ? f.path === pathAndQuery : f.path === pathname) : f.path.test(pathAndQuery);
      if (!hit) continue;
      if (f.probability !== undefined && this.rnd() >= f.probability) continue;
      h.fired++;
      out.push(f);
    }
    return out;
  }
}

// ---------- rate limit ----------

export type RateDecision = { ok: true; delayMs: number } | { ok: false; retryAfter: number | null };

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  // nginx limit_req: per client, the excess in requests and when it was last accounted.
  private excess = new Map<string, { excess: number; at: number }>();
  constructor(private opts: RateLimitOptions | false) {}

  configure(opts: RateLimitOptions | false): void {
    this.opts = opts;
    this.reset();
  }

  reset(): void {
    this.buckets.clear();
    this.excess.clear();
  }

  /** 0 when allowed (a token is taken), else the seconds to wait (for Retry-After). */
  take(ip: string, nowMs = performance.now()): number {
    const d = this.decide(ip, nowMs);
    return d.ok ? 0 : (d.retryAfter ?? 1);
  }

  /** Whether a request may pass now (after `delayMs`), or is refused (429). */
  decide(ip: string, nowMs = performance.now()): RateDecision {
    if (!this.opts) return { ok: true, delayMs: 0 };
    const { rps, burst } = this.opts;
    const mode = this.opts.mode ?? 'retry-after';
    if (mode === 'nginx') {
      // ngx_http_limit_req_lookup: excess decays at the rate; over `burst` is refused, else the
      // request waits excess/rate before it is passed on (no nodelay).
      const prev = this.excess.get(ip);
      let excess = 0;
      if (prev) excess = Math.max(0, prev.excess - ((nowMs - prev.at) / 1000) * rps + 1);
      if (excess > burst) return { ok: false, retryAfter: null };
      this.excess.set(ip, { excess, at: nowMs });
      return { ok: true, delayMs: (excess / rps) * 1000 };
    }
    let b = this.buckets.get(ip);
    if (!b) this.buckets.set(ip, (b = { tokens: burst, at: nowMs }));
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * rps);
    b.at = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, delayMs: 0 };
    }
    return { ok: false, retryAfter: mode === 'strict' ? null : Math.max(1, Math.ceil((1 - b.tokens) / rps)) };
  }
}

// ---------- cost model ----------

/**
 * Queries Hydra runs for one request, counted from its controllers (hydra
 * subprojects/hydra/lib/Hydra/Controller/*.pm, Schema/Result/Builds.pm `as_json`). A Build
 * serialized by `as_json` costs 5 (its jobset, jobsetevals, buildoutputs, buildproducts,
 * buildmetrics); the short shape of `buildToHash` costs 1 (its jobset).
 */
export interface QueryCosts {
  /** Build.pm buildChain (getBuild, previous successful, next build, URI mappers, project, jobset, runcommandlogs) + build_GET (nrEvals, first eval). */
  buildChain: number;
  /** as_json of one Build. */
  buildJson: number;
  /** The HTML build page's own extra queries (build steps, inputs). */
  buildHtml: number;
  /** JobsetEval.pm evalChain: the eval, its jobset, its project. */
  evalChain: number;
  /** view_GET: previous eval, its builds, this eval's builds (the compare, done for JSON too), then the serializer's builds ids and inputs. */
  evalView: number;
  /** all_builds: the member list. */
  evalBuilds: number;
  /** Jobset.pm jobsetChain: project and jobset. */
  jobsetChain: number;
  /** evals_GET: count and the page's list. */
  evalsPage: number;
  /** Helper/Nix.pm getEvals per eval: previous eval, eval info (inputs, scheduled and succeeded counts), then builds ids and inputs. */
  evalsPerEval: number;
  /** latest-eval: the finished-eval lookup. */
  latestEval: number;
  /** API.pm latestbuilds / queue: the one search. */
  apiList: number;
  /** buildToHash per row: the jobset lookup. */
  apiPerRow: number;
  /** API.pm jobsets: the project and the overview. */
  apiJobsets: number;
  /** /project, /jobset: the object and its jobsets or inputs. */
  smallObject: number;
  /** /log: the step or build owning the derivation. */
  log: number;
  /** /build/{id}/step/{nr}: the step. */
  step: number;
}

export const DEFAULT_COSTS: QueryCosts = {
  buildChain: 9,
  buildJson: 5,
  buildHtml: 3,
  evalChain: 3,
  evalView: 5,
  evalBuilds: 1,
  jobsetChain: 2,
  evalsPage: 2,
  evalsPerEval: 6,
  latestEval: 1,
  apiList: 1,
  apiPerRow: 1,
  apiJobsets: 2,
  smallObject: 2,
  log: 1,
  step: 1,
};

// ---------- counters ----------

export interface RouteCounter {
  requests: number;
  bytes: number;
  statuses: Record<number, number>;
  /** Database queries Hydra ran for these requests (cost model; filtered and refused requests cost nothing). */
  queries: number;
  /** Rows Hydra read for them (member ids, builds, compare lists). */
  rows: number;
}

export interface CostTotals {
  requests: number;
  queries: number;
  rows: number;
  bytes: number;
}

export class Counters {
  private routes = new Map<string, RouteCounter>();
  /** 429s sent by the rate limiter (fault-injected 429s show only in statuses). */
  rateLimited = 0;
  /** Requests the filter answered with HTML (they never reached Hydra). */
  filtered = 0;
  /** Requests the rate limiter held back before passing them on (nginx mode). */
  delayed = 0;

  get(route: string): RouteCounter {
    let c = this.routes.get(route);
    if (!c) this.routes.set(route, (c = { requests: 0, bytes: 0, statuses: {}, queries: 0, rows: 0 }));
    return c;
  }

  snapshot(): Record<string, RouteCounter> {
    const out: Record<string, RouteCounter> = {};
    for (const [k, v] of this.routes) out[k] = { ...v, statuses: { ...v.statuses } };
    return out;
  }

  totalRequests(): number {
    let n = 0;
    for (const v of this.routes.values()) n += v.requests;
    return n;
  }

  /** Every 429 sent, from the limiter or from faults. */
  total429(): number {
    let n = 0;
    for (const v of this.routes.values()) n += v.statuses[429] ?? 0;
    return n;
  }

  /** The cost model's totals over every route. */
  cost(): CostTotals {
    const t: CostTotals = { requests: 0, queries: 0, rows: 0, bytes: 0 };
    for (const v of this.routes.values()) {
      t.requests += v.requests;
      t.queries += v.queries;
      t.rows += v.rows;
      t.bytes += v.bytes;
    }
    return t;
  }

  reset(): void {
    this.routes.clear();
    this.rateLimited = 0;
    this.filtered = 0;
    this.delayed = 0;
  }
}

// ---------- responses ----------

/** What a handler produces; the runner turns it into a Response, counting and faulting it. */
interface Out {
  status: number;
  headers: Record<string, string>;
  body: string | (() => Generator<string>);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

function jsonOut(value: unknown, status = 200): Out {
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(value) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

function htmlPage(title: string, body: string, status = 200): Out {
  const page = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - Hydra</title></head>\n<body><div class="container"><h1>${escapeHtml(title)}</h1>\n${body}\n</div></body></html>\n`;
  return { status, headers: { 'content-type': HTML_TYPE }, body: page };
}

const BOT_CHECK_PAGE = `<!DOCTYPE html><html><head><title>Making sure you&#39;re not a bot!</title></head><body><h1>Making sure you're not a bot!</h1><p>Please wait while we verify your browser. This requires JavaScript.</p><script src="/.within.website/x/cmd/anubis/static/js/main.mjs"></script></body></html>`;

const BABBLE = [
  'the', 'of', 'lattice', 'quietly', 'derivation', 'river', 'engine', 'wandering', 'semantic', 'harvest', 'orchard', 'archive',
  'under', 'copper', 'signal', 'lantern', 'between', 'meadow', 'theorem', 'hollow', 'amber', 'across', 'winter', 'garden',
];

/** What iocaine answers a filtered client: 200 text/html of generated text and links into more of it. */
function filterPage(path: string, seed: number): string {
  const rnd = prng(seed ^ hashOfPath(path));
  const words = (n: number) => Array.from({ length: n }, () => BABBLE[Math.floor(rnd() * BABBLE.length)]).join(' ');
  const paras = Array.from({ length: 4 }, () => `<p>${words(40)} <a href="/${words(2).replace(' ', '-')}">${words(3)}</a> ${words(20)}.</p>`);
  return `<!DOCTYPE html><html><head><title>${words(4)}</title></head><body><h1>${words(5)}</h1>${paras.join('')}</body></html>`;
}

function hashOfPath(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function proxyErrorPage(status: number): string {
  const text: Record<number, string> = { 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out' };
  return `<html><head><title>${status} ${text[status] ?? 'Error'}</title></head><body><center><h1>${status} ${text[status] ?? 'Error'}</h1></center><hr><center>nginx</center></body></html>\n`;
}

// ---------- serialization (keys in a per-object random order) ----------

type Rng = () => number;

function shuffled<T>(arr: T[], rng: Rng | null): T[] {
  if (!rng) return arr;
  const a = arr.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Copy of `obj` with its keys inserted in a random order (JSON.stringify keeps insertion order). */
function reorder<T extends object>(obj: T, rng: Rng | null): T {
  if (!rng) return obj;
  const out: Record<string, unknown> = {};
  for (const k of shuffled(Object.keys(obj), rng)) out[k] = (obj as Record<string, unknown>)[k];
  return out as T;
}

function reorderRecord<V extends object>(rec: Record<string, V>, rng: Rng | null): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of shuffled(Object.keys(rec), rng)) out[k] = reorder(rec[k], rng);
  return out;
}

/** The 18-key Build object. */
function buildObject(b: SimBuild, rng: Rng | null): SimBuild {
  return reorder(
    {
      id: b.id,
      finished: b.finished,
      timestamp: b.timestamp,
      starttime: b.starttime,
      stoptime: b.stoptime,
      project: b.project,
      jobset: b.jobset,
      job: b.job,
      nixname: b.nixname,
      system: b.system,
      priority: b.priority,
      buildstatus: b.buildstatus,
      releasename: b.releasename,
      drvpath: b.drvpath,
      jobsetevals: b.jobsetevals,
      buildoutputs: reorderRecord(b.buildoutputs, rng),
      buildproducts: reorderRecord(b.buildproducts, rng),
      buildmetrics: reorderRecord(b.buildmetrics, rng),
    },
    rng,
  );
}

/** Streams the /eval/{id} object; the builds array goes out in slices, never one big string. */
function* evalChunks(e: SimEval, rng: Rng | null): Generator<string> {
  const scalars: Record<string, unknown> = {
    id: e.id,
    timestamp: e.timestamp,
    checkouttime: e.checkouttime,
    evaltime: e.evaltime,
    hasnewbuilds: e.hasnewbuilds,
    flake: e.flake,
    jobsetevalinputs: reorderRecord(e.inputs, rng),
  };
  const keys = shuffled([...Object.keys(scalars), 'builds'], rng);
  let first = true;
  yield '{';
  for (const k of keys) {
    const sep = first ? '' : ',';
    first = false;
    if (k !== 'builds') {
      yield `${sep}"${k}":${JSON.stringify(scalars[k])}`;
      continue;
    }
    yield `${sep}"builds":[`;
    let buf: number[] = [];
    let any = false;
    for (const id of e.buildIds()) {
      buf.push(id);
      if (buf.length === 20000) {
        yield (any ? ',' : '') + buf.join(',');
        any = true;
        buf = [];
      }
    }
    if (buf.length) yield (any ? ',' : '') + buf.join(',');
    yield ']';
  }
  yield '}';
}

function evalString(e: SimEval, rng: Rng | null): string {
  return [...evalChunks(e, rng)].join('');
}

function shortBuild(b: SimBuildSummary, rng: Rng | null): Record<string, unknown> {
  // Hydra's buildToHash: buildstatus only when finished, priority only when not.
  const o: Record<string, unknown> = {
    id: b.id,
    project: b.project,
    jobset: b.jobset,
    job: b.job,
    system: b.system,
    nixname: b.nixname,
    finished: b.finished,
    timestamp: b.timestamp,
  };
  if (b.finished) o.buildstatus = b.buildstatus;
  else o.priority = b.priority;
  return reorder(o, rng);
}

/** The status Hydra gives the build's own failed step (renderStepStatus), by build status. */
const OWN_STEP_STATUS: Record<number, StepStatusText> = {
  1: 'Failed', 3: 'Aborted', 4: 'Cancelled', 6: 'Failed', 7: 'Timed out', 9: 'Unsupported system type', 10: 'Log limit exceeded',
  11: 'Output limit exceeded', 12: 'Non-determinism detected',
};

/** Build statuses of builds that never ran their own derivation, so have no log. */
const NEVER_RAN = new Set([2, 4, 9]);

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The last `n` lines of a text (Hydra's `tail`). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.slice(-n).join('\n') + (text.endsWith('\n') ? '\n' : '');
}

function drvForOutputs(outputs: string[]): string {
  const first = outputs[0] ?? '/nix/store/00000000000000000000000000000000-unknown';
  return `${first.replace(/-(bin|dev|lib|out|man|doc)$/, '')}.drv`;
}

/** A build log as nix writes it: phases, then how the build ended. */
function defaultLog(b: SimBuild): string {
  const name = b.nixname ?? b.job;
  const lines = [
    `building '${b.drvpath}'...`,
    `Running phase: unpackPhase`,
    `unpacking source archive /nix/store/${b.drvpath.slice(11, 43)}-source`,
    `Running phase: patchPhase`,
    `Running phase: configurePhase`,
    `configure flags: --prefix=${Object.values(b.buildoutputs)[0]?.path ?? ''}`,
    `Running phase: buildPhase`,
  ];
  for (let i = 0; i < 60; i++) lines.push(`  CC       src/${name.replace(/[^a-z0-9]/gi, '')}_${i}.o`);
  if (b.buildstatus === 0) lines.push('Running phase: installPhase', 'Running phase: fixupPhase', `shrinking RPATHs of ELF executables and libraries in ${Object.values(b.buildoutputs)[0]?.path ?? ''}`);
  else if (b.buildstatus === 7) lines.push(`building of '${b.drvpath}' timed out after 36000 seconds of silence`);
  else if (b.buildstatus === 10) lines.push(`error: log limit exceeded`);
  else {
    lines.push(`src/${name}.c:42:7: error: implicit declaration of function 'hydra_sim_missing' [-Wimplicit-function-declaration]`);
    lines.push(`make: *** [Makefile:1234: all] Error 2`);
    lines.push(`error: builder for '${b.drvpath}' failed with exit code 2`);
  }
  return lines.join('\n') + '\n';
}


// ---------- the app ----------

export interface HydraSimApp {
  app: Hono<{ Bindings: HttpBindings }>;
  counters: Counters;
  faults: Faults;
  limiter: RateLimiter;
  /** Bulk-list faults and the filter, changeable at any time. */
  config: HydraSimConfig;
  /** The query costs the cost model charges. */
  costs: QueryCosts;
}

/** Marks where a streamed body is cut (the connection dropped) by the bulk-list fault. */
const CUT_HERE = '\u0000cut-here\u0000';

type Ctx = { json: boolean; rng: Rng | null; origin: string; charge: (queries: number, rows?: number) => void };

function uaMatches(ua: string, patterns: (string | RegExp)[]): boolean {
  return patterns.some((p) => (typeof p === 'string' ? (p === '' ? ua.trim() === '' : ua.toLowerCase().includes(p.toLowerCase())) : p.test(ua)));
}

export function createHydraSimApp(source: DataSource, opts: HydraSimOptions = {}): HydraSimApp {
  const own: HydraData = 'data' in source && typeof (source as { data: unknown }).data === 'object' ? (source as { data: HydraData }).data : (source as HydraData);
  const data: HydraData = opts.otherJobsets ? withOtherJobsets(source, opts.otherJobsets) : own;
  const seed = opts.seed ?? 0x5eed;
  const counters = new Counters();
  const faults = new Faults(prng(seed ^ 0xfa17));
  const limiter = new RateLimiter(opts.rateLimit === undefined ? { rps: 2, burst: 7 } : opts.rateLimit);
  const chunkBuilds = opts.streamChunkBuilds ?? 200;
  const config: HydraSimConfig = { bulkList: opts.bulkList, filter: opts.filter, logsInCache: opts.logsInCache };
  const costs: QueryCosts = { ...DEFAULT_COSTS, ...opts.costs };
  let bulkFailures = 0;
  let bulkConfigSeen: BulkListFaults | undefined;
  let responseNr = 0;
  const app = new Hono<{ Bindings: HttpBindings }>();

  type Handler = (c: Context<{ Bindings: HttpBindings }>, x: Ctx) => Out | Promise<Out>;

  const route = (pattern: string, handler: Handler) => {
    app.get(pattern, (c) => run(c, pattern, handler));
  };

  // The simulator's own controls (not Hydra's): the cost model and the clock, for benches that
  // run the simulator in another process. Never rate limited, filtered or counted.
  app.get('/_sim/stats', (c) => {
    const body = { cost: counters.cost(), rateLimited: counters.rateLimited, filtered: counters.filtered, delayed: counters.delayed, total429: counters.total429(), routes: counters.snapshot(), now: data.now() };
    if (c.req.query('reset') !== undefined) counters.reset();
    return c.json(body);
  });
  app.get('/_sim/clock', (c) => {
    const clock = source as { advance?: (s: number) => void; setClock?: (t: number) => void };
    const adv = c.req.query('advance');
    const set = c.req.query('set');
    if ((adv !== undefined && !/^-?[0-9]+$/.test(adv)) || (set !== undefined && !/^[0-9]+$/.test(set))) return c.json({ error: 'advance and set take whole seconds' }, 400);
    if ((adv !== undefined || set !== undefined) && !clock.advance) return c.json({ error: 'this data source has no clock to move' }, 400);
    if (set !== undefined) clock.setClock!(Number(set));
    if (adv !== undefined) clock.advance!(Number(adv));
    return c.json({ now: data.now() });
  });

  async function run(c: Context<{ Bindings: HttpBindings }>, routeKey: string, handler: Handler): Promise<Response> {
    const url = new URL(c.req.url);
    const pathAndQuery = url.pathname + url.search;
    const counter = counters.get(routeKey);
    counter.requests++;
    const ip = c.env?.incoming?.socket?.remoteAddress ?? 'local';
    const ua = c.req.header('user-agent') ?? '';
    let out: Out;
    let bodyFault: Fault | undefined;
    const hooks: Fault[] = [];
    const filter = config.filter;
    if (filter && (uaMatches(ua, filter.userAgents ?? []) || (filter.ips ?? []).includes(ip))) {
      // The filter answers before the request reaches the proxy's limit or Hydra.
      counters.filtered++;
      out = { status: 200, headers: { 'content-type': HTML_TYPE }, body: filterPage(pathAndQuery, seed + counters.filtered) };
      counter.statuses[200] = (counter.statuses[200] ?? 0) + 1;
      return toResponse(out, counter, undefined, c.env?.outgoing, () => {});
    }
    const decision = limiter.decide(ip);
    if (!decision.ok) {
      counters.rateLimited++;
      const headers: Record<string, string> = { 'content-type': HTML_TYPE };
      if (decision.retryAfter !== null) headers['retry-after'] = String(decision.retryAfter);
      out = { status: 429, headers, body: proxyErrorPage(429) };
    } else {
      if (decision.delayMs > 0) {
        counters.delayed++;
        await new Promise((r) => setTimeout(r, decision.delayMs));
      }
      const fired = faults.take(pathAndQuery, url.pathname);
      let replaced: Out | undefined;
      for (const f of fired) {
        if (f.kind === 'hook') hooks.push(f);
        else if (f.kind === 'slow') await new Promise((r) => setTimeout(r, f.delayMs));
        else if (f.kind === 'cut' || f.kind === 'truncate' || f.kind === 'malformed') bodyFault ??= f;
        else if (!replaced) {
          if (f.kind === 'status')
            replaced =
              f.status === 500
                ? jsonOut({ error: 'Internal Server Error (simulated fault)' }, 500)
                : { status: f.status, headers: { 'content-type': HTML_TYPE }, body: proxyErrorPage(f.status) };
          else if (f.kind === 'botcheck') replaced = { status: 200, headers: { 'content-type': HTML_TYPE }, body: BOT_CHECK_PAGE };
          else if (f.kind === '429')
            replaced = { status: 429, headers: { 'content-type': HTML_TYPE, 'retry-after': String(f.retryAfter ?? 1) }, body: proxyErrorPage(429) };
        }
      }
      if (replaced) out = replaced;
      else {
        const json = (c.req.header('accept') ?? '').includes('application/json');
        const rng = opts.shuffleKeys === false ? null : prng(seed + ++responseNr * 0x9e3779b1);
        const charge = (queries: number, rows = 0) => {
          counter.queries += queries;
          counter.rows += rows;
        };
        try {
          out = await handler(c, { json, rng, origin: url.origin, charge });
        } catch (err) {
          out = jsonOut({ error: `simulator error: ${(err as Error).message}` }, 500);
        }
      }
    }
    counter.statuses[out.status] = (counter.statuses[out.status] ?? 0) + 1;
    const done = () => {
      for (const h of hooks) if (h.kind === 'hook') h.run({ path: pathAndQuery, route: routeKey });
    };
    return toResponse(out, counter, bodyFault, c.env?.outgoing, done);
  }

  /** The bulk-list fault for an eval of `n` builds, if one is configured and has budget left. */
  function bulkFault(n: number): BulkListFaults | undefined {
    const b = config.bulkList;
    if (b !== bulkConfigSeen) {
      bulkConfigSeen = b;
      bulkFailures = 0;
    }
    if (!b || (b.timeoutMs === undefined && b.cutAtFraction === undefined)) return undefined;
    if (n < (b.minBuilds ?? 0) || bulkFailures >= (b.times ?? Infinity)) return undefined;
    bulkFailures++;
    return b;
  }

  route('/jobset/:project/:jobset/evals', (c, x) => {
    const { project, jobset } = c.req.param();
    const moved = renamed(project, jobset, '/evals', c);
    if (moved) return moved;
    if (!data.jobset(project, jobset)) return notFound(x.json, `Jobset ‘${project}:${jobset}’ doesn't exist.`);
    const all = data.evalIds(project, jobset).filter((id) => data.getEval(id)?.hasnewbuilds === 1);
    const perPage = 20;
    const page = Math.max(1, parseInt(c.req.query('page') ?? '1', 10) || 1);
    const lastPage = Math.ceil(all.length / perPage);
    const ids = all.slice((page - 1) * perPage, page * perPage);
    const evals = ids.map((id) => data.getEval(id)!);
    x.charge(costs.jobsetChain + costs.evalsPage + costs.evalsPerEval * evals.length, evals.reduce((n, e) => n + e.buildCount, 0));
    if (!x.json) {
      const rows = evals.map((e) => `<tr><td><a href="${x.origin}/eval/${e.id}">${e.id}</a></td><td>${new Date(e.timestamp * 1000).toISOString()}</td><td>${e.inputs.nixpkgs?.revision ?? ''}</td><td>${e.buildCount}</td></tr>`);
      return htmlPage(`Evaluations of jobset ${project}:${jobset}`, `<table class="table">${rows.join('\n')}</table>`);
    }
    const links: Record<string, string> = { first: '?page=1', last: `?page=${lastPage}` };
    if (page > 1) links.previous = `?page=${page - 1}`;
    if (page < lastPage) links.next = `?page=${page + 1}`;
    const keys = shuffled([...Object.keys(links), 'evals'], x.rng);
    return {
      status: 200,
      headers: { 'content-type': JSON_TYPE },
      body: function* () {
        yield '{';
        let first = true;
        for (const k of keys) {
          yield first ? '' : ',';
          first = false;
          if (k !== 'evals') {
            yield `"${k}":${JSON.stringify(links[k])}`;
            continue;
          }
          yield '"evals":[';
          for (let i = 0; i < evals.length; i++) {
            if (i) yield ',';
            yield* evalChunks(evals[i], x.rng);
          }
          yield ']';
        }
        yield '}';
      },
    };
  });

  route('/jobset/:project/:jobset/latest-eval', (c, x) => {
    const { project, jobset } = c.req.param();
    const moved = renamed(project, jobset, '/latest-eval', c);
    if (moved) return moved;
    if (!data.jobset(project, jobset)) return notFound(x.json, `Jobset ‘${project}:${jobset}’ doesn't exist.`);
    x.charge(costs.jobsetChain + costs.latestEval);
    for (const id of data.evalIds(project, jobset)) {
      const e = data.getEval(id)!;
      if (e.hasnewbuilds !== 1) continue;
      let complete = true;
      for (const b of e.buildIds()) if (data.getBuild(b)?.finished !== 1) { complete = false; break; }
      if (complete) return { status: 302, headers: { location: `${x.origin}/eval/${id}` }, body: '' };
    }
    return notFound(x.json, 'No evaluation found.');
  });

  route('/jobset/:project/:jobset', (c, x) => {
    const { project, jobset } = c.req.param();
    const moved = renamed(project, jobset, '', c);
    if (moved) return moved;
    const js = data.jobset(project, jobset);
    if (!js) return notFound(x.json, `Jobset ‘${project}:${jobset}’ doesn't exist.`);
    x.charge(costs.jobsetChain + 1);
    if (!x.json) return htmlPage(`Jobset ${project}:${jobset}`, `<p>${escapeHtml(js.description)}</p><a href="${x.origin}/jobset/${project}/${jobset}/evals">Evaluations</a>`);
    return jsonOut(reorder({ ...js, inputs: reorderRecord(js.inputs, x.rng) }, x.rng));
  });

  route('/project/:project', (c, x) => {
    const p = data.projects().find((p) => p.name === c.req.param('project'));
    if (!p) return notFound(x.json, `Project ‘${c.req.param('project')}’ doesn't exist.`);
    x.charge(costs.smallObject);
    if (!x.json) return htmlPage(`Project ${p.displayname}`, `<ul>${p.jobsets.map((j) => `<li><a href="${x.origin}/jobset/${p.name}/${j}">${j}</a></li>`).join('')}</ul>`);
    return jsonOut(reorder({ ...p, jobsets: [...p.jobsets] }, x.rng));
  });

  route('/eval/:id', (c, x) => {
    const e = lookupEval(c.req.param('id')!, x.json);
    if ('status' in e) return e;
    // view_GET reads this eval's and the previous eval's builds for its compare, JSON or not.
    const prevId = data.evalIds(e.project, e.jobset).find((id) => id < e.id && data.getEval(id)?.hasnewbuilds === 1);
    x.charge(costs.evalChain + costs.evalView, 2 * e.buildCount + (prevId === undefined ? 0 : data.getEval(prevId)!.buildCount));
    if (!x.json) return htmlPage(`Evaluation ${e.id}`, `<p>Revision ${e.inputs.nixpkgs?.revision ?? ''}; ${e.buildCount} builds.</p>`);
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: () => evalChunks(e, x.rng) };
  });

  route('/eval/:id/builds', async (c, x) => {
    const e = lookupEval(c.req.param('id')!, x.json);
    if ('status' in e) return e;
    // Hydra serializes every member with as_json before the first byte leaves, whatever happens to the answer.
    x.charge(costs.evalChain + costs.evalBuilds + costs.buildJson * e.buildCount, e.buildCount);
    if (!x.json) return htmlPage(`Builds of evaluation ${e.id}`, `<p>${e.buildCount} builds.</p>`);
    const fault = bulkFault(e.buildCount);
    if (fault?.timeoutMs !== undefined) {
      await new Promise((r) => setTimeout(r, fault.timeoutMs));
      return { status: 504, headers: { 'content-type': HTML_TYPE }, body: proxyErrorPage(504) };
    }
    const cutAt = fault?.cutAtFraction !== undefined ? Math.floor(e.buildCount * Math.min(1, Math.max(0, fault.cutAtFraction))) : Infinity;
    return {
      status: 200,
      headers: { 'content-type': JSON_TYPE },
      body: function* () {
        yield '[';
        let n = 0;
        let buf: string[] = [];
        for (const id of e.buildIds()) {
          const b = data.getBuild(id);
          if (!b) continue;
          if (n + buf.length >= cutAt) {
            if (buf.length) yield (n ? ',' : '') + buf.join(',');
            yield CUT_HERE;
            return;
          }
          buf.push(JSON.stringify(buildObject(b, x.rng)));
          if (buf.length === chunkBuilds) {
            yield (n ? ',' : '') + buf.join(',');
            n += buf.length;
            buf = [];
          }
        }
        if (buf.length) yield (n ? ',' : '') + buf.join(',');
        yield ']';
      },
    };
  });

  route('/build/:id', (c, x) => {
    const b = lookupBuild(c.req.param('id')!, x.json);
    if ('status' in b && 'headers' in b) return b;
    const build = b as SimBuild;
    remember(build);
    x.charge(costs.buildChain + costs.buildJson + (x.json ? 0 : costs.buildHtml), buildRows(build));
    if (!x.json) return buildPage(build, x.origin);
    return jsonOut(buildObject(build, x.rng));
  });

  route('/build/:id/constituents', (c, x) => {
    const b = lookupBuild(c.req.param('id')!, x.json);
    if ('status' in b && 'headers' in b) return b;
    const list = data.constituents((b as SimBuild).id).map((id) => data.getBuild(id)).filter((v): v is SimBuild => !!v);
    x.charge(costs.buildChain + 1 + costs.buildJson * list.length, list.reduce((n, m) => n + buildRows(m), 0));
    if (!x.json) return htmlPage(`Constituents of build ${(b as SimBuild).id}`, `<ul>${list.map((m) => `<li>${escapeHtml(m.job)}</li>`).join('')}</ul>`);
    return jsonOut(list.map((m) => buildObject(m, x.rng)));
  });

  route('/build/:id/step/:nr', (c, x) => {
    const b = lookupBuild(c.req.param('id')!, x.json);
    if ('status' in b && 'headers' in b) return b;
    const build = b as SimBuild;
    x.charge(costs.buildChain + costs.step);
    const step = stepsOf(build).find((s) => String(s.nr) === c.req.param('nr'));
    if (!step) return notFound(x.json, `Build doesn't have a build step ${c.req.param('nr')}.`);
    remember({ id: step.buildId, drvpath: step.drvpath });
    if (x.json) return jsonOut({ error: 'The step page has no JSON.' }, 404);
    const html = renderStepPageHtml(pageBuild(build), { ...step, system: build.system }, { baseUrl: x.origin });
    return { status: 200, headers: { 'content-type': HTML_TYPE }, body: html };
  });

  // Build.pm view_log / BuildStep.pm: `raw` redirects to /log/{drv}, `tail` is an HTML page of the
  // last 50 lines, none is the pretty HTML log.
  const logRoute = (pattern: string, drvOf: (build: SimBuild, c: Context) => string | undefined) =>
    route(pattern, (c, x) => {
      const b = lookupBuild(c.req.param('id')!, x.json);
      if ('status' in b && 'headers' in b) return b;
      const build = b as SimBuild;
      x.charge(costs.buildChain);
      const drv = drvOf(build, c);
      if (!drv) return notFound(x.json, `Build doesn't have a build step ${c.req.param('nr')}.`);
      const mode = c.req.param('mode') ?? '';
      const logUrl = `${x.origin}/log/${encodeURIComponent(basename(drv))}`;
      if (mode === 'raw') return { status: 302, headers: { location: logUrl }, body: '' };
      if (mode !== '' && mode !== 'tail') return notFound(x.json, `Unknown log mode ‘${mode}’.`);
      const text = logOf(drv);
      if (text === undefined) return notFound(x.json, `The build log of ${drv} is not available.`);
      const lines = mode === 'tail' ? tailLines(text, 50) : text;
      return htmlPage(`Build log of build ${build.id}`, `<pre class="taillog" id="contents">${escapeHtml(lines)}</pre><p><a href="${logUrl}">raw</a></p>`);
    });
  for (const suffix of ['', '/:mode']) {
    logRoute(`/build/:id/log${suffix}`, (b) => b.drvpath);
    logRoute(`/build/:id/step/:nr/log${suffix}`, (b, c) => stepsOf(b).find((s) => String(s.nr) === c.req.param('nr'))?.drvpath);
    logRoute(`/build/:id/nixlog/:nr${suffix}`, (b, c) => stepsOf(b).find((s) => String(s.nr) === c.req.param('nr'))?.drvpath);
  }

  // Root.pm `log`: the local log file, tailed; without one, a redirect to `log_prefix` (tail dropped).
  route('/log/:drv', (c, x) => {
    const drv = `/nix/store/${c.req.param('drv')}`;
    const tail = c.req.query('tail');
    if (tail !== undefined && !/^[0-9]+$/.test(tail)) return jsonOut({ error: `Invalid tail ‘${tail}’.` }, 500);
    x.charge(costs.log);
    if (config.logsInCache) return { status: 302, headers: { location: `${x.origin}/cache/log/${encodeURIComponent(basename(drv))}` }, body: '' };
    const text = logOf(drv);
    if (text === undefined) return notFound(x.json, `The build log of ${drv} is not available.`);
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: tail === undefined ? text : tailLines(text, Number(tail)) };
  });

  // The binary cache's copy of the logs (not Hydra: no filter, no rate limit). Whole, brotli.
  app.get('/cache/log/:drv', (c) => {
    const counter = counters.get('/cache/log/:drv');
    counter.requests++;
    const text = logOf(`/nix/store/${c.req.param('drv')}`);
    const status = text === undefined ? 404 : 200;
    counter.statuses[status] = (counter.statuses[status] ?? 0) + 1;
    if (text === undefined) return c.text('404 Not Found', 404);
    const body = zlib.brotliCompressSync(Buffer.from(text), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
    counter.bytes += body.length;
    return c.body(body, 200, { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'br' });
  });

  route('/api/jobsets', (c, x) => {
    const name = c.req.query('project');
    // API.pm: error() without a status, which Root.pm's `end` answers with 500.
    if (name === undefined) return jsonOut({ error: "Parameter 'project' not defined!" }, 500);
    const p = data.projects().find((p) => p.name === name);
    if (!p) return jsonOut({ error: `Project ${name} doesn't exist.` }, 404);
    x.charge(costs.apiJobsets, p.jobsets.length);
    const list = p.jobsets.map((j) => {
      const js = data.jobset(p.name, j)!;
      let nrscheduled = 0, nrsucceeded = 0, nrfailed = 0, nrtotal = 0;
      const current = data.evalIds(p.name, j).find((id) => data.getEval(id)?.hasnewbuilds === 1);
      const e = current === undefined ? undefined : data.getEval(current);
      if (e) {
        // Hydra reads these counts from its tables; the cheap state lookup keeps the simulator from
        // spending seconds here at 250k builds.
        const state = data.buildState ? (id: number) => data.buildState!(id) : (id: number) => data.getBuild(id);
        for (const id of e.buildIds()) {
          const b = state(id);
          if (!b) continue;
          nrtotal++;
          if (!b.finished) nrscheduled++;
          else if (b.buildstatus === 0) nrsucceeded++;
          else nrfailed++;
        }
      }
      return reorder(
        {
          project: p.name,
          name: j,
          nrscheduled,
          nrsucceeded,
          nrfailed,
          nrtotal,
          // Hydra stamps the jobset at every evaluation, so a new eval always moves this.
          lastcheckedtime: Math.max(js.lastcheckedtime ?? 0, e?.timestamp ?? 0) || null,
          starttime: js.starttime,
          checkinterval: js.checkinterval,
          triggertime: js.triggertime,
          fetcherrormsg: js.fetcherrormsg === '' ? null : js.fetcherrormsg,
          errortime: js.errortime,
          haserrormsg: js.errormsg !== '',
        },
        x.rng,
      );
    });
    return jsonOut(list);
  });

  // API.pm queue: `search({finished => 0}, {rows => $nr, order_by => ["priority DESC", "id"]})` over
  // every project, then buildToHash (one jobset lookup) per row.
  route('/api/queue', (c, x) => {
    const nr = rowsParam(c.req.query('nr'));
    if (typeof nr !== 'number') return nr;
    let rows: SimBuildSummary[];
    if (data.queued) {
      const entries = [...data.queued()].sort((a, b) => b.priority - a.priority || a.id - b.id);
      rows = entries.slice(0, nr).map((q) => summary(q.id)).filter((b): b is SimBuildSummary => !!b && b.finished === 0);
    } else {
      const ids = data.unfinishedBuildIds ? [...data.unfinishedBuildIds()] : scanIds(100_000);
      const list = ids.map((id) => data.getBuild(id)).filter((b): b is SimBuild => !!b && b.finished === 0);
      list.sort((a, b) => b.priority - a.priority || a.id - b.id);
      rows = list.slice(0, nr);
    }
    x.charge(costs.apiList + costs.apiPerRow * rows.length, rows.length);
    return jsonOut(rows.map((b) => shortBuild(b, x.rng)));
  });

  // API.pm latestbuilds: finished builds, `order_by => ["id DESC"]`, filtered by each of project,
  // jobset, job, system that is given and not empty; `rows => $nr`, no cap.
  route('/api/latestbuilds', (c, x) => {
    const q = c.req.query();
    const nr = rowsParam(q.nr);
    if (typeof nr !== 'number') return nr;
    const given = (v: string | undefined) => (v !== undefined && v !== '' ? v : undefined);
    const project = given(q.project), jobset = given(q.jobset), job = given(q.job), system = given(q.system);
    const out: SimBuildSummary[] = [];
    const ids: Iterable<number> = data.buildIdsDescending ? data.buildIdsDescending() : scanDown(2_000_000);
    for (const id of ids) {
      if (out.length >= nr) break;
      const b = summary(id);
      if (!b || !b.finished) continue;
      if (project !== undefined && b.project !== project) continue;
      if (jobset !== undefined && b.jobset !== jobset) continue;
      if (job !== undefined && b.job !== job) continue;
      if (system !== undefined && b.system !== system) continue;
      out.push(b);
    }
    x.charge(costs.apiList + costs.apiPerRow * out.length, out.length);
    return jsonOut(out.map((b) => shortBuild(b, x.rng)));
  });

  mountChannelFiles(app, data, { counters, faults });

  app.notFound((c) => {
    const counter = counters.get('(unmatched)');
    counter.requests++;
    counter.statuses[404] = (counter.statuses[404] ?? 0) + 1;
    const json = (c.req.header('accept') ?? '').includes('application/json');
    const out = notFound(json, 'Page not found.');
    return new Response(out.body as string, { status: 404, headers: out.headers });
  });

  function summary(id: number): SimBuildSummary | undefined {
    return data.buildSummary ? data.buildSummary(id) : data.getBuild(id);
  }

  /** `nr` as DBIx::Class takes `rows`: required (else error() -> 500), a positive integer (else it throws -> 500). */
  function rowsParam(raw: string | undefined): number | Out {
    if (raw === undefined) return jsonOut({ error: 'Parameter not defined!' }, 500);
    if (!/^[0-9]+$/.test(raw) || Number(raw) === 0) return jsonOut({ error: 'DBIx::Class::ResultSet::all(): The rows attribute must be a positive integer if present' }, 500);
    return Number(raw);
  }

  function* scanDown(limit: number): Generator<number> {
    const max = data.maxBuildId();
    for (let id = max; id > max - limit && id > 0; id--) yield id;
  }

  function scanIds(limit: number): number[] {
    const ids: number[] = [];
    for (let id = data.maxBuildId(); id > 0 && ids.length < limit; id--) ids.push(id);
    return ids;
  }

  function notFound(json: boolean, message: string): Out {
    return json ? jsonOut({ error: message }, 404) : htmlPage('Not found', `<p class="error">${escapeHtml(message)}</p>`, 404);
  }

  function renamed(project: string, jobset: string, rest: string, c: Context): Out | undefined {
    const to = data.renamedJobset?.(project, jobset);
    if (!to || data.jobset(project, jobset)) return undefined;
    const url = new URL(c.req.url);
    return { status: 301, headers: { location: `${url.origin}/jobset/${project}/${to}${rest}${url.search}` }, body: '' };
  }

  function lookupEval(raw: string, json: boolean): SimEval | Out {
    if (!/^[0-9]+$/.test(raw)) return json ? jsonOut({ error: `Invalid eval ID (${raw}).` }, 400) : htmlPage('Error', 'Invalid eval ID', 400);
    return data.getEval(Number(raw)) ?? notFound(json, `Evaluation ${raw} doesn't exist.`);
  }

  function lookupBuild(raw: string, json: boolean): SimBuild | Out {
    if (!/^[0-9]+$/.test(raw)) return json ? jsonOut({ error: `Invalid build ID (${raw}).` }, 400) : htmlPage('Error', 'Invalid build ID', 400);
    return data.getBuild(Number(raw)) ?? notFound(json, `Build with ID ${raw} doesn't exist.`);
  }

  function buildRows(b: SimBuild): number {
    return 1 + b.jobsetevals.length + Object.keys(b.buildoutputs).length + Object.keys(b.buildproducts).length + Object.keys(b.buildmetrics).length;
  }

  // Derivations the server has shown (builds and steps), for /log lookups when the data cannot
  // tell a build from its derivation. Bounded.
  const drvIndex = new Map<string, number>();
  function remember(b: { id: number; drvpath: string }): void {
    if (drvIndex.size >= 200_000) drvIndex.delete(drvIndex.keys().next().value!);
    drvIndex.set(b.drvpath, b.id);
  }

  function buildOfDrv(drv: string): SimBuild | undefined {
    const id = data.buildOfDrv?.(drv) ?? drvIndex.get(drv);
    const b = id === undefined ? undefined : data.getBuild(id);
    return b && b.drvpath === drv ? b : undefined;
  }

  /**
   * The build's log (plain text), if the build owning `drv` has run. A build whose dependency
   * failed (2), cancelled before it started (4) or with no machine for its system (9) never
   * ran its derivation: Hydra has no log of it.
   */
  function logOf(drv: string): string | undefined {
    const b = buildOfDrv(drv);
    if (!b || (!b.finished && b.buildstatus === null)) return undefined;
    const own = data.buildLog?.(b.id);
    if (own !== undefined) return own;
    return b.buildstatus !== null && NEVER_RAN.has(b.buildstatus) ? undefined : defaultLog(b);
  }

  /** The failed steps the build page shows: the model's, else the build's own step when it failed itself. */
  function stepsOf(b: SimBuild): (StepPageStep & { buildId: number })[] {
    if (!b.finished || b.buildstatus === null || b.buildstatus === 0) return [];
    const fromModel = data.failedSteps?.(b.id) ?? [];
    if (fromModel.length) {
      return fromModel.map((s) => {
        const dep = s.propagatedFrom === undefined ? undefined : data.getBuild(s.propagatedFrom);
        return {
          nr: s.nr,
          outputs: s.outputs,
          status: s.status as StepStatusText,
          propagatedFrom: s.propagatedFrom ?? null,
          drvpath: s.drvpath ?? dep?.drvpath ?? drvForOutputs(s.outputs),
          errorMsg: s.errorMsg,
          machine: s.machine,
          duration: s.duration,
          buildId: s.stepBuildId ?? s.propagatedFrom ?? b.id,
        };
      });
    }
    const own = OWN_STEP_STATUS[b.buildstatus];
    if (!own) return [];
    const duration = b.starttime !== null && b.stoptime !== null ? b.stoptime - b.starttime : undefined;
    return [{ nr: 1, outputs: Object.values(b.buildoutputs).map((o) => o.path ?? ''), status: own, propagatedFrom: null, drvpath: b.drvpath, machine: 'builder-x86_64-01', duration, buildId: b.id }];
  }

  function pageBuild(b: SimBuild): BuildPageBuild {
    return {
      id: b.id, job: b.job, project: b.project, jobset: b.jobset, system: b.system, buildstatus: b.buildstatus, finished: b.finished,
      drvpath: b.drvpath, outputs: Object.values(b.buildoutputs).map((o) => o.path ?? ''),
    };
  }

  function buildPage(b: SimBuild, origin: string): Out {
    const steps = stepsOf(b);
    for (const s of steps) remember({ id: s.buildId, drvpath: s.drvpath });
    const html = renderBuildPageHtml(pageBuild(b), steps, { baseUrl: origin, style: 'new' });
    return { status: 200, headers: { 'content-type': HTML_TYPE }, body: html };
  }

  return { app, counters, faults, limiter, config, costs };
}

/** Builds the Response: streams generator bodies with backpressure, counts bytes, applies body faults. */
function toResponse(out: Out, counter: RouteCounter, fault: Fault | undefined, outgoing: ServerResponse | undefined, done: () => void): Response {
  const enc = new TextEncoder();
  const headers = new Headers(out.headers);
  const isString = typeof out.body === 'string';
  if (!fault && isString) {
    const bytes = enc.encode(out.body as string);
    counter.bytes += bytes.length;
    queueMicrotask(done);
    return new Response(out.status === 302 || out.status === 301 ? null : bytes, { status: out.status, headers });
  }
  const full = isString ? enc.encode(out.body as string) : undefined;
  const iter: Iterator<string> | undefined = isString ? undefined : (out.body as () => Generator<string>)();
  let sent = 0;
  let limit = Infinity; // bytes to send before the fault acts
  if (fault?.kind === 'cut') limit = fault.afterBytes;
  // Unset positions default to half the body (streamed: half of its first non-empty chunk).
  if (fault?.kind === 'truncate') limit = fault.bytes ?? (full ? Math.floor(full.length / 2) : -1);
  if (fault?.kind === 'malformed') limit = fault.atByte ?? (full ? Math.floor(full.length / 2) : -1);
  if (full && fault?.kind === 'cut') headers.set('content-length', String(full.length)); // promise more than we send
  let pendingFull = full;
  let stopped = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        if (stopped) return;
        let chunk: Uint8Array | undefined;
        if (pendingFull) {
          chunk = pendingFull;
          pendingFull = undefined;
        } else if (iter) {
          // Skip empty strings so every pull enqueues something (or ends).
          for (let r = iter.next(); ; r = iter.next()) {
            if (r.done) break;
            if (r.value === CUT_HERE) {
              // The bulk list cut mid-stream: what was sent reaches the socket, then the connection drops.
              stopped = true;
              await new Promise((res) => setTimeout(res, 30));
              if (outgoing?.socket) {
                outgoing.socket.destroy();
                ctrl.close();
              } else ctrl.error(new Error('connection cut by simulated fault'));
              done();
              return;
            }
            if (r.value.length) {
              chunk = enc.encode(r.value);
              break;
            }
          }
        }
        if (!chunk) {
          ctrl.close();
          done();
          return;
        }
        if (limit === -1) limit = sent + Math.floor(chunk.length / 2);
        if (sent + chunk.length <= limit) {
          sent += chunk.length;
          counter.bytes += chunk.length;
          ctrl.enqueue(chunk);
          return;
        }
        // The fault acts inside this chunk.
        const head = chunk.subarray(0, Math.max(0, limit - sent));
        const tail = chunk.subarray(head.length);
        if (head.length) ctrl.enqueue(head);
        counter.bytes += head.length;
        sent += head.length;
        if (fault?.kind === 'malformed') {
          const garbage = enc.encode('\u0000,]}{"oops":');
          ctrl.enqueue(garbage);
          counter.bytes += garbage.length + tail.length;
          if (tail.length) ctrl.enqueue(tail);
          limit = Infinity;
          return;
        }
        stopped = true;
        if (fault?.kind === 'truncate') {
          ctrl.close();
          done();
          return;
        }
        // cut: let the head reach the socket, then drop the connection mid-body.
        await new Promise((r) => setTimeout(r, 30));
        if (outgoing?.socket) {
          outgoing.socket.destroy();
          ctrl.close();
        } else ctrl.error(new Error('connection cut by simulated fault')); // app.request(): no socket

        done();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(stream, { status: out.status, headers });
}

/** The simulator and where it listens. */
export interface RunningHydraSim extends HydraSimApp, LocalServer {}

/** Starts the simulator on 127.0.0.1 (port 0 = random) and resolves once it listens. */
export async function startHydraSim(source: DataSource, opts: HydraSimOptions & { port?: number } = {}): Promise<RunningHydraSim> {
  const sim = createHydraSimApp(source, opts);
  return { ...sim, ...(await serveLocal(sim.app.fetch, opts.port)) };
}
