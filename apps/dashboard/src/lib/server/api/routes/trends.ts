import { isoWeekOf, nextWeek, parseWeek, weekRange } from '@zhf/collector/pure/week';
import { z } from 'zod';
import { findJobset, trackedSince, trendEvals, trendWeeks } from '@zhf/db/queries';
import { Invalid, NotFound } from '../errors.ts';
import { TrendsSchema } from '../../../api/schemas.ts';
import { apiApp, errors, ok, route, type ApiApp } from '../route.ts';
import { jobsetRefSchema } from '../util.ts';

const DAY_MS = 86_400_000;
const MAX_WEEKS = 156;
const MAX_EVALS = 2000;

/** A bound: an ISO week (its Monday; `to` takes the week's end), a date, or a date-time. */
function bound(s: string, end: boolean): Date {
  const w = parseWeek(s);
  if (w) return end ? weekRange(w).end : weekRange(w).start;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = new Date(`${s}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)) return end ? new Date(d.getTime() + DAY_MS) : d;
  }
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new Invalid(`${end ? 'to' : 'from'} must be an ISO week (2026-W48), a date or a date-time`);
}

/** `/api/trends`: failing counts per eval, and breakages opened/fixed/open per week, from when the record begins (`since`). */
export function trendRoutes(): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/', summary: 'Failing counts and the roots behind them per eval; opened, fixed, open and median time to fix per week',
    request: {
      query: z.object({
        jobset: jobsetRefSchema.meta({ description: 'project/jobset' }),
        from: z.string().max(40).optional().meta({ description: 'YYYY-Www, date or date-time' }),
        to: z.string().max(40).optional(),
      }),
    },
    responses: { ...ok(TrendsSchema), ...errors(400, 404) },
  }, async (c) => {
    const { database, now } = c.get('deps');
    const q = c.req.valid('query');
    const [p, n] = q.jobset.split('/') as [string, string];
    const js = await findJobset(database.db, p, n);
    if (!js) throw new NotFound(`jobset ${q.jobset} is not tracked`);
    const to = q.to ? bound(q.to, true) : weekRange(isoWeekOf(now())).end;
    const from = q.from ? bound(q.from, false) : new Date(to.getTime() - 12 * 7 * DAY_MS);
    if (from >= to) throw new Invalid('from must be before to');
    const weeks: { week: string; start: Date; end: Date }[] = [];
    for (let w = isoWeekOf(from); weekRange(w).start < to; w = nextWeek(w)) {
      weeks.push({ week: w, ...weekRange(w) });
      if (weeks.length > MAX_WEEKS) throw new Invalid(`at most ${MAX_WEEKS} weeks at once`);
    }
    // Independent reads: on a pooled connection they run side by side.
    const [evals, perWeek, since] = await Promise.all([
      trendEvals(database.db, js.id, from, to, MAX_EVALS), trendWeeks(database.db, js.id, weeks), trackedSince(database.db, js.id),
    ]);
    return c.json({ jobset: q.jobset, from: from.toISOString(), to: to.toISOString(), since, evals, weeks: perWeek }, 200);
  });
  return app;
}
