import { silentLogger, type Logger } from '../log.ts';
import { isHydraBuildPage, tailLines } from './build-page.ts';
import { parseBuildsOffThread } from './build-parser.ts';
import { HttpTransport, type HttpResponse } from './http.ts';
import { parseJsonArrayStream, streamArrayField, TruncatedJsonError } from './json-stream.ts';
import {
  asBuild, asEval, asEvalsPage, asJobsetSummaries, asLatestBuilds, asQueue, toBuildRecord,
  type HydraBuild, type HydraBuildRecord, type HydraEval, type HydraEvalsPage, type HydraJobsetSummary, type HydraQueueItem, type HydraShortBuild,
} from './types.ts';

/** A request that failed for good (after retries, or with a status that retrying cannot fix). */
export class HydraError extends Error {
  constructor(message: string, readonly url: string, readonly status: number | null, readonly attempts: number) {
    super(`${message} (url=${url} status=${status ?? '-'} attempts=${attempts})`);
  }
}
export class HydraNotFound extends HydraError {}
/**
 * The filter in front of Hydra answered HTML (200 text/html) instead of JSON: our user agent or
 * network is blocked. Retrying is pointless, so the client backs off for `filteredBackoffMs`.
 */
export class HydraFiltered extends HydraError {}

/** A transient failure worth retrying; carries the server's Retry-After when it sent one. */
class RetryableError extends Error {
  constructor(message: string, readonly status: number | null, readonly retryAfterMs: number | null = null) {
    super(message);
  }
}

export interface HydraClientOptions {
  baseUrl: string;
  userAgent: string;
  /** Request budget: sustained requests per second and burst (token bucket). */
  rps: number;
  burst: number;
  maxAttempts?: number;
  /** First backoff step; doubles each attempt (full jitter), capped at maxBackoffMs. */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /** Per-endpoint budgets: time to response headers, and the longest silence inside a body. */
  timeouts?: Partial<Record<Endpoint, { headersMs: number; idleMs: number }>>;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Seeded jitter in tests; Math.random otherwise. */
  random?: () => number;
  /** Bulk build lists expected to hold at least this many builds are parsed off the main thread (default 20,000). */
  offThreadParseMin?: number;
  /** After the filter answers HTML, every request fails at once for this long (default 1 h). */
  filteredBackoffMs?: number;
}

/**
 * Share of the configured budget the token bucket uses: requests leave a little below the rate,
 * and two tokens of the burst stay unused, so that a strict limiter at exactly the configured
 * rate and burst (hydra.nixos.org's 2/s, burst 7) never answers 429 when network jitter bunches
 * requests together on arrival.
 */
export const RATE_MARGIN = 0.9;
export const BURST_MARGIN = 2;

export type Endpoint = 'evals' | 'evalBuilds' | 'build' | 'buildPage' | 'constituents' | 'jobsets' | 'queue' | 'latestBuilds' | 'packagesJson' | 'log';

// The bulk builds list for a nixpkgs eval has taken over 300 s on hydra.nixos.org (HYDRA-API.md).
const defaultTimeouts: Record<Endpoint, { headersMs: number; idleMs: number }> = {
  evals: { headersMs: 300_000, idleMs: 120_000 },
  evalBuilds: { headersMs: 900_000, idleMs: 180_000 },
  build: { headersMs: 30_000, idleMs: 30_000 },
  buildPage: { headersMs: 60_000, idleMs: 30_000 },
  constituents: { headersMs: 60_000, idleMs: 60_000 },
  jobsets: { headersMs: 30_000, idleMs: 30_000 },
  queue: { headersMs: 60_000, idleMs: 60_000 },
  latestBuilds: { headersMs: 300_000, idleMs: 120_000 },
  // The channel's packages.json comes from the channels' CDN, not Hydra.
  packagesJson: { headersMs: 60_000, idleMs: 60_000 },
  // A person is waiting for it. Hydra tails a local file (bzip2 -dc first when compressed), or
  // redirects to the binary cache, which sends the whole log.
  log: { headersMs: 30_000, idleMs: 30_000 },
};

/**
 * Bytes of a log body kept while reading it: the end of the log, enough for 500 lines of
 * 8 KiB. A log from the binary cache comes whole (up to Hydra's log limit, 64 MiB and more).
 */
