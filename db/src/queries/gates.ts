import { sql } from 'drizzle-orm';
import { jsonParam, queryRows, type Db } from '../client.ts';
import { kindSql, outcomeSql } from '../verdict/index.ts';
import { idArray, runInEvalSql } from './sql-fragments.ts';

/** Aggregate jobs that gate a channel: `tested` (NixOS channels) and `unstable` (nixpkgs-unstable). */
export const GATE_JOBS = ['tested', 'unstable'];

/** Gate builds of an eval whose constituents are not stored yet. */
export async function gatesWithoutConstituents(db: Db, jobsetId: number, evalId: number): Promise<number[]> {
  const rows = await queryRows<{ id: string }>(db, sql`
    select b.id from memberships m join jobs j on j.id = m.job_id join builds b on b.id = m.build_id
    where ${runInEvalSql('m', jobsetId, evalId)}
      and m.build_id > 0 -- a placeholder (negative id) awaits its build: Hydra has no constituents for it
      and j.name = any(${`{${GATE_JOBS.join(',')}}`}::text[])
      and not exists (select 1 from gate_constituents g where g.gate_build_id = b.id)`);
  return rows.map((r) => Number(r.id));
}

export async function storeConstituents(db: Db, gateBuildId: number, constituents: { id: number; job: string }[]): Promise<void> {
  if (!constituents.length) return;
  await db.execute(sql`
    insert into gate_constituents (gate_build_id, build_id, job)
    select ${gateBuildId}, x.id, x.job from jsonb_to_recordset(${jsonParam(constituents)}) as x(id bigint, job text)
    on conflict do nothing`);
}

export interface GateView {
  job: string;
  buildId: number;
  outcome: 'success' | 'failure' | 'pending' | 'infra';
  status: number | null;
  /** Constituents known (0 while not read yet). */
  constituents: number;
  /** Constituents whose current build is not green, failing first. */
  blocking: { job: string; buildId: number; outcome: 'failure' | 'pending' | 'infra'; kind: 'direct' | 'dependency' | null }[];
}

/** The gate jobs of each eval with the constituents that currently block them. */
export async function gatesOfEvals(db: Db, evalIds: number[]): Promise<Map<number, GateView[]>> {
  const out = new Map<number, GateView[]>();
  if (!evalIds.length) return out;
  const gates = await queryRows<{ eval_id: string; job: string; build_id: string; outcome: GateView['outcome']; status: number | null }>(db, sql`
    select e.id as eval_id, j.name as job, b.id as build_id, ${outcomeSql('b')} as outcome, b.status
    from evals e join memberships m on m.jobset_id = e.jobset_id and m.first_eval_id <= e.id and (m.last_eval_id is null or m.last_eval_id >= e.id)
    join jobs j on j.id = m.job_id and j.name = any(${`{${GATE_JOBS.join(',')}}`}::text[])
    join builds b on b.id = m.build_id
    where e.id = any(${idArray(evalIds)}) order by j.name`);
  if (!gates.length) return out;
  const members = await queryRows<{ gate_build_id: string; job: string; build_id: string; outcome: string | null; kind: 'direct' | 'dependency' | null }>(db, sql`
    select g.gate_build_id, g.job, g.build_id, ${outcomeSql('b')} as outcome, ${kindSql('b')} as kind
    from gate_constituents g left join builds b on b.id = g.build_id
    where g.gate_build_id = any(${idArray(gates.map((g) => Number(g.build_id)))})`);
  const byGate = new Map<number, typeof members>();
  for (const m of members) (byGate.get(Number(m.gate_build_id)) ?? byGate.set(Number(m.gate_build_id), []).get(Number(m.gate_build_id))!).push(m);
  const rank = { failure: 0, infra: 1, pending: 2 } as const;
  for (const g of gates) {
    const cs = byGate.get(Number(g.build_id)) ?? [];
    const blocking = cs
      .filter((c) => c.outcome !== null && c.outcome !== 'success')
      .map((c) => ({ job: c.job, buildId: Number(c.build_id), outcome: c.outcome as 'failure' | 'pending' | 'infra', kind: c.kind }))
      .sort((a, b) => rank[a.outcome] - rank[b.outcome] || a.job.localeCompare(b.job));
    const list = out.get(Number(g.eval_id)) ?? out.set(Number(g.eval_id), []).get(Number(g.eval_id))!;
    list.push({ job: g.job, buildId: Number(g.build_id), outcome: g.outcome, status: g.status, constituents: cs.length, blocking });
  }
  return out;
}
