import { apiGet, apiTry, qs } from '$lib/server/pages/api';
import type { Breakage, JobRow, JobsetItem, Page } from '$lib/types';
import type { PageServerLoad } from './$types';

/** Aggregate jobs that gate a channel (`tested` for NixOS, `unstable` for nixpkgs). */
const GATES = ['tested', 'unstable'];

export const load: PageServerLoad = async (event) => {
  const jobsets = await apiGet<Page<JobsetItem>>(event, '/api/jobsets');
  const items = await Promise.all(jobsets.items.map(async (js) => {
    const ev = js.latestEval;
    const [week, weekOpen, backlog, gates] = await Promise.all([
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, limit: 1 })}`),
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, state: 'open', limit: 1 })}`),
      apiTry<Page<Breakage>>(event, `/api/breakages${qs({ jobset: js.jobset, week: 'backlog', limit: 1 })}`),
      ev
        ? Promise.all(GATES.map((g) => apiTry<Page<JobRow>>(event, `/api/evals/${ev.id}/jobs${qs({ q: g, limit: 50 })}`)))
        : Promise.resolve([]),
    ]);
    const gateRows = gates.flatMap((p) => p?.items ?? []).filter((r) => GATES.includes(r.job));
    return {
      ...js,
      week: week ? { total: week.total, week: (week as Page<Breakage> & { week?: string }).week ?? null } : null,
      weekOpen: weekOpen?.total ?? null,
      backlog: backlog?.total ?? null,
      gates: gateRows,
    };
  }));
  return { jobsets: items };
};
