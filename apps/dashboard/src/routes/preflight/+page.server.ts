import { fail, redirect } from '@sveltejs/kit';
import { apiGet, apiSend, qs } from '$lib/server/pages/api';
import { fileOrText } from '$lib/server/pages/file-or-text';
import { heldUpload, HOLD, holdUpload } from '$lib/server/pages/uploads';
import { IMPACT_LISTS, type EvalView, type ImpactList, type JobsetItem, type Page, type PreflightReport } from '$lib/types';
import type { Actions, PageServerLoad } from './$types';

/** Items of an impact list per page; the rest are a "next" link away. */
const PAGE = 100;
/** Eval ids suggested per jobset as one types; any ingested eval id is accepted. */
const SUGGESTED = 30;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const jobsets = (await apiGet<Page<JobsetItem>>(event, '/api/jobsets')).items.map((j) => j.jobset);
  const evals = (await Promise.all(jobsets.map(async (js) => {
    const [project, name] = js.split('/');
    const page = await apiGet<Page<EvalView>>(event, `/api/jobsets/${project}/${name}/evals?limit=${SUGGESTED}`);
    return page.items.map((e) => ({ id: e.id, jobset: js, timestamp: e.timestamp, revision: e.revision }));
  }))).flat();
  const base = (p.get('base') ?? '').trim();
  const candidate = (p.get('candidate') ?? '').trim();
  const uploadId = p.get('upload') ?? '';
  const listParam = p.get('list');
  const list = IMPACT_LISTS.includes(listParam as ImpactList) ? (listParam as ImpactList) : null;
  const offsetParam = Number(p.get('offset') ?? 0);
  const offset = list && Number.isSafeInteger(offsetParam) && offsetParam > 0 ? offsetParam - (offsetParam % PAGE) : 0;
  const slice = { list, offset, limit: PAGE };
  const sliceQuery = qs({ list: list ?? undefined, offset: offset || undefined, limit: PAGE });

  let report: PreflightReport | null = null;
  let problem: string | null = null;
  let uploadJobset: string | null = null;
  if (uploadId) {
    const u = heldUpload(uploadId);
    if (!u) {
      problem = `That changed-paths.json is no longer held here (the last ${HOLD.entries} uploads are kept for ${HOLD.hours} hours, until a restart): upload it again.`;
    } else {
      uploadJobset = u.jobset;
      const r = await apiSend<PreflightReport>(event, 'POST', `/api/preflight${sliceQuery}`, { base: u.baseEvalId, changedPaths: u.changedPaths });
      if (r.ok) report = r.body;
      else problem = r.message;
    }
  } else if (base || candidate) {
    if (!/^[1-9][0-9]{0,15}$/.test(base) || !/^[1-9][0-9]{0,15}$/.test(candidate)) {
      problem = 'Give the base and the candidate as eval ids (positive whole numbers).';
    } else {
      const r = await apiSend<PreflightReport>(event, 'GET', `/api/preflight${qs({ base, candidate })}${sliceQuery.replace(/^\?/, '&')}`);
      if (r.ok) report = r.body;
      else problem = r.message;
    }
  }
  return { jobsets, evals, base, candidate, report, problem, slice, uploadJobset };
};

export const actions: Actions = {
  // The upload is held and the report shown at its own URL, so its lists page like any other.
  upload: async (event) => {
    const form = await event.request.formData();
    const jobset = String(form.get('jobset') ?? '');
    const text = await fileOrText(form);
    if (text === null) return fail(413, { jobset, message: 'changed-paths.json is over 5 MB' });
    if (!text) return fail(400, { jobset, message: 'Choose a changed-paths.json file or paste its contents.' });
    let changedPaths: unknown;
    try {
      changedPaths = JSON.parse(text);
    } catch {
      return fail(400, { jobset, message: 'That is not valid JSON.' });
    }
    // Computed once here to check the file and pin its base eval; the report page asks again per page.
    const r = await apiSend<PreflightReport>(event, 'POST', '/api/preflight?limit=0', { jobset, changedPaths });
    if (!r.ok) return fail(r.status, { jobset, message: r.message });
    const id = holdUpload({ changedPaths, baseEvalId: r.body.base.id, jobset, bytes: text.length });
    redirect(303, `/preflight?upload=${id}`);
  },
};
