import { apiGet, apiSend, qs } from '$lib/server/pages/api';
import type { JobsetItem, Page, Roundup } from '$lib/types';
import { isoWeekOf, parseWeek } from '$lib/week';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const jobsets = (await apiGet<Page<JobsetItem>>(event, '/api/jobsets')).items.map((j) => j.jobset);
  const jobset = p.get('jobset') && jobsets.includes(p.get('jobset')!) ? p.get('jobset')! : (jobsets[0] ?? null);
  const thisWeek = isoWeekOf(Date.now());
  const week = parseWeek(p.get('week') ?? '') ?? thisWeek;
  const r = jobset ? await apiSend<Roundup>(event, 'GET', `/api/roundups/${week}${qs({ jobset })}`) : null;
  return {
    jobsets, jobset, week, thisWeek,
    roundup: r?.ok ? r.body : null,
    problem: r && !r.ok ? `${r.status}: ${r.message}` : null,
  };
};
