import { z } from 'zod';
import { allJobsets, attributionOf, evalViews, findJobset, gatesOfEvals, jobHistory, jobsetEvalPage, jobsetSummaries } from '@zhf/db/queries';
import { isoWeekOf } from '@zhf/collector/pure/week';
import { NotFound } from '../errors.ts';
import { EvalSchema, JobHistorySchema, JobsetSummarySchema, pageOf } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, type ApiApp } from '../route.ts';
import { cleanText, cursorSchema, decodeCursor, encodeCursor, idString, isId, limitSchema } from '../util.ts';

const nameParam = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'not a project or jobset name');

/** `/api/jobsets`: the tracked jobsets and their evals. */
export function jobsetRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/', summary: 'Tracked jobsets with their latest eval and open breakages',
    responses: ok(pageOf(JobsetSummarySchema)),
  }, async (c) => {
    const { database, config, now } = c.get('deps');
    const week = isoWeekOf(now());
    const rows = await allJobsets(database.db);
    const byRef = new Map(rows.map((r) => [`${r.project}/${r.name}`, r]));
    const tracked = config.jobsets.map((ref) => ({ ref, row: byRef.get(ref) ?? null }));
    const summaries = await jobsetSummaries(database.db, tracked.flatMap((t) => (t.row ? [t.row.id] : [])), week);
    const latestIds = [...summaries.values()].flatMap((s) => (s.latestEvalId === null ? [] : [s.latestEvalId]));
    const evals = new Map((await evalViews(database.db, latestIds)).map((e) => [e.id, e]));
    const gates = await gatesOfEvals(database.db, latestIds);
    const items = tracked.map(({ ref, row }) => {
      const s = row ? summaries.get(row.id) : undefined;
      return {
        jobset: ref,
        latestEval: s?.latestEvalId ? evals.get(s.latestEvalId) ?? null : null,
        openBreakages: s?.openBreakages ?? 0,
        // From the same statement as openBreakages: open = week.open + backlog, always.
        week: { week, breakages: s?.weekTotal ?? 0, open: s?.weekOpen ?? 0 },
        backlog: s?.backlog ?? 0,
        lastSyncOkAt: row?.lastSyncOkAt?.toISOString() ?? null,
        lastSyncError: row?.lastSyncError ?? null,
        // The channel gates of the latest eval, with the constituents that block them.
        gates: (s?.latestEvalId ? gates.get(s.latestEvalId) ?? [] : []).map((g) => ({ ...g, buildUrl: `${config.hydraUrl}/build/${g.buildId}` })),
      };
    });
    return c.json({ items, total: items.length, nextCursor: null }, 200);
  });
  route(app, {
    method: 'get', path: '/{project}/{jobset}/evals', summary: 'Evals, newest first',
    request: {
      params: z.object({ project: nameParam, jobset: nameParam }),
      query: z.object({ before: idString().optional().meta({ description: 'eval id' }), limit: limitSchema, cursor: cursorSchema }),
    },
    responses: { ...ok(pageOf(EvalSchema)), ...errors(400, 404) },
  }, async (c) => {
    const { database } = c.get('deps');
    const p = c.req.valid('param');
    const q = c.req.valid('query');
    const js = await findJobset(database.db, p.project, p.jobset);
    if (!js) throw new NotFound(`jobset ${p.project}/${p.jobset} is not tracked`);
    const before = decodeCursor(q.cursor, isId) ?? q.before ?? null;
    const page = await jobsetEvalPage(database.db, js.id, before, q.limit);
    const items = await evalViews(database.db, page.ids);
    return c.json({ items, total: page.total, nextCursor: page.next === null ? null : encodeCursor(page.next) }, 200);
  });
  return app;
}

/** `/api/jobs/:project/:jobset/:job`: one job's history. */
export function jobRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/{project}/{jobset}/{job}', summary: 'A job\'s history',
    request: {
      params: z.object({ project: nameParam, jobset: nameParam, job: cleanText(500).pipe(z.string().min(1)) }),
      query: z.object({ limit: limitSchema, cursor: cursorSchema }),
    },
    responses: { ...ok(JobHistorySchema), ...errors(400, 404) },
  }, async (c) => {
    const { database, config } = c.get('deps');
    const p = c.req.valid('param');
    const q = c.req.valid('query');
    const js = await findJobset(database.db, p.project, p.jobset);
    if (!js) throw new NotFound(`jobset ${p.project}/${p.jobset} is not tracked`);
    const h = await jobHistory(database.db, js, p.job, decodeCursor(q.cursor, isId), q.limit);
    if (!h) throw new NotFound(`job ${p.job} is not in ${p.project}/${p.jobset}`);
    const pkg = p.job.endsWith(`.${h.system}`) ? p.job.slice(0, -h.system.length - 1) : p.job;
    const who = (await attributionOf(database.db, [{ jobsetId: js.id, pkg }])).get(`${js.id}:${pkg}`);
    return c.json({
      jobset: `${js.project}/${js.name}`,
      job: p.job,
      system: h.system,
      hydraUrl: `${config.hydraUrl}/job/${encodeURIComponent(js.project)}/${encodeURIComponent(js.name)}/${encodeURIComponent(p.job)}`,
      items: h.page.items,
      total: h.page.total,
      nextCursor: h.page.next === null ? null : encodeCursor(h.page.next),
      lastSuccess: h.lastSuccess,
      firstFailureAfter: h.firstFailureAfter,
      range: h.range,
      maintainers: who?.maintainers ?? [],
      teams: who?.teams ?? [],
    }, 200);
  });
  return app;
}
