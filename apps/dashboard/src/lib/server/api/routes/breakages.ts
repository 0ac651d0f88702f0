import { DEFAULT_LOG_LINES, logTail, MAX_LOG_LINES } from '@zhf/collector/logs/tail';
import { isoWeekOf, parseWeek } from '@zhf/collector/pure/week';
import type { Context } from 'hono';
import { z } from 'zod';
import {
  breakageBuildId, causeRows, claimBreakage, findJobset, getBreakage, listBreakages, releaseClaim, updateClaim, validBreakageCursor, type BreakageCursor, type BreakageFilters,
} from '@zhf/db/queries';
import { BreakageSchema, LogTailSchema, pageOf } from '../../../api/schemas.ts';
import { signedIn } from '../auth.ts';
import { Conflict, Forbidden, Invalid, NotFound, Upstream } from '../errors.ts';
import type { ApiEnv } from '../types.ts';
import type { Db } from '@zhf/db';
import { resolveMaintainer } from './maintainers.ts';
import { apiApp, errors, json, jsonBody, ok, route, type ApiApp } from '../route.ts';
import { cleanText, cursorSchema, decodeCursor, encodeCursor, flag, idString, INT4_MAX, isCleanText, jobsetRefSchema, limitSchema, listOf, readBody, weekFilter } from '../util.ts';

