import { error } from '@sveltejs/kit';
import { apiGet, qs } from '$lib/server/pages/api';
import { CATEGORIES, type Category, type EvalView, type JobRow, type Page } from '$lib/types';
import type { PageServerLoad } from './$types';

/** Without a category filter the page shows what changed or is broken, not the green majority. */
const DEFAULT: Category[] = ['new_failure', 'new_job_failing', 'fixed', 'still_failing', 'failing', 'pending', 'infra', 'removed'];

export const load: PageServerLoad = async (event) => {
  const { id } = event.params;
  if (!/^[1-9][0-9]{0,15}$/.test(id)) error(404, `no eval ${id}`);
  const p = event.url.searchParams;
  const raw = p.getAll('category').flatMap((s) => s.split(',')).filter(Boolean);
  const all = raw.includes('all');
  const categories = all ? [] : raw.length ? raw.filter((c): c is Category => (CATEGORIES as readonly string[]).includes(c)) : DEFAULT;
  const compare = p.get('compare');
  const compareId = compare && /^[1-9][0-9]{0,15}$/.test(compare) ? Number(compare) : null;
  const filters = { system: p.get('system') ?? '', kind: p.get('kind') ?? '', q: p.get('q') ?? '' };
  const limit = Math.min(1000, Math.max(1, Number(p.get('limit')) || 200));
  const rowsQs = qs({ category: categories.join(','), ...filters, limit, cursor: p.get('cursor') });

  const ev = await apiGet<EvalView>(event, `/api/evals/${id}`);
  const [project, jobset] = ev.jobset.split('/');
  const [rows, evals, other] = await Promise.all([
    apiGet<Page<JobRow>>(event, compareId ? `/api/evals/${id}/compare/${compareId}${rowsQs}` : `/api/evals/${id}/jobs${rowsQs}`),
    apiGet<Page<EvalView>>(event, `/api/jobsets/${project}/${jobset}/evals?limit=50`),
    compareId ? apiGet<EvalView>(event, `/api/evals/${compareId}`) : Promise.resolve(null),
  ]);
  return {
    ev, rows, other, compareId, categories, all, filters,
    evals: evals.items.map((e) => ({ id: e.id, timestamp: e.timestamp, revision: e.revision })),
  };
};
