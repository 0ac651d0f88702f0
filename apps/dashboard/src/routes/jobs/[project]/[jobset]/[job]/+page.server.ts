import { claimActions } from '$lib/server/pages/claims';
import { apiGet, apiTry, qs } from '$lib/server/pages/api';
import type { Breakage, JobHistory, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { project, jobset, job } = event.params;
  const enc = encodeURIComponent;
  const [history, breakages] = await Promise.all([
    apiGet<JobHistory>(event, `/api/jobs/${enc(project)}/${enc(jobset)}/${enc(job)}${qs({ limit: 100, cursor: event.url.searchParams.get('cursor') })}`),
    apiTry<Page<Breakage>>(event, `/api/breakages${qs({ week: 'all', jobset: `${project}/${jobset}`, q: job, sort: 'opened', limit: 50 })}`),
  ]);
  return { history, breakages: (breakages?.items ?? []).filter((b) => b.job === job) };
};

export const actions = claimActions;