const listQuery = z.object({
  week: weekFilter,
  jobset: jobsetRefSchema.optional().meta({ description: 'project/jobset' }),
  system: listOf(cleanText(100)).meta({ description: 'comma-separated' }),
  state: listOf(z.enum(['open', 'fixed', 'gone'])).meta({ description: 'open, fixed, gone' }),
  kind: listOf(z.enum(['direct', 'dependency'])).meta({ description: 'direct, dependency' }),
  claimed: flag,
  q: cleanText(200).optional(),
  /** A GitHub login: breakages of the packages they maintain (SPEC section 9). */
  maintainer: z.string().max(100).optional().meta({ description: 'GitHub login (case-insensitive; renamed logins by GitHub id); unknown: 404' }),
  team: cleanText(100).optional().meta({ description: 'team name from packages.json (case-insensitive)' }),
  /** false: not folded under a root that /api/roots lists with the same filters (the roots view's other rows); true: only those. */
  folded: flag.meta({ description: 'false: not folded under a root /api/roots lists with the same filters (the root\'s breakages, its open unclaimed dependents)' }),
  sort: z.enum(['job', 'opened', 'system', 'kind']).default('job').meta({ description: 'kind: direct failures first, then by system and job' }),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const PR_URL = /^https:\/\/github\.com\/[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}\/pull\/[1-9][0-9]{0,9}$/;

const prUrl = z.string().max(300).transform((s) => s.trim()).refine((s) => s === '' || PR_URL.test(s), 'must be https://github.com/<owner>/<repo>/pull/<number>')
  .nullable().optional().transform((s) => (s === '' ? null : s));
const note = cleanText(2000).nullable().optional().transform((s) => (s === '' ? null : s));
const claimBody = z.object({ prUrl, note }).strict().meta({ id: 'ClaimBody' });

const idParam = z.object({ id: idString(INT4_MAX) });

/** Claim writes: a session cookie, and its CSRF token in a header. */
const claimWrite = {
  security: [{ session: [] }],
  request: { params: idParam, headers: z.object({ 'x-csrf-token': z.string().optional() }) },
};

const logQuery = z.object({
  lines: z.string().regex(/^[0-9]{1,4}$/, 'must be an integer').transform(Number).pipe(z.number().int().min(1).max(MAX_LOG_LINES))
    .optional().transform((n) => n ?? DEFAULT_LOG_LINES).meta({ description: `1 to ${MAX_LOG_LINES}`, default: String(DEFAULT_LOG_LINES) }),
});

async function current(c: Context<ApiEnv>, id: number) {
  const { database, config, now } = c.get('deps');
  const view = await getBreakage(database.db, { now: now(), hydraUrl: config.hydraUrl }, id);
  if (!view) throw new NotFound(`breakage ${id} does not exist`);
  return view;
}

/** The `week` (ISO week, `backlog`, `all`; default this week) and `jobset` filters of the fix list and the roots. */
async function weekAndJobset(db: Db, t: Date, weekParam: string | undefined, jobsetParam: string | undefined) {
  const thisWeek = isoWeekOf(t);
  let week: BreakageFilters['week'];
  if (weekParam === undefined || weekParam === '') week = { kind: 'week', week: thisWeek };
  else if (weekParam === 'backlog') week = { kind: 'backlog', currentWeek: thisWeek };
  else if (weekParam === 'all') week = undefined;
  else {
    const w = parseWeek(weekParam);
    if (!w) throw new Invalid('week must be YYYY-Www, backlog or all');
    week = { kind: 'week', week: w };
  }
  let jobsetId: number | undefined;
  if (jobsetParam) {
    const [p, n] = jobsetParam.split('/') as [string, string];
    const js = await findJobset(db, p, n);
    if (!js) throw new NotFound(`jobset ${jobsetParam} is not tracked`);
    jobsetId = js.id;
  }
  return { week, jobsetId };
}

/**
 * The filters the fix list and the roots share, checked in this order: the week, the jobset
 * (404 when untracked) and the maintainer (404 when unknown). `answer` is the page under the week asked for.
 */
export async function listScope(c: Context<ApiEnv>, q: { week?: string; jobset?: string; maintainer?: string }) {
  const { database, now } = c.get('deps');
  const t = now();
  const { week, jobsetId } = await weekAndJobset(database.db, t, q.week, q.jobset);
  const maintainer = q.maintainer ? await resolveMaintainer(database.db, q.maintainer.trim()) : undefined;
  const answer = <T>(page: { items: T[]; total: number; nextCursorKey: unknown }) => ({
    week: week?.kind === 'week' ? week.week : (q.week ?? isoWeekOf(t)),
    items: page.items, total: page.total, nextCursor: page.nextCursorKey === null ? null : encodeCursor(page.nextCursorKey),
  });
  return { t, week, jobsetId, maintainer, answer };
}

/** `/api/breakages`: the weekly fix list, the backlog, and claims (SPEC section 4). */
export function breakageRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/', summary: 'Breakages with their claims', request: { query: listQuery },
    responses: { ...ok(pageOf(BreakageSchema, { week: z.string() })), ...errors(400, 404) },
  }, async (c) => {
    const { database, config } = c.get('deps');
    const q = c.req.valid('query');
    const { t, week, jobsetId, maintainer, answer } = await listScope(c, q);
    // Text keys are checked as the eval cursors are: PostgreSQL refuses NUL and broken unicode (a 500, not a 400).
    const cursor = decodeCursor(q.cursor, (x): x is BreakageCursor =>
      validBreakageCursor(q.sort, x) && (x as unknown[]).every((k) => typeof k !== 'string' || isCleanText(k)));
    const page = await listBreakages(database.db, { now: t, hydraUrl: config.hydraUrl }, {
      jobsetId, week, systems: q.system, states: q.state, kinds: q.kind, claimed: q.claimed, q: q.q?.trim() || undefined, sort: q.sort,
      maintainer, team: q.team?.trim() || undefined, folded: q.folded,
    }, cursor, q.limit);
    return c.json(answer(page), 200);
  });
  route(app, {
    method: 'get', path: '/{id}', summary: 'One breakage', request: { params: idParam },
    responses: { ...ok(BreakageSchema), ...errors(400, 404) },
  }, async (c) => c.json(await current(c, c.req.valid('param').id), 200));
  // SPEC section 10: the failing build's last log lines, from Hydra on first request, then cached.
  route(app, {
    method: 'get', path: '/{id}/log', summary: 'The last lines of the failing build\'s log (SPEC section 10): from Hydra on first request, then cached by derivation',
    request: { params: idParam, query: logQuery },
    responses: { ...ok(LogTailSchema), ...errors(400, 404, 502) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const { database, hydra, now } = c.get('deps');
    const buildId = await breakageBuildId(database.db, id);
    if (buildId === null) throw new NotFound(`breakage ${id} does not exist`);
    if (!hydra) throw new Upstream('this server has no Hydra client to read build logs with');
    // A dependency failure never ran: why it failed is in its root's log (SPEC section 8), once known.
    const root = (await causeRows(database.db, [buildId])).get(buildId)?.rootBuildId ?? null;
    return c.json(await logTail(database.db, hydra, root ?? buildId, c.req.valid('query').lines, now), 200);
  });
  route(app, {
    method: 'post', path: '/{id}/claim', summary: 'Claim an open breakage', ...claimWrite,
    request: { ...claimWrite.request, body: jsonBody(claimBody, false) },
    responses: { 201: json(BreakageSchema, 'claimed'), ...errors(400, 401, 403, 404, 409, 413) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const user = signedIn(c);
    const body = await readBody(c, claimBody);
    const r = await claimBreakage(c.get('deps').database.db, {
      breakageId: id, userId: user.id, handle: user.login, prUrl: body.prUrl ?? null, note: body.note ?? null, now: c.get('deps').now(),
    });
    if (!r.ok) {
      if (r.reason === 'not_found') throw new NotFound(`breakage ${id} does not exist`);
      if (r.reason === 'not_open') throw new Conflict(`breakage ${id} is ${r.state}; only open breakages can be claimed`);
      throw new Conflict(`claimed by @${r.holder}`, { holder: r.holder });
    }
    return c.json(await current(c, id), 201);
  });
  route(app, {
    method: 'patch', path: '/{id}/claim', summary: 'Change the PR link or note of your claim', ...claimWrite,
    request: { ...claimWrite.request, body: jsonBody(claimBody, true) },
    responses: { ...ok(BreakageSchema), ...errors(400, 401, 403, 404, 413) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const user = signedIn(c);
    const body = await readBody(c, claimBody);
    if (body.prUrl === undefined && body.note === undefined) throw new Invalid('nothing to update: send prUrl and/or note');
    const r = await updateClaim(c.get('deps').database.db, { breakageId: id, userId: user.id, prUrl: body.prUrl, note: body.note, now: c.get('deps').now() });
    if (!r.ok) {
      if (r.reason === 'not_found') throw new NotFound(`breakage ${id} does not exist`);
      if (r.reason === 'no_claim') throw new NotFound(`breakage ${id} has no active claim`);
      throw new Forbidden(`claimed by @${r.holder}; only the holder may change it`, { holder: r.holder });
    }
    return c.json(await current(c, id), 200);
  });
  route(app, {
    method: 'delete', path: '/{id}/claim', summary: 'Release a claim (holder or maintainer)', ...claimWrite,
    responses: { ...ok(BreakageSchema), ...errors(401, 403, 404) },
  }, async (c) => {
    const { id } = c.req.valid('param');
    const user = signedIn(c);
    const r = await releaseClaim(c.get('deps').database.db, {
      breakageId: id, userId: user.id, handle: user.login, maintainer: user.maintainer, now: c.get('deps').now(),
    });
    if (!r.ok) {
      if (r.reason === 'not_found') throw new NotFound(`breakage ${id} does not exist`);
      if (r.reason === 'no_claim') throw new NotFound(`breakage ${id} has no active claim`);
      throw new Forbidden(`claimed by @${r.holder}; only the holder or a maintainer may release it`, { holder: r.holder });
    }
    return c.json(await current(c, id), 200);
  });
  return app;
}
