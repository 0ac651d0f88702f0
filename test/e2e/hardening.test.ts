/**
 * The one-process server's HTTP edges, on the built dashboard: security headers, the CSP the
 * pages must pass in Chromium, a 413 that leaves the client's connection usable, and a JSON 431.
 */
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ensureBuild, openBrowser, signIn, startApp, visit, X, type Running } from './harness.ts';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function send(url: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: Agent }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${opts.path}`, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('HTTP edges of the one-process server', () => {
  let app: Running;
  beforeAll(async () => {
    ensureBuild();
    app = await startApp();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  it('pages, the API and feeds carry the security headers; pages a strict CSP with their script hash', async () => {
    for (const path of ['/', '/fix', '/api/jobsets', '/healthz', '/feeds/nixpkgs/unstable.atom', '/api/nothing', '/nothing']) {
      const r = await send(app.url, { path });
      expect([path, r.headers['x-frame-options'], r.headers['x-content-type-options'], r.headers['referrer-policy']])
        .toEqual([path, 'DENY', 'nosniff', 'strict-origin-when-cross-origin']);
      expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    }
    // A revalidated page (304) carries no policy of its own: browsers would store it over the page's.
    // (A signed-in reader's page is spliced from a shared render and carries no validator at all.)
    const first = await send(app.url, { path: '/fix?week=backlog' });
    expect(first.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
    expect(first.headers.etag).toBeTruthy();
    const again = await send(app.url, { path: '/fix?week=backlog', headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.headers['content-security-policy']).toBeUndefined();
    const page = await send(app.url, { path: '/fix' });
    const csp = String(page.headers['content-security-policy']);
    const script = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
    expect(script).toMatch(/^'self' 'sha256-[A-Za-z0-9+/=]+'$/);
    expect(csp).not.toContain('unsafe-inline\' ;');
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/object-src 'none'/);
    const api = await send(app.url, { path: '/api/jobsets' });
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  });

  it('a 413 closes the connection, so the client\'s next request works', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(app.url, { path: '/healthz', agent })).status).toBe(200);
      const big = await send(app.url, {
        method: 'POST', path: '/auth/dev', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'x'.repeat(1024 * 1024 + 10) }),
      });
      expect(big.status).toBe(413);
      expect(big.headers.connection).toBe('close');
      expect(JSON.parse(big.body).error.code).toBe('payload_too_large');
      for (let i = 0; i < 3; i++) expect((await send(app.url, { path: '/healthz', agent })).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('a URL over 16 KB is a 431 with the JSON error shape', async () => {
    const r = await send(app.url, { path: `/api/breakages?q=${'a'.repeat(17 * 1024)}` });
    expect(r.status).toBe(431);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'headers_too_large', message: 'request line and headers over 16 KB' } });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // The server is fine afterwards.
    expect((await send(app.url, { path: '/healthz' })).status).toBe(200);
  });

  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('every page passes the CSP in Chromium, signed out and signed in, and hydrates', async () => {
    const { e3 } = app.facts;
    const b = await openBrowser();
    try {
      const violations: string[] = [];
      await b.context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.error(`csp-violation ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      b.page.on('console', (m) => {
        if (m.type() === 'error' && /csp-violation|Content Security Policy/i.test(m.text())) violations.push(`${b.page.url()}: ${m.text()}`);
      });
      const pages = ['/', '/fix', '/fix?week=backlog', '/trends', '/roundup', '/preflight', '/claims', '/check', `/evals/${e3.id}`,
        `/jobs/nixpkgs/unstable/hello.${X}`, '/jobsets/nixpkgs/unstable', '/signin'];
      const tour = async (list: string[]) => {
        for (const p of list) {
          await visit(b.page, `${app.url}${p}`).catch((e: unknown) => {
            throw new Error(`${p} did not hydrate: ${String(e)}\n${violations.join('\n')}`);
          });
        }
      };
      await tour(pages);
      await signIn(b.page, app.url, 'csp-reader');
      await tour(pages.filter((x) => x !== '/signin'));
      // A claim through the enhanced form (a fetch) and back.
      // Every state: the default list (open and unclaimed) drops the row once claimed.
      await visit(b.page, `${app.url}/fix?claimed=all`);
      const row = b.page.locator(`[data-testid=breakage][data-job="hello.${X}"]`);
      await row.locator('[data-testid=claim]').click();
      await row.locator('[data-testid=holder]').waitFor();
      expect(await row.locator('[data-testid=holder]').textContent()).toContain('@csp-reader');
      expect(violations).toEqual([]);
    } finally {
      await b.close();
    }
  }, 180_000);
});
