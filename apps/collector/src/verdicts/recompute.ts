import { jobsetEvalRefs, runsOfFailingJobs, writeBreakages, type BreakageUpsert, type BreakageWriteResult, type Db } from '@zhf/db/queries';
import { deriveBreakages, type RunInput } from './breakages.ts';

/** Re-derives and stores the breakages of `jobIds` (or of every job of the jobset). */
export async function recomputeBreakages(db: Db, jobsetId: number, jobIds: number[] | 'all'): Promise<BreakageWriteResult> {
  if (jobIds !== 'all' && jobIds.length === 0) return { opened: 0, closed: 0, retracted: 0 };
  const evals = await jobsetEvalRefs(db, jobsetId);
  const rows = await runsOfFailingJobs(db, jobsetId, jobIds);
  const derived: BreakageUpsert[] = [];
  const touched: number[] = [];
  let i = 0;
  while (i < rows.length) {
    const jobId = rows[i]!.job_id;
    const runs: RunInput[] = [];
    for (; i < rows.length && rows[i]!.job_id === jobId; i++) {
      const r = rows[i]!;
      runs.push({
        buildId: Number(r.build_id), firstEvalId: Number(r.first_eval_id), lastEvalId: r.last_eval_id === null ? null : Number(r.last_eval_id),
        outcome: r.outcome, kind: r.kind, status: r.status, drvpath: r.drvpath, seenSuccess: r.seen_success, seenFailure: r.seen_failure,
      });
    }
    touched.push(jobId);
    for (const b of deriveBreakages(runs, evals)) derived.push({ jobId, ...b });
  }
  const scope = jobIds === 'all' ? touched : [...new Set([...jobIds, ...touched])];
  return writeBreakages(db, jobsetId, scope, derived);
}
