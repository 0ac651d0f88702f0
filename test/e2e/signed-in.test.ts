/**
 * Signed-in readers from the page cache: a page is rendered once for a stand-in reader and each
 * reader gets it with their bits put in. What they get must be byte for byte what SvelteKit
 * renders for them (a second server on the same runtime, without a cache, is the reference).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSession, upsertGithubUser } from '../../db/src/queries/index.ts';
import { ensureBuild, startApp, X, type Running } from './harness.ts';

type Served = { status: number; body: string; csp: string | null; cache: string | null };

describe('signed-in pages from the page cache', () => {
  let app: Running;
  let direct: { url: string; close(): Promise<void> };
  const get = async (base: string, path: string, cookie?: string): Promise<Served> => {
    const res = await fetch(`${base}${path}`, { headers: cookie ? { cookie } : {} });
    return { status: res.status, body: await res.text(), csp: res.headers.get('content-security-policy'), cache: res.headers.get('x-zhf-cache') };
  };
  const devLogin = async (handle: string) => {
    const res = await fetch(`${app.url}/auth/dev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle }) });
    const body = (await res.json()) as { csrf: string };
    return { cookie: /zhf_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0], csrf: body.csrf };
  };
  /** A maintainer signs in with GitHub (dev login refuses maintainer handles): the session as the callback stores it. */
  const githubLogin = async (handle: string) => {
    const db = app.runtime.database.db;
    const user = await upsertGithubUser(db, { githubId: 777, login: handle, name: null, avatarUrl: null });
    const value = randomBytes(32).toString('base64url');
    await insertSession(db, { idHash: createHash('sha256').update(value).digest('hex'), userId: user.id, csrf: 'c'.repeat(43), expiresAt: new Date(Date.now() + 86_400_000) });
    return { cookie: `zhf_session=${value}`, csrf: 'c'.repeat(43) };
  };
  const claim = async (who: { cookie: string; csrf: string }, job: string) => {
    const list = (await (await fetch(`${app.url}/api/breakages?week=all&q=${encodeURIComponent(job)}`)).json()) as { items: { id: number; job: string }[] };
    const id = list.items.find((b) => b.job === job)!.id;
    const res = await fetch(`${app.url}/api/breakages/${id}/claim`, { method: 'POST', headers: { cookie: who.cookie, 'x-csrf-token': who.csrf, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    ensureBuild();
    app = await startApp();
    const { startServer } = await import('../../apps/zhf/src/server.ts');
    direct = await startServer(app.runtime, { port: 0, host: '127.0.0.1', pageCacheMs: 0 });
  }, 300_000);
  afterAll(async () => {
    await direct?.close();
    await app?.close();
  });

  it('each reader gets exactly the page SvelteKit renders for them, from one shared render', async () => {
    const alice = await devLogin('alice');
    const bob = await devLogin('bob');
    const maint = await githubLogin('maint');
    await claim(alice, `hello.${X}`);
    await claim(bob, `zlib.${X}`);
    const paths = ['/fix', '/fix?claimed=all', '/fix?week=backlog', '/', '/claims', '/trends', '/fix?nothing=1', `/jobs/nixpkgs/unstable/hello.${X}`, `/jobs/nixpkgs/unstable/libfoo.${X}`];
    // Signing in is a write (it empties the cache): the late readers sign in first.
    const late = await Promise.all(paths.map((_, i) => devLogin(`carol-${i}`)));
    for (const path of paths) {
      for (const [name, who] of [['alice', alice], ['bob', bob], ['maint', maint]] as const) {
        const want = await get(direct.url, path, who.cookie);
        expect(want.cache).toBeNull();
        const first = await get(app.url, path, who.cookie);
        const again = await get(app.url, path, who.cookie);
        for (const got of [first, again]) {
          expect([path, name, got.status]).toEqual([path, name, want.status]);
          expect(got.body === want.body ? 'same' : `${path} as ${name} differs`).toBe('same');
          expect(got.csp).toBe(want.csp);
        }
        expect(again.cache).toBe('hit');
        // Only alice's page shows her forms; the maintainer sees Release on every claim.
        // The fix list shows claimed rows only when asked (it defaults to unclaimed ones).
        if (path === '/fix?claimed=all' || path === `/jobs/nixpkgs/unstable/hello.${X}`) {
          if (path !== '/fix?claimed=all') expect(first.body).toContain('data-release-by="alice"');
          const shown = (by: string, kind: string) => new RegExp(`data-${kind}-by="${by}"(?! hidden)`).test(first.body);
          expect([name, shown('alice', 'pr'), shown('alice', 'release'), shown('bob', 'release')])
            .toEqual([name, name === 'alice', name !== 'bob', path === '/fix?claimed=all' && name !== 'alice']);
        }
      }
      // The render is shared: the next reader's first request is already a hit.
      expect((await get(app.url, path, late[paths.indexOf(path)]!.cookie)).cache).toBe('hit');
    }
  });

  it('a bogus session cookie is an anonymous reader, served from the cache', async () => {
    const anonymous = await get(app.url, '/fix');
    const bogus = await get(app.url, '/fix', 'zhf_session=bogusbogusbogusbogusbogusbogus');
    const again = await get(app.url, '/fix', 'zhf_session=bogusbogusbogusbogusbogusbogus');
    expect(again.cache).toBe('hit');
    expect(bogus.body).toBe(anonymous.body);
    expect(bogus.body).toContain('sign in to claim');
    // A client cannot ask for the stand-in's page itself.
    const forged = await fetch(`${app.url}/fix?forged=1`, { headers: { 'x-zhf-reader-template': 'guess' } });
    expect(await forged.text()).not.toMatch(/data-testid="signed-in"/);
  });

  it('public API reads are cached for everyone until a write', async () => {
    const path = '/api/breakages?week=all&sort=job&limit=50';
    const first = await fetch(`${app.url}${path}`);
    const body = await first.text();
    const signedIn = await fetch(`${app.url}${path}`, { headers: { cookie: 'zhf_session=bogusbogusbogusbogusbogusbogus' } });
    expect(signedIn.headers.get('x-zhf-cache')).toBe('hit');
    expect(await signedIn.text()).toBe(body);
    expect((await fetch(`${app.url}/api/me`, { headers: { cookie: 'zhf_session=bogusbogusbogusbogusbogusbogus' } })).headers.get('x-zhf-cache')).toBeNull();
    const frank = await devLogin('frank');
    expect((await fetch(`${app.url}${path}`)).headers.get('x-zhf-cache')).toBeNull(); // the sign-in emptied it
    await claim(frank, 'unstable');
    const after = await (await fetch(`${app.url}${path}`)).json() as { items: { job: string; claim: { by: string } | null }[] };
    expect(after.items.find((b) => b.job === 'unstable')?.claim?.by).toBe('frank');
  });

  it('a write shows at once to every signed-in reader', async () => {
    const dave = await devLogin('dave');
    const erin = await devLogin('erin');
    expect((await get(app.url, '/fix?claimed=all', erin.cookie)).body).not.toContain('@dave');
    await claim(dave, `libfoo.${X}`);
    const after = await get(app.url, '/fix?claimed=all', erin.cookie);
    expect(after.body).toContain('@dave');
    expect(after.body).toBe((await get(direct.url, '/fix?claimed=all', erin.cookie)).body);
  });
});
