// The e2e history: small, exact, and placed in the current ISO week so the fix list has rows.
import { isoWeekOf, weekRange } from '../../apps/collector/src/pure/week.ts';
import { ScriptedHydra } from '@zhf/sim';

export const X = 'x86_64-linux';
export const A = 'aarch64-linux';

/**
 * The history: e1 in the previous week (the baseline, with one job already failing: backlog),
 * then e2 and e3 inside the current week. Expected values are what the pages must show.
 */
export function scenario(nowMs = Date.now()) {
  const now = Math.floor(nowMs / 1000);
  const weekStart = Math.floor(weekRange(isoWeekOf(nowMs)).start.getTime() / 1000);
  const span = Math.max(3, now - weekStart);
  const t1 = weekStart - 2 * 86400;
  const t2 = weekStart + Math.floor(span * 0.3);
  const t3 = weekStart + Math.floor(span * 0.6);
  const sim = new ScriptedHydra({ start: t1, firstEvalId: 40_000, firstBuildId: 9_000_000 });
  const js = sim.jobset('nixpkgs', 'unstable');
  const green = ['zlib', 'openssl', 'python3', 'git', 'bash'];
  const base: Record<string, 'success' | 'failure'> = {};
  for (const p of green) {
    base[`${p}.${X}`] = 'success';
    base[`${p}.${A}`] = 'success';
  }
  base[`hello.${X}`] = 'success';
  base[`curl.${A}`] = 'success';
  base[`libfoo.${X}`] = 'success';
  base[`oldbroken.${X}`] = 'failure';
  const e1 = sim.eval(js, { jobs: base });
  sim.setClock(t2);
  const e2 = sim.eval(js, { jobs: {
    ...Object.fromEntries(Object.keys(base).map((k) => [k, 'reuse' as const])),
    [`hello.${X}`]: 'failure', [`curl.${A}`]: 'failure', [`libfoo.${X}`]: 'dep',
  } });
  sim.setClock(t3);
  const e3jobs: Record<string, 'reuse' | 'success' | 'failure' | 'pending'> = Object.fromEntries(Object.keys(base).map((k) => [k, 'reuse' as const]));
  Object.assign(e3jobs, {
    [`curl.${A}`]: 'success', [`zlib.${X}`]: 'failure', [`git.${A}`]: 'pending',
  });
  const e3 = sim.eval(js, { jobs: e3jobs });
  sim.aggregate(e3, 'unstable', [`hello.${X}`, `zlib.${X}`], 'failure');
  sim.setClock(now);
  return {
    sim, e1, e2, e3,
    week: isoWeekOf(nowMs),
    /** Breakages opened this week: hello, curl (fixed in e3), libfoo (dependency), zlib, and the failing `unstable` gate. */
    weekJobs: [`hello.${X}`, `curl.${A}`, `libfoo.${X}`, `zlib.${X}`, 'unstable'],
    backlogJobs: [`oldbroken.${X}`],
    /** Counts of e3 against its baselines. */
    e3Counts: { new_failure: 1, fixed: 1, still_failing: 3, pending: 1 },
  };
}

