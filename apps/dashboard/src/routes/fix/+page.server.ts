import { redirect } from '@sveltejs/kit';
import { claimActions } from '$lib/server/pages/claims';
import { apiGet, qs } from '$lib/server/pages/api';
import type { Breakage, JobsetItem, Page } from '$lib/types';
import { isoWeekOf, parseWeek } from '$lib/week';
import type { PageServerLoad } from './$types';

const PAGE = 200;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  // The filter form submits every field; a shared link keeps only the ones that say something.
  if ([...p.values()].some((v) => v === '')) {
    const kept = new URLSearchParams([...p].filter(([, v]) => v !== ''));
    redirect(302, `${event.url.pathname}${kept.size ? `?${kept}` : ''}`);
  }
  const rawWeek = p.get('week') ?? '';
  const thisWeek = isoWeekOf(Date.now());
  const week = rawWeek === 'backlog' || rawWeek === 'all' ? rawWeek : (parseWeek(rawWeek) ?? thisWeek);
  const filters = {
    jobset: p.get('jobset') ?? '',
    system: p.get('system') ?? '',
    kind: p.get('kind') ?? '',
    // Open and unclaimed by default (''): what a contributor can pick up. `all` includes the rest.
    state: p.get('state') === 'open' ? '' : (p.get('state') ?? ''),
    claimed: p.get('claimed') === 'no' ? '' : (p.get('claimed') ?? ''),
    q: p.get('q') ?? '',
    maintainer: (p.get('maintainer') ?? '').trim().replace(/^@/, ''),
    team: (p.get('team') ?? '').trim(),
  };
  const [list, jobsets] = await Promise.all([
    apiGet<Page<Breakage>>(event, `/api/breakages${qs({
      week, ...filters,
      state: filters.state === '' ? 'open' : filters.state === 'all' ? '' : filters.state,
      claimed: filters.claimed === '' ? 'false' : filters.claimed === 'yes' ? 'true' : '',
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
