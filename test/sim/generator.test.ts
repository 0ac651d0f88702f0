// Protects: the generated history is deterministic, internally consistent (what the server
// serves equals the ground truth), follows the clock, and scales to 250k jobs x 100 evals.
import { expect, test } from 'vitest';
import { GeneratedHydra, outcomeOf } from '@zhf/sim';

test('same seed, same history; another seed, another history', () => {
  const a = new GeneratedHydra({ jobsPerEval: 500, evals: 10, seed: 5 });
  const b = new GeneratedHydra({ jobsPerEval: 500, evals: 10, seed: 5 });
  const c = new GeneratedHydra({ jobsPerEval: 500, evals: 10, seed: 6 });
  const ea = a.getEval(a.evalIds('nixpkgs', 'unstable')[0])!;
  const eb = b.getEval(b.evalIds('nixpkgs', 'unstable')[0])!;
  const ids = [...ea.buildIds()];
  expect([...eb.buildIds()]).toEqual(ids);
  expect(ids.map((id) => a.getBuild(id))).toEqual(ids.map((id) => b.getBuild(id)));
  const ec = c.getEval(c.evalIds('nixpkgs', 'unstable')[0])!;
  expect(ec.inputs.nixpkgs.revision).not.toBe(ea.inputs.nixpkgs.revision);
});

test('history has churn, mass rebuilds, failures, cascades, infra, restarts, re-points, added and removed jobs', () => {
  const g = new GeneratedHydra({ jobsPerEval: 8000, evals: 24, seed: 9, massRebuilds: [12], repointRate: 0.02 });
  const ids = g.evalIds('nixpkgs', 'unstable').slice().reverse(); // oldest first
  expect(ids).toHaveLength(24);
  const ts = ids.map((id) => g.getEval(id)!.timestamp);
  for (let k = 1; k < ts.length; k++) expect(ts[k] - ts[k - 1]).toBeGreaterThan(4 * 3600);
  expect(g.opts.end - ts.at(-1)!).toBeLessThan(6 * 3600);
  const newBuilds = (k: number) => {
    const prev = new Set(g.getEval(ids[k - 1])!.buildIds());
    return [...g.getEval(ids[k])!.buildIds()].filter((id) => !prev.has(id)).length;
  };
  expect(newBuilds(5)).toBeGreaterThan(8000 * 0.01);
  expect(newBuilds(5)).toBeLessThan(8000 * 0.1);
  expect(newBuilds(12)).toBeGreaterThan(8000 * 0.5);
  const statuses = new Map<number, number>();
  let restarted = 0, repointed = 0;
  const seen = new Set<number>();
  for (const id of ids) for (const b of g.getEval(id)!.buildIds()) {
    if (seen.has(b)) continue;
    seen.add(b);
    const s = g.groundTruth.firstStatus(b);
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
    if (g.groundTruth.isRestarted(b)) restarted++;
    if (g.groundTruth.isRepointed(b)) repointed++;
  }
  for (const s of [0, 1, 2, 3, 4, 7, 9, 10]) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
  expect(restarted).toBeGreaterThan(0);
  expect(repointed).toBeGreaterThan(0);
  const first = g.groundTruth.members(ids[0]);
  const last = g.groundTruth.members(ids.at(-1)!);
  expect([...last.keys()].some((j) => !first.has(j))).toBe(true); // added
  expect([...first.keys()].some((j) => !last.has(j))).toBe(true); // removed
  expect(last.has('tested') && last.has('unstable')).toBe(true);
  expect(g.constituents(last.get('tested')!).length).toBe(30);
  expect([...last.keys()].some((j) => j.startsWith('python313Packages.'))).toBe(true);
  expect([...last.keys()].some((j) => j.endsWith('.aarch64-darwin'))).toBe(true);
});

test('dependency failures point at the failing core build', () => {
  const g = new GeneratedHydra({ jobsPerEval: 8000, evals: 12, seed: 4, failureRate: 0.1 });
  const id = g.evalIds('nixpkgs', 'unstable')[3];
  const dep = [...g.getEval(id)!.buildIds()].find((b) => g.groundTruth.firstStatus(b) === 2)!;
  expect(dep).toBeDefined();
  const [step] = g.failedSteps(dep);
  expect(g.groundTruth.firstStatus(step.propagatedFrom!)).toBe(1);
  expect(g.getBuild(step.propagatedFrom!)!.system).toBe(g.getBuild(dep)!.system);
});

