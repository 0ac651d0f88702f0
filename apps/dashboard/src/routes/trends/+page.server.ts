import { apiGet, qs } from '$lib/server/pages/api';
import type { JobsetItem, Page, Trends } from '$lib/types';
import type { PageServerLoad } from './$types';

const RANGES = { '4w': 4, '12w': 12, '26w': 26, '52w': 52 } as const;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const jobsets = (await apiGet<Page<JobsetItem>>(event, '/api/jobsets')).items.map((j) => j.jobset);
  const jobset = p.get('jobset') && jobsets.includes(p.get('jobset')!) ? p.get('jobset')! : (jobsets[0] ?? null);
  const range = (p.get('range') ?? '12w') in RANGES ? (p.get('range') ?? '12w') as keyof typeof RANGES : '12w';
  const from = new Date(Date.now() - RANGES[range] * 7 * 86_400_000).toISOString().slice(0, 10);
  const trends = jobset ? await apiGet<Trends>(event, `/api/trends${qs({ jobset, from })}`) : null;
  return { jobsets, jobset, range, ranges: Object.keys(RANGES), trends };
};
