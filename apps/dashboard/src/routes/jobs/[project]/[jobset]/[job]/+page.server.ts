import { claimActions } from '$lib/server/pages/claims';
import { apiGet, apiTry, qs } from '$lib/server/pages/api';
import type { Breakage, JobHistory, Page, RootItem } from '$lib/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { project, jobset, job } = event.params;
  const enc = encodeURIComponent;
  const [history, breakages] = await Promise.all([
    apiGet<JobHistory>(event, `/api/jobs/${enc(project)}/${enc(jobset)}/${enc(job)}${qs({ limit: 100, cursor: event.url.searchParams.get('cursor') })}`),
    apiTry<Page<Breakage>>(event, `/api/breakages${qs({ week: 'all', jobset: `${project}/${jobset}`, q: job, sort: 'opened', limit: 50 })}`),
  ]);
  const mine = (breakages?.items ?? []).filter((b) => b.job === job);
  // The open breakage as a root: the jobs it blocks, listed as the roots view folds them.
  const open = mine.find((b) => b.state === 'open') ?? null;
  const roots = open && (open.blocks ?? 0) > 0
    ? await apiTry<Page<RootItem>>(event, `/api/roots${qs({ week: 'all', jobset: `${project}/${jobset}`, q: job, limit: 20 })}`)
    : null;
  return { history, breakages: mine, open, root: roots?.items.find((r) => r.breakage.id === open?.id) ?? null };
};

export const actions = claimActions;
