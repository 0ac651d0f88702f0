import { apiGet, hydraUrl, qs } from '$lib/server/pages/api';
import type { Landing } from '../../check/types';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const jobset = event.url.searchParams.get('jobset') ?? '';
  const landing = await apiGet<Landing>(event, `/api/commits/${encodeURIComponent(event.params.sha)}${qs({ jobset })}`);
  return { landing, hydraUrl: hydraUrl() };
};
