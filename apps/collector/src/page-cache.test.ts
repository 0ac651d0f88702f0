import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(cache: PageCache) {
  let renders = 0;
  const handler = cache.wrap((req, res) => {
    renders++;
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.setHeader('content-type', 'text/html');
    res.write('<p>');
    res.end(`render ${renders}</p>`);
  });
  server = createServer((req, res) => handler(req, res, () => {}));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(url + path, { headers: cookie ? { cookie } : {} });
    return { status: res.status, body: await res.text(), hit: res.headers.get('x-zhf-cache') === 'hit' };
  };
  return { get, renders: () => renders };
}

describe('PageCache', () => {
  it('serves anonymous readers from memory until a write or the TTL', async () => {
    const cache = new PageCache({ ttlMs: 60_000, maxEntries: 10, sessionCookie: 'zhf_session' });
    const s = await serve(cache);
    expect(await s.get('/fix?week=2026-W48')).toEqual({ status: 200, body: '<p>render 1</p>', hit: false });
    expect(await s.get('/fix?week=2026-W48')).toEqual({ status: 200, body: '<p>render 1</p>', hit: true });
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
});
