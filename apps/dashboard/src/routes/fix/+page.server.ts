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
  const week = rawWeek === 'backlog' || rawWeek === 'all' ? rawWeek : (parseWeek(rawWeek) ?? thisWeek);
  const filters = {
    jobset: p.get('jobset') ?? '',
    system: p.get('system') ?? '',
    kind: p.get('kind') ?? '',
    state: p.get('state') ?? '',
    claimed: p.get('claimed') ?? '',
    q: p.get('q') ?? '',
    maintainer: (p.get('maintainer') ?? '').trim().replace(/^@/, ''),
    team: (p.get('team') ?? '').trim(),
  };
  const [list, jobsets] = await Promise.all([
    apiGet<Page<Breakage>>(event, `/api/breakages${qs({
      week, ...filters, claimed: filters.claimed === 'yes' ? 'true' : filters.claimed === 'no' ? 'false' : '',
      sort: 'system', limit: PAGE, cursor: p.get('cursor'),
    })}`),
    apiGet<Page<JobsetItem>>(event, '/api/jobsets'),
  ]);
  const systems = [...new Set(jobsets.items.flatMap((j) => Object.keys(j.latestEval?.countsBySystem ?? {})))].sort();
  // Direct failures first: they are the ones to fix; dependency failures follow from them.
  const items = [...list.items].sort((a, b) =>
    (a.kind === 'dependency' ? 1 : 0) - (b.kind === 'dependency' ? 1 : 0) || a.system.localeCompare(b.system) || a.job.localeCompare(b.job));
  return {
    week, thisWeek, filters, items, total: list.total, nextCursor: list.nextCursor,
    jobsets: jobsets.items.map((j) => j.jobset), systems,
  };
};

export const actions = claimActions;
