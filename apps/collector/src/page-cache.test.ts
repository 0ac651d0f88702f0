import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(cache: PageCache, renderMs = 0) {
  let renders = 0;
  const handler = cache.wrap((req, res) => {
    const n = ++renders;
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.setHeader('content-type', 'text/html');
    res.write('<p>');
    setTimeout(() => res.end(`render ${n}</p>`), renderMs);
  });
  server = createServer((req, res) => handler(req, res, () => {}));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(url + path, { headers: cookie ? { cookie } : {} });
    return { status: res.status, body: await res.text(), hit: res.headers.get('x-zhf-cache') === 'hit', cache: res.headers.get('x-zhf-cache') };
  };
  return { get, renders: () => renders };
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
    const cache = new PageCache({ ttlMs: 50, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache, 100);
    expect((await s.get('/fix')).body).toBe('<p>render 1</p>');
    await new Promise((r) => setTimeout(r, 60));
    // Expired: the first request re-renders (100 ms); ten arriving meanwhile get render 1 at once.
    const refresh = s.get('/fix');
    await new Promise((r) => setTimeout(r, 10));
    const during = await Promise.all(Array.from({ length: 10 }, () => s.get('/fix')));
    expect(during.map((r) => [r.body, r.cache])).toEqual(Array(10).fill(['<p>render 1</p>', 'stale']));
    expect((await refresh).body).toBe('<p>render 2</p>');
    expect(s.renders()).toBe(2);
    expect(await s.get('/fix')).toMatchObject({ body: '<p>render 2</p>', cache: 'hit' });
  });
});
