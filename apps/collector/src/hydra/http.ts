// The HTTP transport under the Hydra client: GET over node:http/https with keep-alive
// connections, transparent gzip/deflate/brotli, redirects followed or handed back, and an
// AbortSignal that stops a request at any point (headers or body).
//
// Why not fetch: undici's fetch costs ~250 µs of CPU per request in this process, node:http
// ~80 µs. A steady sync fetches thousands of single builds, so that is most of its CPU time.

import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface HttpResponse {
  status: number;
  /** The URL that answered (after redirects). */
  url: string;
  headers: { get(name: string): string | null };
  /** The body, decompressed. Iterate it once; errors (reset, abort, bad encoding) reject the iteration. */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading the body and drops the connection. */
  cancel(): void;
  text(): Promise<string>;
}

export interface GetOptions {
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** `follow` (default) follows up to 5 redirects; `manual` answers the 3xx itself. */
  redirect?: 'follow' | 'manual';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpTransport {
  private agents: { http: http.Agent; https: https.Agent };

  constructor(opts: { maxSockets?: number } = {}) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 16, scheduling: 'lifo' as const };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  async get(url: string, opts: GetOptions): Promise<HttpResponse> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const res = await this.request(current, opts);
      const location = res.headers.location;
      if ((opts.redirect ?? 'follow') === 'follow' && REDIRECTS.has(res.statusCode ?? 0) && location && hop < 5) {
        res.resume();
        current = new URL(location, current);
        continue;
      }
      return wrap(res, current.toString());
    }
  }

  /** Closes idle keep-alive connections (a finished CLI run should not wait on them). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private request(url: URL, opts: GetOptions): Promise<http.IncomingMessage> {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, {
        method: 'GET',
        agent: secure ? this.agents.https : this.agents.http,
        headers: { 'accept-encoding': 'gzip, deflate, br', ...opts.headers },
        signal: opts.signal,
      }, resolve);
      req.on('error', reject);
      req.end();
    });
  }
}

function wrap(res: http.IncomingMessage, url: string): HttpResponse {
  const body = decoded(res);
  return {
    status: res.statusCode ?? 0,
    url,
    headers: {
      get(name) {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    body,
    cancel() {
      res.destroy();
      if (body !== res) (body as Readable).destroy();
    },
    async text() {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The body stream, through a decompressor when the server compressed it; errors on either side reach the reader. */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
    : encoding === 'deflate' ? zlib.createInflate()
      : encoding === 'br' ? zlib.createBrotliDecompress()
        : null;
  if (!decoder) return res;
  return pipeline(res, decoder, () => {});
}
