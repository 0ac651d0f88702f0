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
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { mountChannelFiles } from './packages-json.ts';
import { serveLocal } from './serve-local.ts';
import { type HydraData, type SimBuild, type SimEval, prng } from './model.ts';

// ---------- options ----------

export interface RateLimitOptions {
  /** Tokens added per second. */
  rps: number;
  /** Bucket size. */
  burst: number;
}

export interface HydraSimOptions {
  /** Per client IP; default { rps: 2, burst: 7 } like hydra.nixos.org; false lifts it. */
  rateLimit?: RateLimitOptions | false;
  /** Seeds key shuffling and probabilistic faults. */
  seed?: number;
  /** Shuffle object keys per object (default true): clients must not rely on key order. */
  shuffleKeys?: boolean;
  /** Builds per chunk written when streaming /eval/:id/builds (default 200). */
  streamChunkBuilds?: number;
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

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private opts: RateLimitOptions | false) {}

  configure(opts: RateLimitOptions | false): void {
    this.opts = opts;
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }

  /** 0 when allowed (a token is taken), else the seconds to wait (for Retry-After). */
  take(ip: string, nowMs = performance.now()): number {
    if (!this.opts) return 0;
    const { rps, burst } = this.opts;
    let b = this.buckets.get(ip);
    if (!b) this.buckets.set(ip, (b = { tokens: burst, at: nowMs }));
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * rps);
    b.at = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rps));
  }
}

// ---------- counters ----------

export interface RouteCounter {
  requests: number;
  bytes: number;
  statuses: Record<number, number>;
}

export class Counters {
  private routes = new Map<string, RouteCounter>();
  /** 429s sent by the rate limiter (fault-injected 429s show only in statuses). */
  rateLimited = 0;

  get(route: string): RouteCounter {
    let c = this.routes.get(route);
    if (!c) this.routes.set(route, (c = { requests: 0, bytes: 0, statuses: {} }));
    return c;
  }

