import { redirect } from '@sveltejs/kit';
import { claimActions } from '$lib/server/pages/claims';
import { apiGet, apiTry, qs } from '$lib/server/pages/api';
import type { Breakage, JobsetItem, Page, RootItem } from '$lib/types';
import { isoWeekOf, parseWeek } from '$lib/week';
import type { PageServerLoad } from './$types';

const PAGE = 200;
const ROOTS_PAGE = 50;

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
  // Roots first (the default view): the direct failures that block others, most blocking first,
  // then the breakages no listed root folds; `view=all` is the plain list of every breakage.
  const view = p.get('view') === 'all' ? 'all' : 'roots';
  const state = filters.state === '' ? 'open' : filters.state === 'all' ? '' : filters.state;
  const claimed = filters.claimed === '' ? 'false' : filters.claimed === 'yes' ? 'true' : '';
  const shared = { week, jobset: filters.jobset, system: filters.system, q: filters.q, maintainer: filters.maintainer, team: filters.team };
  // The roots' own state and claim follow the list's filters (a claimed root is under "claimed").
  const rootsQs = (over: Record<string, string | number | null>) => qs({
    ...shared, state: state === '' ? 'open,fixed,gone' : state, claimed, limit: ROOTS_PAGE, cursor: p.get('rcursor'), ...over,
  });
  const [list, jobsets, roots, claimedRoots] = await Promise.all([
    apiGet<Page<Breakage>>(event, `/api/breakages${qs({
      ...shared, kind: filters.kind, state, claimed,
      // Direct failures first (the ones to fix; dependency failures follow from them), ordered by
      // the query so that paging continues the order rather than restarting it on every page.
      sort: 'kind', limit: PAGE, cursor: p.get('cursor'), folded: view === 'roots' ? 'false' : null,
    })}`),
    apiGet<Page<JobsetItem>>(event, '/api/jobsets'),
    view === 'roots' ? apiGet<Page<RootItem>>(event, `/api/roots${rootsQs({})}`) : null,
    // Under "unclaimed", claimed roots (and the dependents they cover) are not listed: say how many.
    view === 'roots' && claimed === 'false' ? apiTry<Page<RootItem>>(event, `/api/roots${rootsQs({ claimed: 'true', limit: 1, cursor: null })}`) : null,
  ]);
  // A week without roots points at the backlog's, under the same filters (asked only then).
  const backlogRoots = view === 'roots' && roots?.total === 0 && week !== 'backlog' && week !== 'all'
    ? (await apiTry<Page<RootItem>>(event, `/api/roots${rootsQs({ week: 'backlog', limit: 1, cursor: null })}`))?.total ?? 0
    : 0;
  const systems = [...new Set(jobsets.items.flatMap((j) => Object.keys(j.latestEval?.countsBySystem ?? {})))].sort();
  return {
    week, thisWeek, filters, view, items: list.items, total: list.total, nextCursor: list.nextCursor,
    roots, claimedRoots: claimedRoots?.total ?? 0, backlogRoots,
    jobsets: jobsets.items.map((j) => j.jobset), systems,
  };
};

export const actions = claimActions;
