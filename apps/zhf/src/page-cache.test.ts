import { createServer, request, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsGzip, PageCache } from './page-cache.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(cache: PageCache, renderMs = 0) {
  let renders = 0;
  // While held, renders wait for the test to release them instead of for a timer.
  let gate: Promise<void> | null = null;
  const handler = cache.wrap((req, res) => {
    const n = ++renders;
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.setHeader('content-type', 'text/html');
    res.write('<p>');
    const finish = () => res.end(`render ${n}</p>`);
    if (gate) void gate.then(finish);
    else setTimeout(finish, renderMs);
  });
  server = createServer((req, res) => handler(req, res, () => {}));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(url + path, { headers: cookie ? { cookie } : {} });
    return { status: res.status, body: await res.text(), hit: res.headers.get('x-zhf-cache') === 'hit', cache: res.headers.get('x-zhf-cache') };
  };
  const hold = () => {
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    return () => { gate = null; release(); };
  };
  return { get, renders: () => renders, hold };
}

describe('PageCache', () => {
  it('serves anonymous readers from memory until a write or the TTL', async () => {
    const cache = new PageCache({ ttlMs: 60_000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache);
    expect(await s.get('/fix?week=2026-W48')).toMatchObject({ status: 200, body: '<p>render 1</p>', hit: false });
    expect(await s.get('/fix?week=2026-W48')).toMatchObject({ status: 200, body: '<p>render 1</p>', hit: true });
    expect((await s.get('/fix?week=2026-W47')).body).toBe('<p>render 2</p>');
    cache.invalidate();
    expect((await s.get('/fix?week=2026-W48')).body).toBe('<p>render 3</p>');
  });

  it('never caches for signed-in readers, errors, or past the TTL', async () => {
    const cache = new PageCache({ ttlMs: 60_000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache);
    await s.get('/fix', 'theme=dark; zhf_session=abc');
    expect((await s.get('/fix', 'zhf_session=abc')).hit).toBe(false);
    expect(s.renders()).toBe(2);
    await s.get('/missing');
    expect((await s.get('/missing')).hit).toBe(false);
    const short = new PageCache({ ttlMs: 1, maxEntries: 10, sessionCookie: 'zhf_session' });
    const t = await (async () => {
      await new Promise<void>((r) => server!.close(() => r()));
      return serve(short);
    })();
    await t.get('/x');
    await new Promise((r) => setTimeout(r, 5));
    expect((await t.get('/x')).hit).toBe(false);
  });

  it('lets one reader re-render an expired page while the others get the expired copy', async () => {
    // A TTL long enough that the readers below arrive within it of the refresh, even on a loaded machine.
    const cache = new PageCache({ ttlMs: 1000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache);
    expect((await s.get('/fix')).body).toBe('<p>render 1</p>');
    await new Promise((r) => setTimeout(r, 1100));
    // Expired: the first request re-renders (held until released); ten arriving meanwhile get render 1 at once.
    const release = s.hold();
    const refresh = s.get('/fix');
    while (s.renders() < 2) await new Promise((r) => setTimeout(r, 2));
    // Released at the latest after 5 s, so a reader that waits for the render fails the assertion, not the timeout.
    const safety = setTimeout(release, 5000);
    const during = await Promise.all(Array.from({ length: 10 }, () => s.get('/fix')));
    clearTimeout(safety);
    release();
    expect(during.map((r) => [r.body, r.cache])).toEqual(Array(10).fill(['<p>render 1</p>', 'stale']));
    expect((await refresh).body).toBe('<p>render 2</p>');
    expect(s.renders()).toBe(2);
    expect(await s.get('/fix')).toMatchObject({ body: '<p>render 2</p>', cache: 'hit' });
  });

  it('renders a cold page once for readers arriving together; the others wait for its copy', async () => {
    const cache = new PageCache({ ttlMs: 60_000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache, 100);
    const all = await Promise.all(Array.from({ length: 10 }, () => s.get('/fix?cold=1')));
    expect(all.map((r) => r.body)).toEqual(Array(10).fill('<p>render 1</p>'));
    expect(s.renders()).toBe(1);
    // A render that is not cached (a 404) lets each waiter render for itself.
    const missing = await Promise.all(Array.from({ length: 3 }, () => s.get('/missing')));
    expect(missing.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(s.renders()).toBe(4);
  });

  it('gzips a cached page once and sends it to readers who accept gzip, the identity body to the others', async () => {
    const cache = new PageCache({ ttlMs: 60_000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const page = `<ul>${Array.from({ length: 400 }, (_, i) => `<li>pkg${i}.x86_64-linux</li>`).join('')}</ul>`;
    let renders = 0;
    const handler = cache.wrap((req, res) => {
      renders++;
      res.setHeader('content-type', req.url === '/data.bin' ? 'application/octet-stream' : 'text/html; charset=utf-8');
      res.setHeader('vary', 'cookie');
      res.end(req.url === '/small' ? '<p>small</p>' : page);
    });
    server = createServer((req, res) => handler(req, res, () => {}));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    // node:http, not fetch: fetch asks for gzip itself and hides the encoding.
    const get = (path: string, acceptEncoding?: string) => new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request({ port, path, headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });

    const first = await get('/fix', 'gzip');
    expect(first.headers['content-encoding']).toBeUndefined(); // the render itself goes out as it is
    expect(first.body.toString()).toBe(page);
    // Compression runs off the event loop after the entry is stored.
    let gz = await get('/fix', 'gzip, deflate, br');
    for (let i = 0; i < 50 && gz.headers['content-encoding'] !== 'gzip'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gz = await get('/fix', 'gzip, deflate, br');
    }
    expect(gz.headers).toMatchObject({ 'content-encoding': 'gzip', 'x-zhf-cache': 'hit', vary: 'cookie, accept-encoding' });
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gz.body.length).toBeLessThan(page.length / 5);
    expect(gunzipSync(gz.body).toString()).toBe(page);
    for (const ae of [undefined, 'identity', 'gzip;q=0', 'br']) {
      const plain = await get('/fix', ae);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['x-zhf-cache']).toBe('hit');
      expect(plain.body.toString()).toBe(page);
    }
    // Small bodies and binary types are sent as they are.
    for (const path of ['/small', '/data.bin']) {
      await get(path, 'gzip');
      await new Promise((r) => setTimeout(r, 50));
      const again = await get(path, 'gzip');
      expect(again.headers['x-zhf-cache']).toBe('hit');
      expect(again.headers['content-encoding']).toBeUndefined();
    }
    expect(renders).toBe(3);
  });

  it.each([
    [undefined, false], ['', false], ['gzip', true], ['GZIP', true], ['deflate, gzip;q=0.5', true], ['gzip;q=0', false],
    ['gzip;q=0.0, *', false], ['*', true], ['*;q=0', false], ['br, deflate', false], ['x-gzip', true], [['br', 'gzip'], true],
  ])('Accept-Encoding %j takes gzip: %s', (header, expected) => {
    expect(acceptsGzip(header as string | string[] | undefined)).toBe(expected);
  });
});
