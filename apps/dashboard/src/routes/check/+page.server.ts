import { fail, redirect } from '@sveltejs/kit';
import { apiGet, apiSend, qs } from '$lib/server/pages/api';
import type { JobsetItem, Page } from '$lib/types';
import type { CheckResult } from './types';
import type { Actions, PageServerLoad } from './$types';

const MAX_UPLOAD = 5 * 1024 * 1024;

export const load: PageServerLoad = async (event) => {
  const p = event.url.searchParams;
  const jobset = p.get('jobset') ?? '';
  // The "where did it land" form is a GET: send it on to the commit or PR page.
  const sha = (p.get('sha') ?? '').trim();
  if (sha) redirect(303, `/commits/${encodeURIComponent(sha)}${qs({ jobset })}`);
  const pr = (p.get('pr') ?? '').trim().replace(/^#/, '');
  if (pr) redirect(303, `/prs/${encodeURIComponent(pr)}${qs({ jobset })}`);
  const jobsets = (await apiGet<Page<JobsetItem>>(event, '/api/jobsets')).items.map((j) => j.jobset);
  return { jobsets };
};

export const actions: Actions = {
  check: async (event) => {
    const form = await event.request.formData();
    const jobset = String(form.get('jobset') ?? '');
    const system = String(form.get('system') ?? '').trim();
    const file = form.get('file');
    let text = String(form.get('text') ?? '').trim();
    if (file instanceof File && file.size > 0) {
      if (file.size > MAX_UPLOAD) return fail(413, { jobset, message: 'report.json is over 5 MB' });
      text = (await file.text()).trim();
    }
    if (!text) return fail(400, { jobset, message: 'Drop a report.json, paste it, or list packages one per line.' });
    let body: Record<string, unknown>;
    if (text.startsWith('{')) {
      let report: unknown;
      try {
        report = JSON.parse(text);
      } catch {
        return fail(400, { jobset, message: 'That is not valid JSON.' });
      }
      body = { jobset: jobset || undefined, report, system: system || undefined };
    } else {
      // One package per line: `attr` or `attr system`.
      const packages = text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const [attr, sys] = l.split(/\s+/);
        return { attr: attr ?? '', system: sys ?? system };
      });
      if (packages.some((p) => !p.system)) return fail(400, { jobset, message: 'Give a system for every package (a column, or the system field).' });
      body = { jobset: jobset || undefined, packages };
    }
    const r = await apiSend<CheckResult>(event, 'POST', '/api/check', body);
    if (!r.ok) return fail(r.status, { jobset, message: r.message });
    return { jobset, result: r.body };
  },
};
