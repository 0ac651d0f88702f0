import { apiGet, apiTry, qs } from '$lib/server/pages/api';
import type { Breakage, JobsetItem, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const jobsets = await apiGet<Page<JobsetItem>>(event, '/api/jobsets');
  const items = await Promise.all(jobsets.items.map(async (js) => {
    const [week, weekOpen, backlog] = await Promise.all([
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, limit: 1 })}`),
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, state: 'open', limit: 1 })}`),
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, week: 'backlog', limit: 1 })}`),
    ]);
    return {
      ...js,
      week: week ? { total: week.total, week: (week as Page<Breakage> & { week?: string }).week ?? null } : null,
      weekOpen: weekOpen?.total ?? null,
      backlog: backlog?.total ?? null,
    };
  }));
  return { jobsets: items };
};