export const LOG_TAIL_BYTES = 4 * 1024 * 1024;

export interface HydraStats {
  /** Requests by `endpoint status` (status `error` for network failures). */
  requests: Map<string, number>;
  bytes: Map<Endpoint, number>;
  retries: number;
  rateLimited: number;
  waitedMs: number;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Token bucket shared by every request of one client; a 429 pauses it for Retry-After. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  private pausedUntil = 0;
  private chain: Promise<void> = Promise.resolve();

  private rps: number;
  private burst: number;

  constructor(rps: number, burst: number, private sleep: (ms: number) => Promise<void>) {
    this.rps = rps * RATE_MARGIN;
    this.burst = Math.max(1, burst - BURST_MARGIN);
    this.tokens = this.burst;
  }

  pause(ms: number) {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Resolves when a request may go; requests are served in arrival order. Returns time waited. */
  take(): Promise<number> {
    const started = Date.now();
    const turn = this.chain.then(async () => {
      for (;;) {
        const now = Date.now();
        if (now < this.pausedUntil) {
          await this.sleep(this.pausedUntil - now);
          continue;
        }
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rps);
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.sleep(Math.ceil(((1 - this.tokens) / this.rps) * 1000));
      }
    });
    this.chain = turn.catch(() => {});
    return turn.then(() => Date.now() - started);
  }
}

