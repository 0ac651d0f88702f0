// GET /api/roundups/:week and /api/roundups/:week.md (SPEC section 5), as a Hono sub-app to
// mount with `.route('/roundups', …)`.

import { Hono } from 'hono';
import type { Database } from '@zhf/db';
import { getRoundup } from '@zhf/collector/roundup/build';
import { parseWeek } from '@zhf/collector/pure/week';
import { Invalid, NotFound, onError } from '../errors.ts';

export interface RoundupRouteDeps {
  database: Pick<Database, 'db'>;
  config: { hydraUrl: string; jobsets: string[]; publicUrl?: string | null; roundupMentions?: boolean };
  /** The clock for roundups computed live (not frozen yet). */
  now?: () => Date;
}

/**
 * `GET /:week?jobset=` answers the roundup as JSON (frozen, or computed live with `frozen: false`);
 * `GET /:week.md?jobset=[&part=N]` answers its Markdown: every part, separated by a
 * `<!-- part break -->` line, or only part N (1-based). The jobset defaults to the first configured.
 */
export function roundupRoutes(deps: RoundupRouteDeps) {
  return new Hono()
    .onError(onError)
    .get('/:week', async (c) => {
      const raw = c.req.param('week');
      const markdown = raw.endsWith('.md');
      const week = parseWeek(markdown ? raw.slice(0, -3) : raw);
      if (!week) throw new Invalid(`week must be an ISO week such as 2026-W48, got ${JSON.stringify(raw)}`);
      const jobset = c.req.query('jobset') || deps.config.jobsets[0];
      if (!jobset) throw new Invalid('jobset is required: no jobset is configured');
      if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(jobset)) throw new Invalid(`jobset must be project/jobset, got ${JSON.stringify(jobset)}`);
      const partRaw = c.req.query('part');
      let part: number | null = null;
      if (partRaw !== undefined) {
        if (!markdown) throw new Invalid('part applies to the Markdown (.md) form only');
        if (!/^[1-9]\d{0,5}$/.test(partRaw)) throw new Invalid(`part must be a positive integer, got ${JSON.stringify(partRaw)}`);
        part = Number(partRaw);
      }
      const r = await getRoundup(deps.database.db, {
        jobset, week, hydraUrl: deps.config.hydraUrl, dashboardUrl: deps.config.publicUrl ?? null, now: deps.now?.() ?? new Date(),
        mentions: deps.config.roundupMentions,
      });
      if (!r) throw new NotFound(`jobset ${jobset} is not tracked`);
      if (!markdown) return c.json(r, 200);
      if (part !== null && part > r.parts.length) throw new NotFound(`the roundup has ${r.parts.length} part(s); there is no part ${part}`);
      const body = part === null ? r.markdown : r.parts[part - 1]!;
      return c.body(body, 200, { 'content-type': 'text/markdown; charset=utf-8' });
    });
}
