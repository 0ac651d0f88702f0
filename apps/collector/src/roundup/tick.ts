// What the roundup schedule (ZHF_ROUNDUP_CRON, Wednesday 06:45 UTC by default) runs at each tick.

import type { Database } from '@zhf/db';
import type { Logger } from '../log.ts';
import { freezeDueRoundups, type FreezeResult } from './build.ts';

export interface RoundupTickDeps {
  database: Pick<Database, 'db'>;
  config: { hydraUrl: string; jobsets: string[]; publicUrl?: string | null; roundupMentions?: boolean };
  log?: Logger;
}

/**
 * The function the scheduler calls: freezes the week that ended before `now` for every configured
 * jobset. Idempotent per week: a second tick in the same week (a restart, a manual run, two
 * processes) updates the stored roundup instead of adding one.
 */
export function createRoundupTick(deps: RoundupTickDeps): (now?: Date) => Promise<FreezeResult[]> {
  return async (now = new Date()) => {
    const results = await freezeDueRoundups(deps.database.db, {
      jobsets: deps.config.jobsets, hydraUrl: deps.config.hydraUrl, dashboardUrl: deps.config.publicUrl ?? null, now, mentions: deps.config.roundupMentions,
    });
    for (const r of results) {
      if (r.frozen) deps.log?.info('roundup frozen', { jobset: r.jobset, week: r.week, breakages: r.breakages, parts: r.parts });
      else deps.log?.warn('roundup skipped: jobset not synced yet', { jobset: r.jobset, week: r.week });
    }
    return results;
  };
}