  snapshot(): Record<string, RouteCounter> {
    const out: Record<string, RouteCounter> = {};
    for (const [k, v] of this.routes) out[k] = { requests: v.requests, bytes: v.bytes, statuses: { ...v.statuses } };
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

  reset(): void {
    this.routes.clear();
    this.rateLimited = 0;
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

function shortBuild(b: SimBuild, rng: Rng | null): Record<string, unknown> {
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

const STATUS_TEXT: Record<number, string> = {
  0: 'Succeeded', 1: 'Failed', 2: 'Dependency failed', 3: 'Aborted', 4: 'Cancelled', 5: 'Obsolete', 6: 'Failed with output',
  7: 'Timed out', 9: 'Unsupported system type', 10: 'Log limit exceeded', 11: 'Output limit exceeded', 12: 'Non-deterministic build',
};

// ---------- the app ----------

export interface HydraSimApp {
  app: Hono<{ Bindings: HttpBindings }>;
  counters: Counters;
  faults: Faults;
  limiter: RateLimiter;
}

export function createHydraSimApp(source: DataSource, opts: HydraSimOptions = {}): HydraSimApp {
  const data: HydraData = 'data' in source && typeof (source as { data: unknown }).data === 'object' ? (source as { data: HydraData }).data : (source as HydraData);
  const seed = opts.seed ?? 0x5eed;
  const counters = new Counters();
  const faults = new Faults(prng(seed ^ 0xfa17));
  const limiter = new RateLimiter(opts.rateLimit === undefined ? { rps: 2, burst: 7 } : opts.rateLimit);
  const chunkBuilds = opts.streamChunkBuilds ?? 200;
  let responseNr = 0;
  const app = new Hono<{ Bindings: HttpBindings }>();

  type Handler = (c: Context<{ Bindings: HttpBindings }>, x: { json: boolean; rng: Rng | null; origin: string }) => Out | Promise<Out>;

  const route = (pattern: string, handler: Handler) => {
    app.get(pattern, (c) => run(c, pattern, handler));
  };

  async function run(c: Context<{ Bindings: HttpBindings }>, routeKey: string, handler: Handler): Promise<Response> {
    const url = new URL(c.req.url);
    const pathAndQuery = url.pathname + url.search;
    const counter = counters.get(routeKey);
    counter.requests++;
    const ip = c.env?.incoming?.socket?.remoteAddress ?? 'local';
    const wait = limiter.take(ip);
    let out: Out;
    let bodyFault: Fault | undefined;
    const hooks: Fault[] = [];
    if (wait > 0) {
      counters.rateLimited++;
      out = { status: 429, headers: { 'content-type': HTML_TYPE, 'retry-after': String(wait) }, body: proxyErrorPage(429) };
    } else {
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
        try {
          out = await handler(c, { json, rng, origin: url.origin });
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
    if (!x.json) return htmlPage(`Jobset ${project}:${jobset}`, `<p>${escapeHtml(js.description)}</p><a href="${x.origin}/jobset/${project}/${jobset}/evals">Evaluations</a>`);
    return jsonOut(reorder({ ...js, inputs: reorderRecord(js.inputs, x.rng) }, x.rng));
  });

  route('/project/:project', (c, x) => {
    const p = data.projects().find((p) => p.name === c.req.param('project'));
    if (!p) return notFound(x.json, `Project ‘${c.req.param('project')}’ doesn't exist.`);
    if (!x.json) return htmlPage(`Project ${p.displayname}`, `<ul>${p.jobsets.map((j) => `<li><a href="${x.origin}/jobset/${p.name}/${j}">${j}</a></li>`).join('')}</ul>`);
    return jsonOut(reorder({ ...p, jobsets: [...p.jobsets] }, x.rng));
  });

  route('/eval/:id', (c, x) => {
    const e = lookupEval(c.req.param('id')!, x.json);
    if ('status' in e) return e;
    if (!x.json) return htmlPage(`Evaluation ${e.id}`, `<p>Revision ${e.inputs.nixpkgs?.revision ?? ''}; ${e.buildCount} builds.</p>`);
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: () => evalChunks(e, x.rng) };
  });

  route('/eval/:id/builds', (c, x) => {
    const e = lookupEval(c.req.param('id')!, x.json);
    if ('status' in e) return e;
    if (!x.json) return htmlPage(`Builds of evaluation ${e.id}`, `<p>${e.buildCount} builds.</p>`);
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
    if (!x.json) return buildPage(build, x.origin);
    return jsonOut(buildObject(build, x.rng));
  });

  route('/build/:id/constituents', (c, x) => {
    const b = lookupBuild(c.req.param('id')!, x.json);
    if ('status' in b && 'headers' in b) return b;
    const list = data.constituents((b as SimBuild).id).map((id) => data.getBuild(id)).filter((v): v is SimBuild => !!v);
    if (!x.json) return htmlPage(`Constituents of build ${(b as SimBuild).id}`, `<ul>${list.map((m) => `<li>${escapeHtml(m.job)}</li>`).join('')}</ul>`);
    return jsonOut(list.map((m) => buildObject(m, x.rng)));
  });

  route('/api/jobsets', (c, x) => {
    const name = c.req.query('project');
    if (name === undefined) return jsonOut({ error: "Parameter 'project' not defined!" }, 400);
    const p = data.projects().find((p) => p.name === name);
    if (!p) return jsonOut({ error: `Project ${name} doesn't exist.` }, 404);
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

  route('/api/queue', (c, x) => {
    const nr = parseInt(c.req.query('nr') ?? '', 10);
    if (!Number.isFinite(nr)) return jsonOut({ error: 'Parameter not defined!' }, 400);
    const ids = data.unfinishedBuildIds ? [...data.unfinishedBuildIds()] : scanIds(100_000);
    const list = ids.map((id) => data.getBuild(id)).filter((b): b is SimBuild => !!b && b.finished === 0);
    list.sort((a, b) => b.priority - a.priority || a.id - b.id);
    return jsonOut(list.slice(0, Math.max(0, nr)).map((b) => shortBuild(b, x.rng)));
  });

  route('/api/latestbuilds', (c, x) => {
    const q = c.req.query();
    const nr = parseInt(q.nr ?? '', 10);
    if (!Number.isFinite(nr)) return jsonOut({ error: 'Parameter not defined!' }, 400);
    const out: SimBuild[] = [];
    const max = data.maxBuildId();
    // Newest finished builds by id: scan ids downward (bounded so a sparse filter stays cheap).
    for (let id = max; id > max - 2_000_000 && id > 0 && out.length < nr; id--) {
      const b = data.getBuild(id);
      if (!b || !b.finished) continue;
      if (q.project && b.project !== q.project) continue;
      if (q.jobset && b.jobset !== q.jobset) continue;
      if (q.job && b.job !== q.job) continue;
      if (q.system && b.system !== q.system) continue;
      out.push(b);
    }
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

  function buildPage(b: SimBuild, origin: string): Out {
    const status = b.finished ? (STATUS_TEXT[b.buildstatus ?? -1] ?? `Status ${b.buildstatus}`) : 'Scheduled to be built';
    let body = `<table class="info-table"><tr><th>Build ID:</th><td>${b.id}</td></tr><tr><th>Status:</th><td>${escapeHtml(status)}</td></tr><tr><th>Job:</th><td>${escapeHtml(`${b.project}:${b.jobset}:${b.job}`)}</td></tr></table>`;
    const steps = data.failedSteps?.(b.id) ?? [];
    if (b.finished && steps.length) {
      // Shape of Hydra's build page (see HYDRA-API.md): heading, then the step table right after it.
      const rows = steps.map((s) => {
        const prop = s.propagatedFrom !== undefined ? ` (propagated from <a href="${origin}/build/${s.propagatedFrom}">build ${s.propagatedFrom}</a>)` : '';
        return `<tr><td>${s.nr}</td><td>Build of <tt>${s.outputs.map(escapeHtml).join(',<br/>')}</tt></td><td>0s</td><td><tt>localhost</tt></td><td class="step-status"><span class="error">${escapeHtml(s.status)}</span> <a class="btn btn-secondary btn-sm" href="${origin}/build/${b.id}/step/${s.nr}/log">log</a>${prop}</td></tr>`;
      });
      body += `\n<h3>Failed build steps</h3>\n<table class="table table-striped table-condensed clickable-rows"><thead><tr><th>Nr</th><th>Step</th><th>Duration</th><th>Machine</th><th>Status</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
    }
    return htmlPage(`Build ${b.id} of job ${b.project}:${b.jobset}:${b.job}`, body);
  }

  return { app, counters, faults, limiter };
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

export interface RunningHydraSim extends HydraSimApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the simulator on 127.0.0.1 (port 0 = random) and resolves once it listens. */
export async function startHydraSim(source: DataSource, opts: HydraSimOptions & { port?: number } = {}): Promise<RunningHydraSim> {
  const sim = createHydraSimApp(source, opts);
  return { ...sim, ...(await serveLocal(sim.app.fetch, opts.port)) };
}
