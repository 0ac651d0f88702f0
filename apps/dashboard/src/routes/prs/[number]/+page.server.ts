import { fail } from '@sveltejs/kit';
import { apiGet, apiSend, hydraUrl, qs } from '$lib/server/pages/api';
import type { PrLanding } from '../../check/types';
import type { Actions, PageServerLoad } from './$types';

const MAX_UPLOAD = 5 * 1024 * 1024;

export const load: PageServerLoad = async (event) => {
  const jobset = event.url.searchParams.get('jobset') ?? '';
  const landing = await apiGet<PrLanding>(event, `/api/prs/${encodeURIComponent(event.params.number)}${qs({ jobset })}`);
  return { landing, hydraUrl: hydraUrl() };
};

export const actions: Actions = {
  /** Narrow "what it broke" to the jobs the PR rebuilt, from its changed-paths.json. */
  narrow: async (event) => {
    const form = await event.request.formData();
    const file = form.get('file');
    let text = String(form.get('text') ?? '').trim();
    if (file instanceof File && file.size > 0) {
      if (file.size > MAX_UPLOAD) return fail(413, { message: 'changed-paths.json is over 5 MB' });
      text = (await file.text()).trim();
    }
    if (!text) return fail(400, { message: 'Choose a changed-paths.json file or paste its contents.' });
    let changedPaths: unknown;
    try {
      changedPaths = JSON.parse(text);
    } catch {
      return fail(400, { message: 'That is not valid JSON.' });
    }
    const jobset = event.url.searchParams.get('jobset') ?? '';
    const r = await apiSend<PrLanding>(event, 'POST', `/api/prs/${encodeURIComponent(event.params.number)}${qs({ jobset })}`, { changedPaths });
    if (!r.ok) return fail(r.status, { message: r.message });
    return { landing: r.body };
  },
};
