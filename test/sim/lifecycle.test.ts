// Protects: the generated Hydra's lifecycle on a fast-forwarded clock (issue 17): builds finish
// hours after their eval, failures are restarted days later, reused builds are re-pointed moments
// after the next eval commits, the instance queue is full of other jobsets' builds, and
// dependency failures chain dep -> dep -> direct on the HTML build pages, with step pages and logs.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseFailedSteps, parseStepDerivation } from '../../apps/collector/src/hydra/build-page.ts';
import { GeneratedHydra, startHydraSim, withOtherJobsets, type RunningHydraSim } from '@zhf/sim';

const H = { accept: 'application/json', 'user-agent': 'zhf-test (+https://example.org/zhf)' };
const DAY = 86400;

function evalsOf(g: GeneratedHydra) {
  return g.evalIds('nixpkgs', 'unstable').slice().reverse(); // oldest first
}

test('lifecycle: new builds start unfinished and finish over the following hours, some aborted or cancelled', () => {
  const g = new GeneratedHydra({ jobsPerEval: 4000, evals: 6, seed: 5, lifecycle: true, infraRate: 0.02 });
  const newest = g.groundTruth.allEvalIds('unstable').at(-1)!;
  const at = g.groundTruth.evalTimestamp(newest);
  g.setClock(at);
  const e = g.getEval(newest)!;
  const mine = [...e.buildIds()].filter((id) => g.getBuild(id)!.jobsetevals[0] === newest);
  expect(mine.length).toBeGreaterThan(20);
  expect(mine.every((id) => g.getBuild(id)!.finished === 0)).toBe(true);
  const finishedAfter = (h: number) => {
    g.setClock(at + h * 3600);
    return mine.filter((id) => g.getBuild(id)!.finished === 1).length;
  };
  const f1 = finishedAfter(1), f5 = finishedAfter(5), f12 = finishedAfter(12);
  expect(f1).toBeLessThan(f5);
  expect(f5).toBeLessThan(f12);
  expect(f12).toBeGreaterThan(mine.length * 0.9);
  const statuses = new Set(evalsOf(g).flatMap((id) => [...g.getEval(id)!.buildIds()].map((b) => g.getBuild(b)!.buildstatus)));
  expect(statuses.has(3) && statuses.has(4)).toBe(true);
});

test('lifecycle: a failed build is restarted days later, finished 0 with its old status, then re-fails or succeeds', () => {
  const g = new GeneratedHydra({ jobsPerEval: 8000, evals: 10, seed: 6, lifecycle: true, failureRate: 0.05, restartRate: 0.5 });
  const old = evalsOf(g)[2];
  const restarted = [...g.getEval(old)!.buildIds()].filter((b) => g.groundTruth.isRestarted(b) && g.groundTruth.firstStatus(b) === 1);
  expect(restarted.length).toBeGreaterThan(10);
  const outcomes = new Set<number>();
  for (const id of restarted.slice(0, 12)) {
    // Every first run has ended maxBuildSec after its eval; no restart comes before a day has passed.
    g.setClock(g.groundTruth.evalTimestamp(g.getBuild(id)!.jobsetevals[0]) + g.opts.maxBuildSec);
    const stop = g.getBuild(id)!.stoptime!;
    g.setClock(stop + DAY - 1);
    let b = g.getBuild(id)!;
    // Still the first run's result a day after it ended.
    expect([b.finished, b.buildstatus, b.stoptime]).toEqual([1, 1, stop]);
    let restartedAt: number | undefined;
    for (let t = stop; t < stop + 7 * DAY; t += 240) {
      g.setClock(t);
      b = g.getBuild(id)!;
      if (b.finished === 0) {
        restartedAt = t;
        expect([b.buildstatus, b.stoptime]).toEqual([1, stop]);
        break;
      }
    }
    expect(restartedAt).toBeDefined();
    expect(restartedAt! - stop).toBeGreaterThanOrEqual(DAY);
    g.setClock(stop + 8 * DAY);
    b = g.getBuild(id)!;
    expect(b.finished).toBe(1);
    expect(b.buildstatus).toBe(g.groundTruth.finalStatus(id));
    outcomes.add(b.buildstatus!);
  }
  expect(outcomes).toEqual(new Set([0, 1]));
  // Off by default: restarts come within hours, as before.
  const quick = new GeneratedHydra({ jobsPerEval: 8000, evals: 10, seed: 6, failureRate: 0.05, restartRate: 0.5 });
  expect(quick.opts.restartDelaySec[1]).toBeLessThan(DAY);
});

