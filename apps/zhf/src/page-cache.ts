import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';

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

  constructor(private opts: { ttlMs: number; maxEntries: number; sessionCookie: string }) {}

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  private cacheable(req: IncomingMessage): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const cookie = req.headers.cookie ?? '';
    return !cookie.split(';').some((c) => c.trim().startsWith(`${this.opts.sessionCookie}=`));
  }

  /** Wraps a (req, res, next) handler: serves hits, records 200 answers it renders. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse, next: () => void) => void) {
    return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (!this.cacheable(req) || this.opts.ttlMs <= 0) return handler(req, res, next);
      const key = req.url ?? '/';
      const hit = this.entries.get(key);
      const now = Date.now();
      if (hit) {
        const fresh = now - hit.at < this.opts.ttlMs;
        // A refresh that never finished (the render failed) stops counting after one TTL.
        const refreshing = hit.refreshingSince > 0 && now - hit.refreshingSince < this.opts.ttlMs;
        if (fresh || refreshing) {
          const cache = fresh ? 'hit' : 'stale';
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
    };
  }
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
