import { Hono } from 'hono';
import { beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/src/index.ts';
import { preflightRebuildRows } from '../../db/src/queries/index.ts';
import {
  formatPreflightText, loadPreflightJobs, NotFound, preflightChangedPaths, preflightEvals, type PreflightResult,
} from '../../apps/collector/src/preflight/index.ts';
import { onError } from '../../apps/dashboard/src/lib/server/api/errors.ts';
import { preflightRoutes } from '../../apps/dashboard/src/lib/server/api/routes/preflight.ts';
import { computePreflight, findRebuilds } from '../../apps/collector/src/pure/preflight.ts';
import { GeneratedHydra, SYSTEMS } from '@zhf/sim';
import { newSim, startHarness } from '../support/collector.ts';
import { describeEachDriver } from '../support/db.ts';

const END = Date.UTC(2026, 10, 20) / 1000;

/** Job names of every impact list that classifies a rebuilt job by its base outcome (they partition the rebuilds). */
function rebuiltJobs(r: PreflightResult): string[] {
  const i = r.impact;
  return [...i.atRisk, ...i.mayFix, ...i.pending, ...i.infra, ...i.new].map((x) => x.job).sort();
}
const sorted = (s: Iterable<string>) => [...s].sort();

describeEachDriver('mass-rebuild preflight against the simulated Hydra', (get) => {
  // A staging-like jobset branched from an unstable-like one; the clock is days past the newest
  // eval so every build has its final status and the ground truth's final statuses are current.
  const hydra = new GeneratedHydra({
    seed: 7, jobsPerEval: 2000, evals: 6, massRebuilds: [], end: END, now: END + 3 * 86_400, staging: { evals: 3, rebuildFraction: 0.3 },
  });
  let base = 0;
  let candidate = 0;
  let app: Hono;

  beforeAll(async () => {
    const database = get();
    const h = await startHarness(database, hydra, { collector: { backfillEvals: 8 } });
    try {
      const reports = await h.collector.syncAll(['nixpkgs/unstable', 'nixpkgs/staging-next']);
      for (const r of reports) expect(r.error).toBeUndefined();
    } finally {
      await h.close();
    }
    const newest = async (name: string) => {
      const [r] = await queryRows<{ id: number }>(database.db, sql`
        select max(e.id)::float8 as id from evals e join jobsets j on j.id = e.jobset_id where j.project = 'nixpkgs' and j.name = ${name}`);
      return Number(r!.id);
    };
    base = await newest('unstable');
    candidate = await newest('staging-next');
    expect(base).toBe(hydra.groundTruth.allEvalIds('unstable').at(-1));
    expect(candidate).toBe(hydra.groundTruth.allEvalIds('staging-next').at(-1));
    app = new Hono().onError(onError).route('/api/preflight', preflightRoutes({ database }));
  });

  it('loads every member job of an eval with outputs, derivation, outcome and build', async () => {
    const jobs = await loadPreflightJobs(get().db, candidate);
    const members = hydra.groundTruth.members(candidate);
    expect(jobs.length).toBe(members.size);
    const hello = jobs.find((j) => j.job === 'hello.x86_64-linux')!;
    expect(hello).toMatchObject({ system: 'x86_64-linux', buildId: members.get('hello.x86_64-linux') });
    expect(hello.outputs.length).toBeGreaterThan(0);
    expect(hello.outputs[0]).toMatch(/^\/nix\/store\//);
    expect(typeof hello.drvpath).toBe('string');
  });

  it('finds exactly the rebuild set and the newly broken and fixed jobs of the ground truth', async () => {
    const report = await preflightEvals(get().db, base, candidate);
    const truthRebuilds = hydra.groundTruth.rebuilds(candidate, base);
    // The scenario must exercise the rule: a real rebuild set that is not everything.
    expect(truthRebuilds.size).toBeGreaterThan(100);
    expect(truthRebuilds.size).toBeLessThan(hydra.groundTruth.members(candidate).size);
    expect(report.totals.rebuilt).toBe(truthRebuilds.size);
    // Every job of staging's rebuild set has new outputs; most others share unstable's.
    for (const job of hydra.groundTruth.stagingRebuildSet()) if (hydra.groundTruth.members(candidate).has(job)) expect(truthRebuilds.has(job)).toBe(true);
    expect(rebuiltJobs(report)).toEqual(sorted(truthRebuilds));

    const { newlyFailing, newlyFixed } = hydra.groundTruth.newlyFailingAndFixed(candidate, base);
    const expectBroken = newlyFailing.filter((j) => truthRebuilds.has(j));
    const expectFixed = newlyFixed.filter((j) => truthRebuilds.has(j));
    expect(expectBroken.length).toBeGreaterThan(0);
    expect(report.impact.newlyBroken.map((i) => i.job)).toEqual(sorted(expectBroken));
    expect(report.impact.newlyFixed.map((i) => i.job)).toEqual(sorted(expectFixed));
    expect(report.candidateResults).toBe(true);
    expect(report.base).toMatchObject({ id: base, jobset: 'nixpkgs/unstable' });
    expect(report.candidate).toMatchObject({ id: candidate, jobset: 'nixpkgs/staging-next' });

    // Labels count distinct packages (job without `.system`) per kernel.
    const systemOf = new Map((await loadPreflightJobs(get().db, candidate)).map((j) => [j.job, j.system]));
    for (const kernel of ['linux', 'darwin'] as const) {
      const pkgs = new Set([...truthRebuilds].filter((j) => systemOf.get(j)!.endsWith(`-${kernel}`)).map((j) => j.replace(`.${systemOf.get(j)}`, '')));
      expect(report.byKernel[kernel].packages).toBe(pkgs.size);
    }
    expect(report.labels).toContain(`10.rebuild-linux: ${report.byKernel.linux.packages > 500 ? '501+' : '101-500'}`);
  });

  it('computes in SQL exactly what the pure module computes from both whole evals', async () => {
    const db = get().db;
    const unstable = hydra.groundTruth.allEvalIds('unstable');
    // Across jobsets both ways, within a jobset (shared builds), and an eval against itself.
    const pairs: [number, number][] = [[base, candidate], [candidate, base], [unstable[0]!, base], [base, unstable[0]!], [base, base]];
    for (const [b, c] of pairs) {
      const fromSql = await preflightEvals(db, b, c);
      const pure = computePreflight({ base: await loadPreflightJobs(db, b), candidate: await loadPreflightJobs(db, c) });
      const { base: _b, candidate: _c, ...report } = fromSql;
      expect(report, `base ${b}, candidate ${c}`).toEqual(pure);
    }
    expect((await preflightEvals(db, base, base)).totals.rebuilt).toBe(0);
  });

  it('applies the derivation rule in SQL to builds without known outputs', async () => {
    const db = get().db;
    // Rolled back at the end: blank the outputs of some candidate builds, half of them also given a new derivation.
    await expect(db.transaction(async (txRaw) => {
      const tx = txRaw as unknown as Db;
      const jobs = (await loadPreflightJobs(tx, candidate)).filter((j) => j.job.endsWith('-linux')).slice(0, 40);
      for (const [i, j] of jobs.entries()) {
        await tx.execute(sql`update builds set outputs = '{}', drvpath = ${i % 2 ? `${j.drvpath}-changed` : j.drvpath} where id = ${j.buildId!}`);
      }
      const [baseJobs, candidateJobs] = [await loadPreflightJobs(tx, base), await loadPreflightJobs(tx, candidate)];
      const expected = findRebuilds(baseJobs, candidateJobs).map((p) => p.candidate.job).sort();
      const got = (await preflightRebuildRows(tx, base, candidate))!.rebuilt.map((p) => p.candidate.job).sort();
      expect(got).toEqual(expected);
      // Blank outputs with another derivation always rebuild; the same derivation rebuilds only where the base differs.
      for (const [i, j] of jobs.entries()) if (i % 2) expect(got).toContain(j.job);
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
  });

  it('gives the same rebuilds from a changed-paths.json derived from the ground truth', async () => {
    const truthRebuilds = hydra.groundTruth.rebuilds(candidate, base);
    const rebuildsByPlatform: Record<string, string[]> = {};
    const expected: string[] = [];
    for (const job of truthRebuilds) {
      const system = SYSTEMS.find((s) => job.endsWith(`.${s}`));
      if (!system) continue; // aggregates (`tested`) carry no system: nixpkgs' CI does not list them
      (rebuildsByPlatform[system] ??= []).push(job.slice(0, -system.length - 1));
      expected.push(job);
    }
    const file = { attrdiff: { added: [], changed: [], removed: [] }, rebuildsByPlatform };
    const report = await preflightChangedPaths(get().db, 'nixpkgs/unstable', file);
    expect(report.mode).toBe('changed-paths');
    expect(report.base.id).toBe(base);
    expect(report.candidate).toBeNull();
    expect(report.totals.rebuilt).toBe(expected.length);
    expect(rebuiltJobs(report)).toEqual(sorted(expected));
    // Only names are known: no candidate results.
    expect(report.impact.newlyBroken).toEqual([]);

    // From the text of the file, against an explicit base eval: the same report.
    const again = await preflightChangedPaths(get().db, base, JSON.stringify(file));
    expect(again.totals).toEqual(report.totals);
  });

  it('rejects unknown evals and jobsets as not found', async () => {
    await expect(preflightEvals(get().db, base, 999_999_999)).rejects.toBeInstanceOf(NotFound);
    await expect(preflightChangedPaths(get().db, 'nixpkgs/nope', { rebuildsByPlatform: {} })).rejects.toThrow(/not tracked/);
  });

  it('formats a readable terminal report with truncated lists', async () => {
    const report = await preflightEvals(get().db, base, candidate);
    const text = formatPreflightText(report, { maxLines: 5 });
    expect(text).toContain(`nixpkgs/staging-next eval ${candidate}`);
    expect(text).toContain(`against nixpkgs/unstable eval ${base}`);
    expect(text).toContain(report.labels[0]);
    expect(text).toMatch(/^ {2}x86_64-linux +\d+$/m);
    expect(text).toContain(`At risk (rebuilt, green in the base now): ${report.totals.atRisk}`);
    // How many more, and where to find them all.
    expect(text).toContain(`  … ${report.totals.atRisk - 5} more (--json lists all ${report.totals.atRisk})`);
    const lines = text.split('\n');
    const atRisk = lines.findIndex((l) => l.startsWith('At risk'));
    expect(lines.slice(atRisk + 1, atRisk + 7).filter((l) => l.startsWith('  ') && !l.includes('more'))).toHaveLength(5);
  });

  it('GET /api/preflight answers the report; bad and unknown ids are 400 and 404', async () => {
    const res = await app.request(`/api/preflight?base=${base}&candidate=${candidate}&limit=10`);
    expect(res.status).toBe(200);
    const body = await res.json();
    const direct = await preflightEvals(get().db, base, candidate);
    expect(body.totals).toEqual(direct.totals);
    expect(body.labels).toEqual(direct.labels);
    expect(body.impact.atRisk).toHaveLength(10);
    expect(body.truncated).toContain('atRisk');

    // Paging through one list: its slices from 0 join up to the whole list, and only it carries items.
    const all = direct.impact.atRisk.map((i) => i.job);
    expect(all.length).toBeGreaterThan(25);
    const paged: string[] = [];
    for (let offset = 0; offset < all.length; offset += 25) {
      const page = await (await app.request(`/api/preflight?base=${base}&candidate=${candidate}&list=atRisk&offset=${offset}&limit=25`)).json();
      expect(page).toMatchObject({ offset, list: 'atRisk' });
      expect(page.totals).toEqual(direct.totals);
      expect(page.impact.mayFix).toEqual([]);
      expect(page.truncated).toEqual(offset + 25 < all.length ? ['atRisk'] : []);
      paged.push(...page.impact.atRisk.map((i: { job: string }) => i.job));
    }
    expect(paged).toEqual(all);
    const badList = await app.request(`/api/preflight?base=${base}&candidate=${candidate}&list=everything`);
    expect(badList.status).toBe(400);
    expect((await badList.json()).error.message).toContain('newlyBroken');
    const past = await (await app.request(`/api/preflight?base=${base}&candidate=${candidate}&list=atRisk&offset=${all.length}`)).json();
    expect(past.impact.atRisk).toEqual([]);

    const bad = await app.request('/api/preflight?base=abc&candidate=1');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid', message: expect.stringContaining('base') });
    const missing = await app.request(`/api/preflight?base=${base}&candidate=999999999`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
  });

  it('POST /api/preflight takes two evals or a changed-paths.json, names the bad key, refuses huge bodies', async () => {
    const post = (body: unknown, raw?: string) =>
      app.request('/api/preflight', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });

    const evals = await post({ base, candidate });
    expect(evals.status).toBe(200);
    expect((await evals.json()).mode).toBe('evals');

    const cp = await post({ jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: { 'x86_64-linux': ['hello'] } } });
    expect(cp.status).toBe(200);
    const cpBody = await cp.json();
    expect(cpBody.totals.rebuilt).toBe(1);
    // A changed-paths.json's report pages the same way, from the query string.
    const cpPage = await (await app.request('/api/preflight?list=new&offset=1&limit=1', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: { 'x86_64-linux': ['zz-a', 'zz-b', 'zz-c'] } } }) })).json();
    expect(cpPage).toMatchObject({ offset: 1, list: 'new', truncated: ['new'] });
    expect(cpPage.impact.new.map((i: { job: string }) => i.job)).toEqual(['zz-b.x86_64-linux']);
    expect(cpBody.impact.atRisk.concat(cpBody.impact.mayFix, cpBody.impact.pending, cpBody.impact.infra).map((i: { job: string }) => i.job))
      .toEqual(['hello.x86_64-linux']);

    const malformed = await post({ jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: { 'x86_64-linux': 'hello' } } });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toContain('rebuildsByPlatform.x86_64-linux');

    const notJson = await post(null, '{"base": ');
    expect(notJson.status).toBe(400);
    const both = await post({ base, jobset: 'nixpkgs/unstable', changedPaths: { rebuildsByPlatform: {} } });
    expect(both.status).toBe(400);
    const unknownJobset = await post({ jobset: 'nixpkgs/nope', changedPaths: { rebuildsByPlatform: {} } });
    expect(unknownJobset.status).toBe(404);

    const huge = await post(null, JSON.stringify({ jobset: 'nixpkgs/unstable', changedPaths: { pad: 'x'.repeat(5 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('payload_too_large');
  });
});

describeEachDriver('preflight of builds known only from short records', (get) => {
  // Builds stored from /api/latestbuilds alone (job and status: no outputs, drvpath '') until
  // their full records come, which this collector never fetches (maxDetailFetches: 0). Compared
  // as "no outputs, another derivation", every one of them would count as rebuilt.
  const X = 'x86_64-linux';
  const T = Date.UTC(2026, 10, 2) / 1000;
  const spec = (name: string, version: string) => ({
    status: 0, drv: `/nix/store/${version}-${name}.drv`, outputs: { out: `/nix/store/${version}-${name}` },
  });
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => `${n}.${X}`);
  const [a, b, c, d, e, f, g, h] = names as [string, string, string, string, string, string, string, string];
  const fresh = `i.${X}`;
  let base = 0;
  let candidate = 0;
  let app: Hono;

  beforeAll(async () => {
    const sim = newSim(T);
    const unstable = sim.jobset('shortpf', 'unstable');
    const staging = sim.jobset('shortpf', 'staging');
    sim.eval(unstable, { jobs: Object.fromEntries(names.map((n) => [n, spec(n, 'v1')])) });
    sim.advance(3600);
    // Each jobset's first eval is read with its full records; the evals after it with short records only.
    const whole = await startHarness(get(), sim);
    const short = await startHarness(get(), sim, { collector: { maxDetailFetches: 0 } });
    const sync = async (h: typeof whole, jobset: string) => {
      for (const r of await h.collector.syncAll([jobset])) expect(r.error).toBeUndefined();
    };
    try {
      await sync(whole, 'shortpf/unstable');
      sim.advance(600);
      const e2 = sim.eval(unstable, { jobs: {
        [a]: 'reuse', [b]: 'reuse', [c]: 'reuse', [d]: 'reuse',
        [e]: spec(e, 'v2'), [f]: spec(f, 'v2'), [g]: spec(g, 'v2'), [h]: spec(h, 'v2'),
      } });
      sim.advance(3600);
      await sync(short, 'shortpf/unstable');
      base = e2.id;
      // Staging: a, b, d and e, f as unstable builds them now; g, h with outputs of their own;
      // c changed in a second eval (a short record); i new.
      sim.eval(staging, { jobs: {
        [a]: spec(a, 'v1'), [b]: spec(b, 'v1'), [c]: spec(c, 'v1'), [d]: spec(d, 'v1'),
        [e]: spec(e, 'v2'), [f]: spec(f, 'v2'), [g]: spec(g, 'v3'), [h]: spec(h, 'v3'), [fresh]: spec(fresh, 'v1'),
      } });
      sim.advance(3600);
      await sync(whole, 'shortpf/staging');
      sim.advance(600);
      const s2 = sim.eval(staging, { jobs: {
        [a]: 'reuse', [b]: 'reuse', [c]: spec(c, 'v4'), [d]: 'reuse', [e]: 'reuse', [f]: 'reuse', [g]: 'reuse', [h]: 'reuse', [fresh]: 'reuse',
      } });
      sim.advance(3600);
      await sync(short, 'shortpf/staging');
      candidate = s2.id;
    } finally {
      await whole.close();
      await short.close();
    }
    app = new Hono().onError(onError).route('/api/preflight', preflightRoutes({ database: get() }));
  });

  it('stores the situation it tests: short records on both sides', async () => {
    const known = async (evalId: number) => new Map((await loadPreflightJobs(get().db, evalId)).map((j) => [j.job, j.outputs.length > 0 || j.drvpath !== '']));
    expect(Object.fromEntries(await known(base))).toEqual(Object.fromEntries(names.map((n) => [n, ![e, f, g, h].includes(n)])));
    expect(Object.fromEntries(await known(candidate))).toEqual(Object.fromEntries([...names, fresh].map((n) => [n, n !== c])));
  });

  it('counts jobs with a short record on either side as not known yet, neither rebuilt nor unchanged', async () => {
    const report = await preflightEvals(get().db, base, candidate);
    // c (candidate short), e, f, g, h (base short) cannot be decided; i is new; a, b, d are unchanged.
    expect(report.totals.unknownOutputs).toBe(5);
    expect(rebuiltJobs(report)).toEqual([fresh]);
    expect(report.totals.rebuilt).toBe(1);
    expect(report.impact.new.map((i) => i.job)).toEqual([fresh]);
    expect(report.notes.some((n) => n.startsWith('5 jobs are not known yet'))).toBe(true);
    // The SQL and the pure rule agree on this data too.
    const pure = computePreflight({ base: await loadPreflightJobs(get().db, base), candidate: await loadPreflightJobs(get().db, candidate) });
    const { base: _b, candidate: _c, ...fromSql } = report;
    expect(fromSql).toEqual(pure);
    // Against itself only the short record stays undecided.
    expect((await preflightEvals(get().db, candidate, candidate)).totals).toMatchObject({ rebuilt: 0, unknownOutputs: 1 });
  });

  it('says how many are not known in the terminal report and the API', async () => {
    const text = formatPreflightText(await preflightEvals(get().db, base, candidate));
    expect(text).toContain('Rebuilt jobs: 1 (base has 8 jobs, candidate 9)');
    expect(text).toMatch(/^Not known yet \(a build with no outputs stored on either side\): 5$/m);
    const res = await app.request(`/api/preflight?base=${base}&candidate=${candidate}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as PreflightResult;
    expect(body.totals).toMatchObject({ rebuilt: 1, unknownOutputs: 5 });
  });
});
