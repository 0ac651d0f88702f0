import { claimActions } from '$lib/server/pages/claims';
import { apiGet } from '$lib/server/pages/api';
import type { Breakage, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

/** Who holds what: every open, claimed breakage of any week, grouped by holder. */
export const load: PageServerLoad = async (event) => {
  const list = await apiGet<Page<Breakage>>(event, '/api/breakages?week=all&state=open&claimed=true&sort=opened&limit=1000');
  const byHolder = new Map<string, Breakage[]>();
  for (const b of list.items) {
    const k = b.claim?.by ?? '?';
    byHolder.set(k, [...(byHolder.get(k) ?? []), b]);
  }
  const holders = [...byHolder.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([by, items]) => ({ by, items }));
  return { holders, total: list.total };
};

export const actions = claimActions;