test('the newest eval is partly pending and finishes as the clock advances', () => {
  const g = new GeneratedHydra({ jobsPerEval: 4000, evals: 8, seed: 2 });
  const eval0 = g.getEval(g.evalIds('nixpkgs', 'unstable')[0])!;
  const pending = () => [...eval0.buildIds()].filter((id) => g.getBuild(id)!.finished === 0).length;
  const before = pending();
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThan(eval0.buildCount);
  g.advance(3 * 3600);
  const mid = pending();
  expect(mid).toBeLessThan(before);
  g.advance(2 * 86400);
  expect(pending()).toBe(0);
  // A future eval becomes visible when the clock reaches it.
  const h = new GeneratedHydra({ jobsPerEval: 100, evals: 5, seed: 2, now: Date.UTC(2026, 10, 19) / 1000 });
  expect(h.evalIds('nixpkgs', 'unstable').length).toBeLessThan(5);
  h.setClock(h.opts.end);
  expect(h.evalIds('nixpkgs', 'unstable')).toHaveLength(5);
});

test('ground-truth categories follow SPEC section 3', () => {
  const g = new GeneratedHydra({ jobsPerEval: 3000, evals: 10, seed: 11, failureRate: 0.08, churn: 0.1 });
  g.advance(3 * 86400); // everything finished
  const ids = g.evalIds('nixpkgs', 'unstable').slice().reverse();
  const counts: Record<string, number> = {};
  for (const [job, build] of g.groundTruth.members(ids[6])) {
    const r = g.groundTruth.categoryOf(ids[6], job);
    counts[r.category!] = (counts[r.category!] ?? 0) + 1;
    const o = outcomeOf(g.getBuild(build)!);
    if (r.category === 'new_failure') {
      expect(o).toBe('failure');
      expect(r.baseline!.outcome).toBe('success');
    }
    if (r.category === 'fixed') expect([o, r.baseline!.outcome]).toEqual(['success', 'failure']);
  }
  for (const c of ['new_failure', 'still_failing', 'fixed', 'still_succeeding']) expect(counts[c] ?? 0, c).toBeGreaterThan(0);
  expect(g.groundTruth.categoryOf(ids[0], 'hello.x86_64-linux').category).toMatch(/^(failing|succeeding|infra)$/);
});

test('staging-next shares the package universe and rebuilds exactly its rebuild set', () => {
  const g = new GeneratedHydra({ jobsPerEval: 4000, evals: 12, seed: 8, staging: { evals: 3, rebuildFraction: 0.2 } });
  expect(g.projects()[0].jobsets).toEqual(['unstable', 'staging-next']);
  const base = g.groundTruth.stagingBaseEvalId()!;
  const cand = g.evalIds('nixpkgs', 'staging-next')[0];
  expect(g.getEval(cand)!.jobset).toBe('staging-next');
  const rebuilds = g.groundTruth.rebuilds(cand, base);
  const expected = g.groundTruth.stagingRebuildSet();
  expected.add('tested');
  expected.add('unstable');
  expect(rebuilds).toEqual(expected);
  expect(rebuilds.size / 4000).toBeGreaterThan(0.15);
  // A job outside the set has the same output path in both, but a different build (per jobset).
  const job = [...g.groundTruth.members(cand).keys()].find((j) => !rebuilds.has(j))!;
  const bc = g.getBuild(g.groundTruth.buildOf(cand, job)!)!;
  const bb = g.getBuild(g.groundTruth.buildOf(base, job)!)!;
  expect(bc.id).not.toBe(bb.id);
  expect(bc.buildoutputs).toEqual(bb.buildoutputs);
  const { newlyFailing, newlyFixed } = g.groundTruth.newlyFailingAndFixed(cand, base);
  expect(newlyFailing.length).toBeGreaterThan(0);
  for (const j of newlyFailing) expect(rebuilds.has(j)).toBe(true);
  void newlyFixed;
});

test('250k jobs x 100 evals: built lazily in bounded memory and time', () => {
  const heap0 = process.memoryUsage();
  const t = performance.now();
  const g = new GeneratedHydra({ jobsPerEval: 250_000, evals: 100, seed: 1 });
  const ms = performance.now() - t;
  const heap1 = process.memoryUsage();
  const grown = heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers;
  console.log(`250k x 100: constructed in ${ms.toFixed(0)} ms, +${(grown / 1e6).toFixed(1)} MB heap+buffers`);
  expect(grown).toBeLessThan(150e6);
  const ids = g.evalIds('nixpkgs', 'unstable');
  expect(ids).toHaveLength(100);
  const e = g.getEval(ids[50])!;
  expect(e.buildCount).toBeGreaterThan(250_000);
  const some = [...e.buildIds()].slice(0, 1000).map((id) => g.getBuild(id)!);
  expect(some.every((b) => b.jobsetevals.includes(e.id))).toBe(true);
}, 60_000);
