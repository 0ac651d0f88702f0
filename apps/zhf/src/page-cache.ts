import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { spliceCsp, spliceReader, templatable, type Reader, type ReaderTemplate } from '../../dashboard/src/lib/server/reader-template.ts';

interface Entry {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
  /** The body gzipped, once compressed (off the event loop, after the entry is stored). */
  gzipped?: Buffer;
  at: number;
  /** When a request started re-rendering this expired entry (0: none is). */
  refreshingSince: number;
}

/**
 * A micro-cache of rendered pages for anonymous readers, who all see the same page for a
 * URL. Any write through this process (a claim, a sync) bumps the generation and empties
 * it; the TTL bounds staleness when another process (a separate collector) writes. When an
 * entry expires, one request re-renders it while the others keep getting the expired copy
 * (for at most one more render), so a busy page never has every reader render it at once.
 * A cached page is gzipped once, for the readers whose browser accepts it (every browser does):
 * the fix list is ~400 KB of HTML and ~40 KB gzipped, and sending it is most of a hit's cost.
 */
export class PageCache {
  private entries = new Map<string, Entry>();
  private generation = 0;

  /** Session cookie value -> who it is (null: nobody), for one TTL or until a write. */
  private readers = new Map<string, { reader: Reader | null; at: number }>();
  /** Requests waiting for the first render of a key nothing is cached for yet. */
  private cold = new Map<string, (() => void)[]>();
  /** Stand-in renders under way, by key: readers arriving meanwhile share them. */
  private rendering = new Map<string, Promise<Pick<Entry, 'status' | 'headers' | 'body'>>>();
  /** Per stand-in page: each reader's spliced copy. */
  private spliced = new WeakMap<Entry, Map<string, Spliced>>();

