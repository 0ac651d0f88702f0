import { apiGet } from '$lib/server/pages/api';
import type { JobsetItem, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

// One read: the week's, the backlog's and the open counts come from one statement, so they add up.
export const load: PageServerLoad = async (event) => {
  const jobsets = await apiGet<Page<JobsetItem>>(event, '/api/jobsets');
  return { jobsets: jobsets.items };
};
