import { fail, redirect } from '@sveltejs/kit';
import { apiGet, apiSend, qs } from '$lib/server/pages/api';
import { fileOrText } from '$lib/server/pages/file-or-text';
import type { JobsetItem, Page } from '$lib/types';
import { packageProblem } from '@zhf/collector/check/run';
import type { CheckResult } from './types';
import type { Actions, PageServerLoad } from './$types';

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
    const text = await fileOrText(form);
    if (text === null) return fail(413, { jobset, message: 'report.json is over 5 MB' });
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
      // One package per line: `attr` or `attr system`. Problems are told by line, as the box numbers them.
      const lines = text.split('\n').map((l, i) => ({ line: i + 1, words: l.trim().split(/\s+/).filter(Boolean) })).filter((l) => l.words.length);
      const packages = lines.map(({ words: [attr, sys] }) => ({ attr: attr ?? '', system: sys ?? system }));
      const missing = packages.findIndex((p) => !p.system);
      if (missing >= 0) return fail(400, { jobset, message: `Line ${lines[missing]!.line} (${packages[missing]!.attr}) has no system: add one after the name, or fill in the system field.` });
      const extra = lines.find((l) => l.words.length > 2);
      if (extra) return fail(400, { jobset, message: `Line ${extra.line} has more than a package and a system: ${JSON.stringify(extra.words.join(' '))}.` });
      const problem = packageProblem(packages);
      if (problem) return fail(400, { jobset, message: `Line ${lines[problem.index]!.line}: ${problem.message}.` });
      body = { jobset: jobset || undefined, packages };
    }
    const r = await apiSend<CheckResult>(event, 'POST', '/api/check', body);
    if (!r.ok) return fail(r.status, { jobset, message: r.message });
    return { jobset, result: r.body };
  },
};