function parseRetryAfter(v: string | null): number | null {
  if (!v) return null;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

/**
 * The one Hydra client: every request to Hydra goes through here. It owns politeness (token
 * bucket, User-Agent, Retry-After), retries with backoff, timeouts, and refuses anything
 * that is not complete JSON (bot-check pages arrive as HTML with status 200).
 */
export class HydraClient {
  readonly stats: HydraStats = { requests: new Map(), bytes: new Map(), retries: 0, rateLimited: 0, waitedMs: 0 };
  /** Set while the filter blocks us: the health status to show (null when requests go through). */
  filtered: { message: string; until: number } | null = null;
  /** When aborted, requests in flight stop and new ones fail at once (clean shutdown). */
  abortSignal: AbortSignal | undefined;
  private bucket: TokenBucket;
  private http = new HttpTransport();
  private log: Logger;
  private sleep: (ms: number) => Promise<void>;
  private random: () => number;

  constructor(private opts: HydraClientOptions) {
    this.sleep = opts.sleep ?? sleepReal;
    this.bucket = new TokenBucket(opts.rps, opts.burst, this.sleep);
    this.log = opts.logger ?? silentLogger;
    this.random = opts.random ?? Math.random;
  }

  get baseUrl() {
    return this.opts.baseUrl;
  }

  /** Closes idle connections to Hydra; the client still works after (it reconnects). */
  close(): void {
    this.http.close();
  }

  jobsetSummaries(project: string): Promise<HydraJobsetSummary[]> {
    return this.json('jobsets', `/api/jobsets?project=${encodeURIComponent(project)}`, asJobsetSummaries);
  }

  /**
   * One page of a jobset's evals, newest first. The page carries every eval's full build array
   * (tens of MB for nixpkgs), so it is read as a stream, eval by eval: when `stopAt` returns true
   * for an eval, reading stops there and the page comes back with `stopped: true`, the evals up
   * to that one, and no paging links (a collector that meets a known eval needs nothing older).
   */
  evalsPage(project: string, jobset: string, page = 1, stopAt?: (e: HydraEval) => boolean): Promise<HydraEvalsPage> {
    return this.request('evals', `/jobset/${enc(project)}/${enc(jobset)}/evals?page=${page}`, async (res, tick) => {
      const evals: HydraEval[] = [];
      const bytes = countBytes(res.body, (n) => {
        this.addBytes('evals', n);
        tick();
      });
      const { stopped, rest } = await streamArrayField(bytes, 'evals', (v) => {
        const e = asEval(v);
        evals.push(e);
        return stopAt?.(e) === true;
      });
      if (stopped || !rest) return { evals, stopped: true };
      return { ...asEvalsPage({ ...rest, evals: [] }), evals };
    });
  }

  /** One build; `maxAttempts` lowers the retries when a person is waiting for the answer. */
  build(id: number, maxAttempts?: number): Promise<HydraBuild> {
    return this.json('build', `/build/${id}`, asBuild, maxAttempts);
  }

  /**
   * The HTML build page (for its "Failed build steps": there is no JSON for build steps). A page
   * that is not Hydra's build page for `id` is the filter's generated HTML.
   */
  buildPage(id: number): Promise<string> {
    return this.request('buildPage', `/build/${id}`, async (res, tick) => {
      const chunks: Uint8Array[] = [];
      for await (const c of res.body) {
        chunks.push(c);
        this.addBytes('buildPage', c.length);
        tick();
      }
      const html = Buffer.concat(chunks).toString('utf8');
      if (!isHydraBuildPage(html, id)) throw this.filteredAnswer(this.url(`/build/${id}`), res.headers.get('content-type') ?? '');
      return html;
    }, { accept: 'text/html', acceptType: (type) => type.includes('html') });
  }

  constituents(id: number): Promise<HydraBuild[]> {
    return this.json('constituents', `/build/${id}/constituents`, (v) => {
      if (!Array.isArray(v)) throw new Error('constituents: not an array');
      return v.map(asBuild);
    });
  }

  queue(nr: number): Promise<HydraQueueItem[]> {
    return this.json('queue', `/api/queue?nr=${nr}`, asQueue);
  }

  /**
   * The jobset's newest `nr` finished builds, by build id descending, in the short shape (job,
   * system, status; no derivation): one query per row for Hydra, a fifth of `/eval/:id/builds`.
   */
  latestBuilds(project: string, jobset: string, nr: number): Promise<HydraShortBuild[]> {
    return this.json('latestBuilds', `/api/latestbuilds?project=${enc(project)}&jobset=${enc(jobset)}&nr=${nr}`, asLatestBuilds);
  }

  /**
   * The last `n` lines of a derivation's build log: `/log/{basename}?tail=n`, plain text
   * (Controller/Root.pm `log`). Hydra without the log file redirects to its `log_prefix`
   * (hydra.nixos.org: the binary cache), which ignores `tail` and sends the whole log, so the
   * lines are counted here, from the end, keeping only the last LOG_TAIL_BYTES of the body.
   * A person is waiting: one retry by default, not the collector's six.
   */
  logTail(drvPath: string, n: number, maxAttempts = 2): Promise<string[]> {
    const base = drvPath.slice(drvPath.lastIndexOf('/') + 1);
    return this.request('log', `/log/${enc(base)}?tail=${Math.max(1, Math.floor(n))}`, async (res, tick) => {
      const kept: Uint8Array[] = [];
      let keptBytes = 0;
      let cut = false;
      for await (const c of res.body) {
        this.addBytes('log', c.length);
        tick();
        kept.push(c);
        keptBytes += c.length;
        while (kept.length > 1 && keptBytes - kept[0]!.length >= LOG_TAIL_BYTES) {
          keptBytes -= kept.shift()!.length;
          cut = true;
        }
      }
      let text = Buffer.concat(kept).toString('utf8');
      // Reading started inside a line (maybe inside a character): that line is not whole.
      if (cut) text = text.slice(text.indexOf('\n') + 1);
      return tailLines(text, n);
    }, { accept: 'text/plain', acceptType: (type) => !type.includes('html'), maxAttempts });
  }

  /**
   * Streams every member build of an eval, in batches. On a failure mid-stream the whole
   * request is retried, so `onBatch` must be idempotent (callers key builds by id). A list
   * `expected` to hold at least `offThreadParseMin` builds is parsed in a worker thread
   * (`parseBuildsOffThread`), so that parsing overlaps what `onBatch` waits for.
   */
  async streamEvalBuilds(id: number, onBatch: (builds: HydraBuildRecord[]) => void | Promise<void>, expected = 0, maxAttempts?: number): Promise<number> {
    const path = `/eval/${id}/builds`;
    const offThread = expected >= (this.opts.offThreadParseMin ?? 20_000);
    return this.request('evalBuilds', path, async (res, tick) => {
      let n = 0;
      const body = countBytes(res.body, (b) => { this.addBytes('evalBuilds', b); tick(); });
      const batches = offThread ? parseBuildsOffThread(body) : mapBatches(parseJsonArrayStream(body), (v) => toBuildRecord(asBuild(v)));
      for await (const builds of batches) {
        n += builds.length;
        await onBatch(builds);
      }
      return n;
    }, { maxAttempts });
  }

  /** Records a filtered answer: one log line per back-off period, the health status, and the back-off. */
  private filteredAnswer(url: string, type: string): HydraFiltered {
    const host = new URL(this.opts.baseUrl).host;
    const message = `${host}'s filter answered HTML: user agent or network blocked; user agent in use: ${this.opts.userAgent}`;
    const backoffMs = this.opts.filteredBackoffMs ?? 3600_000;
    this.filtered = { message, until: Date.now() + backoffMs };
    this.log.error(message, { url, contentType: type || null, retryInMs: backoffMs });
    return new HydraFiltered(message, url, 200, 1);
  }

  /**
   * A file outside Hydra (the channel's packages.json) through the same politeness, timeouts and
   * retries. `handle` reads the body (`tick` on every chunk keeps the idle timeout away) and may
   * run again on a retry, from the start. Any content type but HTML is accepted: the channel
   * serves JSON, or brotli as a plain download.
   */
  fetchFile<T>(url: string, handle: (res: HttpResponse, tick: () => void) => Promise<T>, redirect: 'follow' | 'manual' = 'follow'): Promise<T> {
    return this.request('packagesJson', url, async (res, tick) => {
      const counted: HttpResponse = { ...res, body: countBytes(res.body, (n) => { this.addBytes('packagesJson', n); tick(); }) };
      return handle(counted, tick);
    }, { redirect, acceptType: (type) => !type.includes('html') });
  }

  private url(path: string) {
    return /^https?:\/\//.test(path) ? path : this.opts.baseUrl + path;
  }

  private addBytes(endpoint: Endpoint, n: number) {
    this.stats.bytes.set(endpoint, (this.stats.bytes.get(endpoint) ?? 0) + n);
  }

  private count(endpoint: Endpoint, status: number | string) {
    const k = `${endpoint} ${status}`;
    this.stats.requests.set(k, (this.stats.requests.get(k) ?? 0) + 1);
  }

  private json<T>(endpoint: Endpoint, path: string, parse: (v: unknown) => T, maxAttempts?: number): Promise<T> {
    return this.request(endpoint, path, async (res, tick) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const c of res.body) {
        chunks.push(c);
        size += c.length;
        tick();
      }
      this.addBytes(endpoint, size);
      const text = Buffer.concat(chunks).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new RetryableError(`body is not complete JSON (${size} bytes)`, res.status);
      }
      return parse(value);
    }, { maxAttempts });
  }

  /** One logical request with politeness, timeouts and retries; `handle` reads a 2xx (or 3xx with redirect off). */
  private async request<T>(
    endpoint: Endpoint,
    path: string,
    handle: (res: HttpResponse, tick: () => void) => Promise<T>,
    init: { redirect?: 'follow' | 'manual'; accept?: string; acceptType?: (type: string) => boolean; maxAttempts?: number } = {},
  ): Promise<T> {
    const url = this.url(path);
    const maxAttempts = init.maxAttempts ?? this.opts.maxAttempts ?? 6;
    const timeouts = { ...defaultTimeouts[endpoint], ...this.opts.timeouts?.[endpoint] };
    for (let attempt = 1; ; attempt++) {
      if (this.abortSignal?.aborted) throw new HydraError('aborted by shutdown', url, null, attempt);
      // Blocked by the filter: no request until the back-off ends (the first answer was logged).
      if (this.filtered && Date.now() < this.filtered.until) throw new HydraFiltered(this.filtered.message, url, 200, 0);
      this.stats.waitedMs += await this.bucket.take();
      const ctrl = new AbortController();
      const onShutdown = () => ctrl.abort(new Error('aborted by shutdown'));
      this.abortSignal?.addEventListener('abort', onShutdown, { once: true });
      let timer = setTimeout(() => ctrl.abort(new Error(`no response headers within ${timeouts.headersMs} ms`)), timeouts.headersMs);
      const tick = () => {
        clearTimeout(timer);
        timer = setTimeout(() => ctrl.abort(new Error(`body stalled for ${timeouts.idleMs} ms`)), timeouts.idleMs);
      };
      try {
        const res = await this.http.get(url, {
          headers: { accept: init.accept ?? 'application/json', 'user-agent': this.opts.userAgent },
          redirect: init.redirect ?? 'follow',
          signal: ctrl.signal,
        });
        this.count(endpoint, res.status);
        tick();
        if (res.status === 429 || res.status >= 500) {
          const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
          if (res.status === 429) {
            this.stats.rateLimited++;
            this.bucket.pause(retryAfter ?? 1000);
          }
          res.cancel();
          throw new RetryableError(`HTTP ${res.status}`, res.status, retryAfter);
        }
        if (res.status === 404) {
          res.cancel();
          throw new HydraNotFound('not found', url, 404, attempt);
        }
        if (res.status >= 400) {
          const body = await res.text().catch(() => '');
          throw new HydraError(`HTTP ${res.status}: ${body.slice(0, 200)}`, url, res.status, attempt);
        }
        if (res.status >= 300) return await handle(res, tick);
        const type = res.headers.get('content-type') ?? '';
        if (!(init.acceptType ?? ((t: string) => t.includes('json')))(type)) {
          // The filter answers 200 with generated HTML: never data, and asking again changes nothing.
          res.cancel();
          throw this.filteredAnswer(url, type);
        }
        this.filtered = null;
        return await handle(res, tick);
      } catch (err) {
        if (err instanceof HydraError) throw err;
        if (this.abortSignal?.aborted) throw new HydraError('aborted by shutdown', url, null, attempt);
        const retryable = err instanceof RetryableError || isNetworkError(err);
        // Our own timeouts abort the request: name them rather than the transport's "aborted".
        const reason = ctrl.signal.aborted && ctrl.signal.reason instanceof Error ? ctrl.signal.reason.message
          : err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
        const status = err instanceof RetryableError ? err.status : null;
        if (!retryable || attempt >= maxAttempts) {
          // Debug only: the caller decides what a failure means, and a failed sync logs one line.
          this.log.debug('hydra request failed', { url, attempt, reason });
          throw new HydraError(reason, url, status, attempt);
        }
        if (!(err instanceof RetryableError)) this.count(endpoint, 'error');
        const base = this.opts.retryBaseMs ?? 1000;
        // Jitter over the upper half of the step: spread out, but never an instant retry.
        const step = Math.min(this.opts.maxBackoffMs ?? 60_000, base * 2 ** (attempt - 1));
        const backoff = step / 2 + (step / 2) * this.random();
        const wait = Math.max(backoff, err instanceof RetryableError && err.retryAfterMs !== null ? err.retryAfterMs : 0);
        this.stats.retries++;
        this.log.debug('hydra request will be retried', { url, attempt, reason, waitMs: Math.round(wait) });
        await this.sleep(wait);
      } finally {
        clearTimeout(timer);
        this.abortSignal?.removeEventListener('abort', onShutdown);
      }
    }
  }
}

function enc(s: string) {
  return encodeURIComponent(s);
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Resets, refused connections and DNS failures carry a system error code (ECONNRESET…); our
  // timeouts abort the request (AbortError); a body cut short fails to parse or decompress.
  const code = (err as { code?: unknown }).code;
  return err.name === 'AbortError' || err.name === 'TimeoutError' || err instanceof SyntaxError || err instanceof TruncatedJsonError
    || (typeof code === 'string' && (/^E(?!RR_)[A-Z_]+$/.test(code) || code === 'ERR_STREAM_PREMATURE_CLOSE' || code.startsWith('Z_')))
    || /terminated|ECONNRESET|socket|aborted|timeout|stalled|premature/i.test(err.message);
}

async function* mapBatches<T>(batches: AsyncIterable<unknown[]>, f: (v: unknown) => T): AsyncGenerator<T[]> {
  for await (const batch of batches) yield batch.map(f);
}

async function* countBytes(body: AsyncIterable<Uint8Array>, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const c of body) {
    onChunk(c.length);
    yield c;
  }
}