  constructor(private opts: {
    ttlMs: number; maxEntries: number; sessionCookie: string;
    /** Resolves a session cookie's value (signed-in pages are served from the cache when given). */
    resolveReader?: (cookieValue: string) => Promise<Reader | null>;
    /** How the dashboard renders a page for the stand-in reader. */
    template?: ReaderTemplate;
    /** The answers are the same whoever asks (public API reads): cookies are not looked at. */
    anyReader?: boolean;
  }) {}

  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.readers.clear();
  }

  private async reader(value: string): Promise<Reader | null> {
    const now = Date.now();
    const hit = this.readers.get(value);
    if (hit && now - hit.at < this.opts.ttlMs) return hit.reader;
    const generation = this.generation;
    const reader = await this.opts.resolveReader!(value);
    if (generation === this.generation) {
      if (this.readers.size >= this.opts.maxEntries * 4) this.readers.delete(this.readers.keys().next().value!);
      this.readers.set(value, { reader, at: now });
    }
    return reader;
  }

  /** Wraps a (req, res, next) handler: serves hits, records 200 answers it renders. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse, next: () => void) => void) {
    return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      const template = this.opts.template;
      if (template) delete req.headers[template.header]; // only this cache may ask for the stand-in
      if ((req.method !== 'GET' && req.method !== 'HEAD') || this.opts.ttlMs <= 0) return handler(req, res, next);
      const session = this.opts.anyReader ? null : cookieValue(req.headers.cookie, this.opts.sessionCookie);
      if (session === null) return this.serve(req, res, handler, next);
      if (!this.opts.resolveReader) return handler(req, res, next);
      this.reader(session).then((reader) => {
        // A cookie that is no session (bogus, expired, signed out) is an anonymous reader.
        if (!reader) {
          delete req.headers.cookie;
          return this.serve(req, res, handler, next);
        }
        if (!template || !templatable(req.url ?? '/')) return handler(req, res, next);
        return this.serveReader(req, res, handler, next, template, reader);
      }, () => handler(req, res, next));
    };
  }

  /** A signed-in reader's page: the stand-in's page (cached like any page) with their bits put in. */
  private serveReader(req: IncomingMessage, res: ServerResponse, handler: Handler, next: () => void, template: ReaderTemplate, reader: Reader) {
    const key = `\u0000reader ${req.url ?? '/'}`;
    const send = (entry: Pick<Entry, 'status' | 'headers' | 'body'>, cache: string) => {
      const stored = 'at' in entry ? (entry as Entry) : null;
      const who = `${reader.login.toLowerCase()} ${reader.maintainer ? 1 : 0}`;
      let copies = stored ? this.spliced.get(stored) : undefined;
      let out = copies?.get(who);
      if (!out) {
        out = spliceFor(entry, template, reader);
        if (stored) {
          if (!copies) this.spliced.set(stored, (copies = new Map()));
          if (copies.size >= 1000) copies.delete(copies.keys().next().value!);
          copies.set(who, out);
          compress(out);
        }
      }
      writeOut(req, res, out.status, out.headers, out.body, out.gzipped, cache);
    };
    const hit = this.entries.get(key);
    const now = Date.now();
    if (hit) {
      const fresh = now - hit.at < this.opts.ttlMs;
      const refreshing = hit.refreshingSince > 0 && now - hit.refreshingSince < this.opts.ttlMs;
      if (fresh || refreshing) return send(hit, fresh ? 'hit' : 'stale');
      hit.refreshingSince = now;
    }
    const under = hit ? undefined : this.rendering.get(key);
    if (under) {
      under.then((page) => send(page, 'wait'), () => handler(req, res, next));
      return;
    }
    const generation = this.generation;
    delete req.headers.cookie;
    req.headers[template.header] = template.secret;
    const render = capture(handler, req, res, next).then((page) => {
      if (page.status === 200 && !page.headers['set-cookie'] && generation === this.generation && req.method === 'GET') {
        if (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        const entry: Entry = { ...page, at: Date.now(), refreshingSince: 0 };
        this.entries.set(key, entry);
        return entry;
      }
      return page;
    });
    if (!hit) {
      this.rendering.set(key, render);
      const done = () => {
        if (this.rendering.get(key) === render) this.rendering.delete(key);
      };
      render.then(done, done);
    }
    render.then((page) => send(page, 'miss'), (err: unknown) => {
      res.statusCode = 500;
      res.end(`render failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private serve(req: IncomingMessage, res: ServerResponse, handler: Handler, next: () => void) {
    {
      const key = req.url ?? '/';
      const hit = this.entries.get(key);
      const now = Date.now();
      if (hit) {
        const fresh = now - hit.at < this.opts.ttlMs;
        // A refresh that never finished (the render failed) stops counting after one TTL.
        const refreshing = hit.refreshingSince > 0 && now - hit.refreshingSince < this.opts.ttlMs;
        if (fresh || refreshing) {
          const cache = fresh ? 'hit' : 'stale';
          const etag = hit.headers.etag;
          if (typeof etag === 'string' && req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
            // Revalidated: no body, and no policy of its own (browsers would store it over the page's).
            const { 'content-security-policy': _csp, 'content-length': _length, 'content-type': _type, ...headers } = hit.headers;
            res.writeHead(304, { ...headers, 'x-zhf-cache': cache });
            res.end();
            return;
          }
          if (hit.gzipped && acceptsGzip(req.headers['accept-encoding'])) {
            // A validator of the identity body does not name the gzipped one.
            const { etag: _etag, 'content-length': _length, ...headers } = hit.headers;
            res.writeHead(hit.status, { ...headers, 'content-encoding': 'gzip', 'content-length': hit.gzipped.length, 'x-zhf-cache': cache });
            res.end(req.method === 'HEAD' ? undefined : hit.gzipped);
          } else {
            res.writeHead(hit.status, { ...hit.headers, 'x-zhf-cache': cache });
            res.end(req.method === 'HEAD' ? undefined : hit.body);
          }
          return;
        }
        hit.refreshingSince = now; // this request re-renders; the others get the copy meanwhile
      } else {
        // Nothing to serve yet: one request renders, the others wait for its copy (64 readers
        // arriving at once at a cold page must not all render it).
        const waiting = this.cold.get(key);
        if (waiting) return void waiting.push(() => this.serve(req, res, handler, next));
        const waiters: (() => void)[] = [];
        this.cold.set(key, waiters);
        res.once('close', () => {
          if (this.cold.get(key) === waiters) this.cold.delete(key);
          for (const w of waiters) setImmediate(w);
        });
      }
      const generation = this.generation;
      const chunks: Buffer[] = [];
      const write = res.write.bind(res) as (...a: unknown[]) => boolean;
      const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
      const keep = (chunk: unknown) => {
        if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
        else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        keep(chunk);
        return write(chunk, ...rest);
      }) as typeof res.write;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (chunk !== undefined && typeof chunk !== 'function') keep(chunk);
        if (res.statusCode === 200 && !res.getHeader('set-cookie') && generation === this.generation && req.method === 'GET') {
          if (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          const headers = res.getHeaders();
          // Either variant may be served for this URL from now on: caches must key on the encoding.
          const vary = [headers.vary].flat().filter(Boolean).join(', ');
          headers.vary = /\baccept-encoding\b/i.test(vary) ? vary : vary ? `${vary}, accept-encoding` : 'accept-encoding';
          const entry: Entry = { status: 200, headers, body: Buffer.concat(chunks), at: Date.now(), refreshingSince: 0 };
          this.entries.set(key, entry);
          if (entry.body.length >= 1024 && !headers['content-encoding'] && COMPRESSIBLE.test(String(headers['content-type'] ?? ''))) {
            gzip(entry.body, (err, out) => {
              if (!err) entry.gzipped = out;
            });
          }
        }
        return end(chunk, ...rest);
      }) as typeof res.end;
      handler(req, res, next);
    }
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

interface Spliced {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  gzipped?: Buffer;
}

/** The value of cookie `name` in a Cookie header, or null. */
function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const c = part.trim();
    if (c.startsWith(`${name}=`)) return c.slice(name.length + 1);
  }
  return null;
}

/** The stand-in's page as `reader` sees it: HTML spliced, its CSP's script hashes redone, private. */
function spliceFor(page: Pick<Entry, 'status' | 'headers' | 'body'>, template: ReaderTemplate, reader: Reader): Spliced {
  const { etag: _etag, 'content-length': _length, ...headers } = page.headers;
  if (!/^text\/html/i.test(String(headers['content-type'] ?? ''))) return { status: page.status, headers, body: page.body };
  const html = page.body.toString('utf8');
  const out = spliceReader(html, template, reader);
  const csp = headers['content-security-policy'];
  if (typeof csp === 'string') headers['content-security-policy'] = spliceCsp(csp, html, out);
  headers['cache-control'] = 'private, no-cache';
  return { status: page.status, headers, body: Buffer.from(out) };
}

function compress(out: Spliced): void {
  if (out.body.length < 1024 || out.headers['content-encoding'] || !COMPRESSIBLE.test(String(out.headers['content-type'] ?? ''))) return;
  gzip(out.body, (err, z) => {
    if (!err) out.gzipped = z;
  });
}

function writeOut(req: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer, gzipped: Buffer | undefined, cache: string): void {
  for (const name of res.getHeaderNames()) if (!(name in headers)) res.removeHeader(name);
  const etag = headers.etag;
  if (status === 200 && typeof etag === 'string' && req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
    // Revalidated: no body, and no policy of its own (browsers would store it over the page's).
    const { 'content-security-policy': _csp, 'content-length': _length, 'content-type': _type, ...rest } = headers;
    for (const name of ['content-security-policy', 'content-length', 'content-type']) res.removeHeader(name);
    res.writeHead(304, { ...rest, 'x-zhf-cache': cache });
    res.end();
    return;
  }
  if (gzipped && acceptsGzip(req.headers['accept-encoding'])) {
    res.writeHead(status, { ...headers, vary: 'accept-encoding', 'content-encoding': 'gzip', 'content-length': gzipped.length, 'x-zhf-cache': cache });
    res.end(req.method === 'HEAD' ? undefined : gzipped);
  } else {
    res.writeHead(status, { ...headers, 'content-length': body.length, 'x-zhf-cache': cache });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Runs the handler into a buffer instead of the socket: status, headers and body. */
function capture(handler: Handler, req: IncomingMessage, res: ServerResponse, next: () => void): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const original = { writeHead: res.writeHead, write: res.write, end: res.end };
    let status: number | null = null;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    res.writeHead = ((code: number, ...rest: unknown[]) => {
      status = code;
      const h = rest.find((x) => x && typeof x === 'object') as OutgoingHttpHeaders | undefined;
      if (h) for (const [k, v] of Object.entries(h)) if (v !== undefined) res.setHeader(k, v);
      return res;
    }) as typeof res.writeHead;
    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      keep(chunk, encoding);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown) => {
      if (chunk !== undefined && typeof chunk !== 'function') keep(chunk, encoding);
      Object.assign(res, original);
      resolve({ status: status ?? res.statusCode, headers: { ...res.getHeaders() }, body: Buffer.concat(chunks) });
      return res;
    }) as typeof res.end;
    try {
      handler(req, res, next);
    } catch (err) {
      Object.assign(res, original);
      reject(err);
    }
  });
}

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|rss\+xml|atom\+xml)|image\/svg\+xml)/i;

/** Whether an Accept-Encoding header takes gzip (`gzip` or `*`, without `q=0`). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of [header].flat().join(',').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';').map((x) => x.trim());
    const q = params.find((p) => p.startsWith('q='));
    const zero = q !== undefined && Number(q.slice(2)) === 0;
    if (name === 'gzip' || name === 'x-gzip') return !zero;
    if (name === '*') star = !zero;
  }
  return star;
}
