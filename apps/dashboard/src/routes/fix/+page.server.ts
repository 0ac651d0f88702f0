import { claimActions } from '$lib/server/pages/claims';
import { apiGet, qs } from '$lib/server/pages/api';
import type { Breakage, JobsetItem, Page } from '$lib/types';
import { isoWeekOf, parseWeek } from '$lib/week';
import type { PageServerLoad } from './$types';

const PAGE = 200;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const rawWeek = p.get('week') ?? '';
  const thisWeek = isoWeekOf(Date.now());
  const week = rawWeek === 'backlog' ? 'backlog' : (parseWeek(rawWeek) ?? thisWeek);
  const filters = {
    jobset: p.get('jobset') ?? '',
    system: p.get('system') ?? '',
    kind: p.get('kind') ?? '',
    state: p.get('state') ?? '',
    claimed: p.get('claimed') ?? '',
    q: p.get('q') ?? '',
  };
  const [list, jobsets] = await Promise.all([
    apiGet<Page<Breakage>>(event, `/api/breakages${qs({
      week, ...filters, claimed: filters.claimed === 'yes' ? 'true' : filters.claimed === 'no' ? 'false' : '',
      // Direct failures first (the ones to fix; dependency failures follow from them), ordered by
      // the query so that paging continues the order rather than restarting it on every page.
      sort: 'kind', limit: PAGE, cursor: p.get('cursor'),
    })}`),
    apiGet<Page<JobsetItem>>(event, '/api/jobsets'),
  ]);
  const systems = [...new Set(jobsets.items.flatMap((j) => Object.keys(j.latestEval?.countsBySystem ?? {})))].sort();
  return {
    week, thisWeek, filters, items: list.items, total: list.total, nextCursor: list.nextCursor,
    jobsets: jobsets.items.map((j) => j.jobset), systems,
  };
};

export const actions = claimActions;
