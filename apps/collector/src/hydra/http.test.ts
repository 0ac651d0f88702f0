import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from './http.ts';

const payload = JSON.stringify({ hello: 'wörld', items: Array.from({ length: 2000 }, (_, i) => i) });

describe('HttpTransport', () => {
  let server: Server;
  let base = '';
  const http = new HttpTransport();
  const seen: { path: string; encoding: string | undefined; agent: string | undefined; port: number | undefined }[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      seen.push({ path: req.url!, encoding: req.headers['accept-encoding'] as string, agent: req.headers['user-agent'], port: req.socket.remotePort });
      const send = (encoding: string | null, body: Buffer) => {
        res.writeHead(200, { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) });
        res.end(body);
      };
      switch (req.url) {
        case '/plain': return send(null, Buffer.from(payload));
        case '/gzip': return send('gzip', await promisify(zlib.gzip)(payload));
        case '/deflate': return send('deflate', await promisify(zlib.deflate)(payload));
        case '/br': return send('br', await promisify(zlib.brotliCompress)(payload));
        case '/bad-gzip': return send('gzip', Buffer.from('not gzip at all'));
        case '/hop1': res.writeHead(301, { location: '/hop2' }); return res.end('moved');
        case '/hop2': res.writeHead(302, { location: `${base}/plain` }); return res.end();
        case '/loop': res.writeHead(302, { location: '/loop' }); return res.end();
        case '/cut':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(payload.length) });
          res.write(payload.slice(0, 100));
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case '/slow':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('[1,');
          return; // never ends
        default: res.writeHead(404); return res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it.each(['plain', 'gzip', 'deflate', 'br'])('reads a %s body decompressed, sending our headers', async (kind) => {
    const res = await http.get(`${base}/${kind}`, { headers: { 'user-agent': 'zhf-test' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(await res.text()).toBe(payload);
    expect(seen.at(-1)).toMatchObject({ path: `/${kind}`, agent: 'zhf-test', encoding: 'gzip, deflate, br' });
  });

  it('follows redirects, relative and absolute, or hands a 3xx back when asked', async () => {
    const followed = await http.get(`${base}/hop1`, { headers: {} });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${base}/plain`);
    expect(await followed.text()).toBe(payload);
    const manual = await http.get(`${base}/hop1`, { headers: {}, redirect: 'manual' });
    expect(manual.status).toBe(301);
    expect(manual.headers.get('location')).toBe('/hop2');
    manual.cancel();
    const loop = await http.get(`${base}/loop`, { headers: {} });
    expect(loop.status).toBe(302); // gives up after 5 hops and answers the last one
    loop.cancel();
  });

  it('rejects the body read when the connection is cut, the encoding is corrupt, or the signal aborts', async () => {
    const cut = await http.get(`${base}/cut`, { headers: {} });
    await expect(cut.text()).rejects.toThrow(/aborted|ECONNRESET|premature|socket/i);
    const bad = await http.get(`${base}/bad-gzip`, { headers: {} });
    await expect(bad.text()).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
    const ctrl = new AbortController();
    const slow = await http.get(`${base}/slow`, { headers: {}, signal: ctrl.signal });
    setTimeout(() => ctrl.abort(new Error('body stalled')), 50);
    // Mid-body, node:http reports the abort as a reset of the response.
    await expect(slow.text()).rejects.toThrow(/aborted/i);
    await expect(http.get(`${base}/plain`, { headers: {}, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reuses one connection for requests in turn', async () => {
    const from = seen.length;
    for (let i = 0; i < 5; i++) await (await http.get(`${base}/plain`, { headers: {} })).text();
    expect(new Set(seen.slice(from).map((s) => s.port)).size).toBe(1);
  });
});
