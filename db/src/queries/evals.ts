/** Evals as the API shows them. */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';
import { isoTime } from './breakages.ts';
import { type Category } from '../verdict/index.ts';
import { refreshEvalStats } from './verdicts.ts';

export interface EvalView {
  id: number;
  jobset: string;
  revision: string | null;
  timestamp: string;
  previousEvalId: number | null;
  complete: boolean;
  pending: number;
  counts: Partial<Record<Category, number>>;
  countsBySystem: Record<string, Partial<Record<Category, number>>>;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/**
 * Evals with their category counts, in the order of `ids`. Counts come from eval_stats,
 * recomputed first for the evals whose row is missing or stale.
 */
export async function evalViews(db: Db, ids: number[]): Promise<EvalView[]> {
  if (!ids.length) return [];
  const idList = sql`${`{${ids.join(',')}}`}::bigint[]`;
  const missing = await queryRows<{ id: string | number; jobset_id: number }>(db, sql`
    select e.id, e.jobset_id from evals e left join eval_stats s on s.eval_id = e.id
    where e.id = any(${idList}) and (s.eval_id is null or s.stale)`);
  const byJobset = new Map<number, number[]>();
  for (const m of missing) (byJobset.get(m.jobset_id) ?? byJobset.set(m.jobset_id, []).get(m.jobset_id)!).push(Number(m.id));
  for (const [jobsetId, evalIds] of byJobset) await refreshEvalStats(db, jobsetId, evalIds);
  const rows = await queryRows<{
    id: string | number; project: string; name: string; revision: string | null; timestamp: string | Date; prev_id: string | number | null;
    counts: unknown; counts_by_system: unknown; pending: number | null;
  }>(db, sql`
    select e.id, js.project, js.name, e.revision, e.timestamp,
      (select max(p.id) from evals p where p.jobset_id = e.jobset_id and p.id < e.id) as prev_id,
      s.counts, s.counts_by_system, s.pending
    from evals e join jobsets js on js.id = e.jobset_id left join eval_stats s on s.eval_id = e.id
    where e.id = any(${idList})`);
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const pending = r.pending ?? 0;
    return [{
      id, jobset: `${r.project}/${r.name}`, revision: r.revision, timestamp: isoTime(r.timestamp),
      previousEvalId: r.prev_id === null ? null : Number(r.prev_id), complete: pending === 0, pending,
      counts: json(r.counts ?? {}), countsBySystem: json(r.counts_by_system ?? {}),
    }];
  });
}
