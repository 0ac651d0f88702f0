import { isoWeekOf } from '@zhf/collector/pure/week';
import { z } from 'zod';
import type { Db } from '@zhf/db';
import { findMaintainer, listBreakages, maintainedPackageSummary, type MaintainerIdentity } from '@zhf/db/queries';
import { ownOrigin } from '../auth.ts';
import { NotFound } from '../errors.ts';
import { MaintainerSummarySchema } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, text, type ApiApp } from '../route.ts';
import { atom } from './ops.ts';

/** GitHub's login rules: alphanumerics and single inner hyphens, at most 39 characters. */
export const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** The maintainer named `login` (case-insensitive, renamed logins through the GitHub id); 404 when nobody by that login is known. */
export async function resolveMaintainer(db: Db, login: string): Promise<MaintainerIdentity> {
  const m = GITHUB_LOGIN.test(login) ? await findMaintainer(db, login) : null;
  if (!m) throw new NotFound(`no maintainer with GitHub login ${JSON.stringify(login.slice(0, 60))} is known`);
  return m;
}

const loginParam = z.object({ login: z.string().max(100) });

/** `/api/maintainers/:login`: who it is and how many of their packages are broken. */
export function maintainerRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/{login}', summary: 'A maintainer: their packages and open breakages', request: { params: loginParam },
    responses: { ...ok(MaintainerSummarySchema), ...errors(404) },
  }, async (c) => {
    const { database, config, now } = c.get('deps');
    const m = await resolveMaintainer(database.db, c.req.valid('param').login);
    const t = now();
    const pk = await maintainedPackageSummary(database.db, m);
    const open = await listBreakages(database.db, { now: t, hydraUrl: config.hydraUrl }, { maintainer: m, states: ['open'], sort: 'opened' }, null, 1);
    const week = await listBreakages(database.db, { now: t, hydraUrl: config.hydraUrl }, {
      maintainer: m, states: ['open'], week: { kind: 'week', week: isoWeekOf(t) }, sort: 'opened',
    }, null, 1);
    return c.json({
      login: m.login, githubId: m.githubId, otherLogins: m.fileLogins, packages: pk.packages, teams: pk.teams,
      openBreakages: open.total, openThisWeek: week.total, week: isoWeekOf(t),
    }, 200);
  });
  return app;
}

/** `/feeds/maintainers/:login.atom`: new breakages of one person's packages. */
export function maintainerFeedRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/feeds/maintainers/{file}', summary: 'New breakages of one maintainer\'s packages as an Atom feed (file: <login>.atom)',
    request: { params: z.object({ file: z.string().max(110) }) },
    responses: { ...text('application/atom+xml'), ...errors(404) },
  }, async (c) => {
    const { database, config, now } = c.get('deps');
    const login = c.req.valid('param').file.slice(0, -'.atom'.length);
    const m = await resolveMaintainer(database.db, login);
    const t = now();
    const page = await listBreakages(database.db, { now: t, hydraUrl: config.hydraUrl }, { maintainer: m, sort: 'opened' }, null, 100);
    const site = ownOrigin(c);
    const body = atom(`${site}/feeds/maintainers/${m.login}.atom`, site, `packages maintained by @${m.login}`, page.items, t, {
      alternate: `${site}/maintainers/${encodeURIComponent(m.login)}`,
      jobsetOf: (b) => b.jobset,
    });
    return c.body(body, 200, { 'content-type': 'application/atom+xml; charset=utf-8' });
  }, { routing: '/feeds/maintainers/{file{[^/]+\\.atom}}' });
  return app;
}
