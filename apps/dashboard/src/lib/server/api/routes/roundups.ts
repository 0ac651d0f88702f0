// GET /api/roundups/:week and /api/roundups/:week.md (SPEC section 5), as a Hono sub-app to
// mount with `.route('/roundups', …)`.

import { z } from 'zod';
import type { Database } from '@zhf/db';
import { getRoundup } from '@zhf/collector/roundup/build';
import { parseWeek } from '@zhf/collector/pure/week';
import { Invalid, NotFound } from '../errors.ts';
import { RoundupSchema } from '../../../api/schemas.ts';
import { alsoAnswers, apiApp, errors, ok, route, text, type ApiApp } from '../route.ts';
import { jobsetQuery } from '../util.ts';

export interface RoundupRouteDeps {
  database: Pick<Database, 'db'>;
  config: { hydraUrl: string; jobsets: string[]; publicUrl?: string | null; roundupMentions?: boolean };
  /** The clock for roundups computed live (not frozen yet). */
  now?: () => Date;
}

/** `2026-W48` (JSON) or `2026-W48.md` (Markdown). */
const weekParam = z.object({
  week: z.string().transform((raw, ctx) => {
    const markdown = raw.endsWith('.md');
    const week = parseWeek(markdown ? raw.slice(0, -3) : raw);
    if (!week) {
      ctx.addIssue({ code: 'custom', message: `must be an ISO week such as 2026-W48, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return { week, markdown };
  }).meta({ description: 'ISO week, e.g. 2026-W45' }),
});
const jobset = jobsetQuery.meta({ description: 'default: the first configured jobset' });
const roundupQuery = z.object({
  jobset,
  part: z.string().regex(/^[1-9]\d{0,5}$/, 'must be a positive integer').transform(Number).optional().meta({ description: '1-based' }),
});

/**
 * `GET /:week?jobset=` answers the roundup as JSON (frozen, or computed live with `frozen: false`);
 * `GET /:week.md?jobset=[&part=N]` answers its Markdown: every part, separated by a
 * `<!-- part break -->` line, or only part N (1-based). The jobset defaults to the first configured.
 */
export function roundupRoutes(deps: RoundupRouteDeps): ApiApp {
  const app = apiApp();
  route(app, {
    method: 'get', path: '/{week}', summary: 'The week\'s roundup (frozen, or computed live with frozen: false)',
    request: { params: weekParam, query: roundupQuery },
    // The same segment answers `/{week}.md` (documented apart, below): the Markdown is a 200 too.
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: RoundupSchema }, 'text/markdown': { schema: z.string() } } }, ...errors(400, 404) },
  }, async (c) => {
    const { week, markdown } = c.req.valid('param').week;
    const q = c.req.valid('query');
    const jobset = q.jobset ?? deps.config.jobsets[0];
    if (!jobset) throw new Invalid('jobset is required: no jobset is configured');
    const part = q.part ?? null;
    if (part !== null && !markdown) throw new Invalid('part applies to the Markdown (.md) form only');
    const r = await getRoundup(deps.database.db, {
      jobset, week, hydraUrl: deps.config.hydraUrl, dashboardUrl: deps.config.publicUrl ?? null, now: deps.now?.() ?? new Date(),
      mentions: deps.config.roundupMentions,
    });
    if (!r) throw new NotFound(`jobset ${jobset} is not tracked`);
    if (!markdown) return c.json(r, 200);
    if (part !== null && part > r.parts.length) throw new NotFound(`the roundup has ${r.parts.length} part(s); there is no part ${part}`);
    const body = part === null ? r.markdown : r.parts[part - 1]!;
    return c.body(body, 200, { 'content-type': 'text/markdown; charset=utf-8' });
  }, { document: { request: { params: weekParam, query: roundupQuery.omit({ part: true }) }, responses: { ...ok(RoundupSchema), ...errors(400, 404) } } });
  alsoAnswers(app, {
    method: 'get', path: '/{week}.md',
    summary: 'The week\'s roundup as Markdown: every part, separated by `<!-- part break -->` lines, or only part N',
    request: { params: z.object({ week: z.string().meta({ description: 'ISO week, e.g. 2026-W45' }) }), query: roundupQuery },
    responses: { ...text('text/markdown', 'Markdown'), ...errors(400, 404) },
  });
  return app;
}