test('lifecycle: a reused build is re-pointed moments after the next eval commits, so the eval reads it still finished', () => {
  const g = new GeneratedHydra({ jobsPerEval: 8000, evals: 8, seed: 8, lifecycle: true, repointRate: 0.15 });
  const ids = evalsOf(g);
  const k = 4;
  const next = ids[k + 1];
  const repointed = [...g.getEval(ids[k])!.buildIds()].filter((b) => g.groundTruth.isRepointed(b) && g.getBuild(b)!.jobsetevals[0] === ids[k]);
  expect(repointed.length).toBeGreaterThan(3);
  const t = g.groundTruth.evalTimestamp(next);
  g.setClock(t);
  // Those whose first run had ended when the next eval appeared: that eval reads them finished.
  const before = repointed.map((id) => g.getBuild(id)!).filter((b) => b.finished === 1);
  expect(before.length).toBeGreaterThanOrEqual(2);
  expect(before.every((b) => b.jobsetevals.includes(next))).toBe(true);
  g.setClock(t + 901);
  const after = before.map((b) => g.getBuild(b.id)!);
  for (let i = 0; i < after.length; i++) {
    expect(after[i].id).toBe(before[i].id);
    expect(after[i].buildoutputs).toEqual(before[i].buildoutputs);
    expect(after[i].drvpath).not.toBe(before[i].drvpath);
  }
  expect(after.some((b) => b.finished === 0 && b.buildstatus === null)).toBe(true);
});

