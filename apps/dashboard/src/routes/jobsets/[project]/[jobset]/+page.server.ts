import { apiGet, qs } from '$lib/server/pages/api';
import type { EvalView, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { project, jobset } = event.params;
  const evals = await apiGet<Page<EvalView>>(event,
    `/api/jobsets/${encodeURIComponent(project)}/${encodeURIComponent(jobset)}/evals${qs({ limit: 50, cursor: event.url.searchParams.get('cursor') })}`);
  return { jobset: `${project}/${jobset}`, evals };
};
