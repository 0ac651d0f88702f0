import { claimActions } from '$lib/server/pages/claims';
import { apiGet, qs } from '$lib/server/pages/api';
import type { Breakage, MaintainerSummary, Page } from '$lib/types';
import { maintainerGroups } from '$lib/maintainer-page';
import type { PageServerLoad } from './$types';

const LIMIT = 1000;

/** One person's open breakages across jobsets (SPEC section 9): this week's first, then older ones. */
export const load: PageServerLoad = async (event) => {
  const login = event.params.login;
  // Unknown logins are the API's 404, and so the page's.
  const who = await apiGet<MaintainerSummary>(event, `/api/maintainers/${encodeURIComponent(login)}`);
  const list = await apiGet<Page<Breakage>>(event, `/api/breakages${qs({ week: 'all', state: 'open', maintainer: login, sort: 'opened', limit: LIMIT })}`);
  const { thisWeek, earlier } = maintainerGroups(list.items, who.week);
  return { who, thisWeek, earlier, total: list.total, shown: list.items.length };
};

export const actions = claimActions;