describe('served over HTTP', () => {
  let g: GeneratedHydra;
  let srv: RunningHydraSim;
  beforeAll(async () => {
    g = new GeneratedHydra({ jobsPerEval: 8000, evals: 8, seed: 12, lifecycle: true, failureRate: 0.15, dependentFraction: 0.6 });
    srv = await startHydraSim(g, { rateLimit: false, otherJobsets: { queued: 50_000 } });
  });
  afterAll(async () => {
    await srv.close();
  });
  const get = async (path: string) => {
    const r = await fetch(srv.url + path, { headers: H });
    return (await r.json()) as any;
  };

  test('the instance queue is full of other jobsets: its first 1000 hold none of ours, which sit further down', async () => {
    const newest = evalsOf(g).at(-1)!;
    g.setClock(g.groundTruth.evalTimestamp(newest) + 600);
    const ours = [...g.unfinishedBuildIds()];
    expect(ours.length).toBeGreaterThan(100);
    const first = (await get('/api/queue?nr=1000')) as any[];
    expect(first).toHaveLength(1000);
    expect(first.filter((b) => b.project === 'nixpkgs' && b.jobset === 'unstable')).toHaveLength(0);
    for (let i = 1; i < first.length; i++) {
      const [a, b] = [first[i - 1], first[i]];
      expect(a.priority > b.priority || (a.priority === b.priority && a.id < b.id)).toBe(true);
    }
    const all = (await get('/api/queue?nr=1000000')) as any[];
    expect(all.length).toBeGreaterThan(40_000);
    const mine = all.filter((b) => b.project === 'nixpkgs' && b.jobset === 'unstable').map((b) => b.id);
    expect(new Set(mine)).toEqual(new Set(ours));
    expect(srv.counters.get('/api/queue').queries).toBe(2 + 1000 + all.length);
    // The other builds finish and new ones arrive: the queue stays about as long.
    g.advance(2 * DAY);
    const later = (await get('/api/queue?nr=1000000')) as any[];
    expect(Math.abs(later.length - all.length)).toBeLessThan(all.length * 0.3);
    // latestbuilds for our jobset never shows theirs; without a filter it does.
    const latest = (await get('/api/latestbuilds?nr=500&project=nixpkgs&jobset=unstable')) as any[];
    expect(latest.every((b) => b.project === 'nixpkgs' && b.jobset === 'unstable' && b.finished === 1)).toBe(true);
    const otherForeign = (await get(`/build/${first[0].id}`)) as any;
    expect(otherForeign.project).not.toBe(undefined);
  });

  test('dependency failures chain dep -> dep -> direct on the build pages; step pages name the failing derivation; logs end in the error', async () => {
    g.setClock(g.opts.end + 10 * DAY);
    const ids = evalsOf(g);
    let chain: number[] | undefined;
    for (const e of ids.slice(1)) {
      for (const b of g.getEval(e)!.buildIds()) {
        if (g.groundTruth.firstStatus(b) !== 2) continue;
        const [s] = g.failedSteps(b);
        if (s && g.groundTruth.firstStatus(s.propagatedFrom!) === 2 && g.getBuild(b)!.buildstatus === 2 && g.getBuild(s.propagatedFrom!)!.buildstatus === 2) {
          chain = [b, s.propagatedFrom!];
          break;
        }
      }
      if (chain) break;
    }
    expect(chain).toBeDefined();
    // Follow the pages as a client would.
    let id = chain![0];
    const seen: number[] = [id];
    let stepDrv = '';
    for (let hop = 0; hop < 5; hop++) {
      const html = await (await fetch(`${srv.url}/build/${id}`)).text();
      const steps = parseFailedSteps(html);
      expect(steps.length).toBeGreaterThan(0);
      if (steps[0].propagatedFrom === null) {
        expect(steps[0].status).toBe('Failed');
        break;
      }
      expect(steps[0].status).toBe('Cached failure');
      if (hop === 0) {
        const stepHtml = await (await fetch(`${srv.url}/build/${id}/step/${steps[0].nr}`)).text();
        stepDrv = parseStepDerivation(stepHtml)!;
      }
      id = steps[0].propagatedFrom;
      seen.push(id);
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[1]).toBe(chain![1]);
    const direct = g.getBuild(seen.at(-1)!)!;
    expect(direct.buildstatus).toBe(1);
    // The first page's failing step is the direct failure's derivation.
    expect(stepDrv).toBe(direct.drvpath);
    // Its log, raw and tailed.
    const base = direct.drvpath.slice('/nix/store/'.length);
    const tail = await fetch(`${srv.url}/log/${base}?tail=3`);
    expect(tail.headers.get('content-type')).toContain('text/plain');
    const lines = (await tail.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toBe(`error: builder for '${direct.drvpath}' failed with exit code 2`);
    const raw = await fetch(`${srv.url}/build/${direct.id}/log/raw`, { redirect: 'manual' });
    expect(raw.status).toBe(302);
    expect(raw.headers.get('location')).toBe(`${srv.url}/log/${base}`);
    const tailPage = await (await fetch(`${srv.url}/build/${direct.id}/log/tail`)).text();
    expect(tailPage).toContain('failed with exit code 2');
    expect((await fetch(`${srv.url}/log/${'0'.repeat(32)}-nope-1.0.drv`, { headers: H })).status).toBe(404);
    // The step log of the dependent build is the failing derivation's log.
    const stepLog = await fetch(`${srv.url}/build/${seen[0]}/step/1/log/raw`, { redirect: 'manual' });
    expect(stepLog.headers.get('location')).toBe(`${srv.url}/log/${base}`);
  });
});
