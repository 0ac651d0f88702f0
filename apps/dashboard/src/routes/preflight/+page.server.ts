import { fail } from '@sveltejs/kit';
import { apiGet, apiSend, qs } from '$lib/server/pages/api';
import type { EvalView, JobsetItem, Page, PreflightReport } from '$lib/types';
import type { Actions, PageServerLoad } from './$types';

const MAX_UPLOAD = 5 * 1024 * 1024;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const jobsets = (await apiGet<Page<JobsetItem>>(event, '/api/jobsets')).items.map((j) => j.jobset);
  const evals = (await Promise.all(jobsets.map(async (js) => {
    const [project, name] = js.split('/');
    const page = await apiGet<Page<EvalView>>(event, `/api/jobsets/${project}/${name}/evals?limit=30`);
    return page.items.map((e) => ({ id: e.id, jobset: js, timestamp: e.timestamp, revision: e.revision }));
  }))).flat();
  const base = p.get('base') ?? '';
  const candidate = p.get('candidate') ?? '';
  let report: PreflightReport | null = null;
  let problem: string | null = null;
  if (base && candidate) {
    const r = await apiSend<PreflightReport>(event, 'GET', `/api/preflight${qs({ base, candidate, limit: 500 })}`);
    if (r.ok) report = r.body;
    else problem = r.message;
  }
  return { jobsets, evals, base, candidate, report, problem };
};

export const actions: Actions = {
  upload: async (event) => {
    const form = await event.request.formData();
    const jobset = String(form.get('jobset') ?? '');
    const file = form.get('file');
    let text = String(form.get('text') ?? '').trim();
    if (file instanceof File && file.size > 0) {
      if (file.size > MAX_UPLOAD) return fail(413, { jobset, message: 'changed-paths.json is over 5 MB' });
      text = (await file.text()).trim();
    }
    if (!text) return fail(400, { jobset, message: 'Choose a changed-paths.json file or paste its contents.' });
    let changedPaths: unknown;
    try {
      changedPaths = JSON.parse(text);
    } catch {
      return fail(400, { jobset, message: 'That is not valid JSON.' });
    }
    const r = await apiSend<PreflightReport>(event, 'POST', '/api/preflight?limit=500', { jobset, changedPaths });
    if (!r.ok) return fail(r.status, { jobset, message: r.message });
    return { jobset, report: r.body };
  },
};
