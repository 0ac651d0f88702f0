// Protects: the simulator's JSON has the same key sets and JSON types as real Hydra responses
// (/work/shared/hydra-samples) and HYDRA-API.md.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GeneratedHydra, ScriptedHydra, startHydraSim, type RunningHydraSim } from '@zhf/sim';

const SAMPLES = '/work/shared/hydra-samples';
const sample = (p: string) => JSON.parse(readFileSync(`${SAMPLES}/${p}`, 'utf8'));
const H = { accept: 'application/json' };

/** JSON "type" of a value: 01 for 0/1 integers, nested shapes for objects. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? ['array', shape(v[0])] : ['array'];
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).filter((k) => !k.startsWith('_')).sort()) o[k] = shape((v as Record<string, unknown>)[k]);
    return o;
  }
  return typeof v;
}
/** Shape of a record's entries (entry names vary: outputs, product numbers, metric names). */
const entryShapes = (rec: object) => [...new Set(Object.values(rec).map((v) => JSON.stringify(shape(v))))];
const RECORDS = ['buildoutputs', 'buildproducts', 'buildmetrics'];
const keys = (o: object) => Object.keys(o).filter((k) => !k.startsWith('_')).sort();
const BUILD_KEYS = ['buildmetrics', 'buildoutputs', 'buildproducts', 'buildstatus', 'drvpath', 'finished', 'id', 'job', 'jobset', 'jobsetevals', 'nixname', 'priority', 'project', 'releasename', 'starttime', 'stoptime', 'system', 'timestamp'];

let gen: RunningHydraSim;
let scripted: RunningHydraSim;
const g = new GeneratedHydra({ jobsPerEval: 400, evals: 6, seed: 3 });
const sim = new ScriptedHydra({ start: 1_793_577_600 });

beforeAll(async () => {
  const js = sim.jobset('nix', 'master');
  const e = sim.eval(js, { jobs: { 'perlBindings.i686-linux': 'success', 'coverage': { status: 0, metrics: { lineCoverage: { value: 75.9, unit: '%' } }, products: { '1': { type: 'report', subtype: 'coverage', name: 'coverage', filesize: null, sha256hash: null, path: '/nix/store/x-coverage', defaultpath: '' } } } } });
  void e;
  gen = await startHydraSim(g, { rateLimit: false });
  scripted = await startHydraSim(sim, { rateLimit: false });
});
afterAll(async () => {
  await gen.close();
  await scripted.close();
});

const get = async (base: RunningHydraSim, path: string) => {
  const r = await fetch(base.url + path, { headers: H });
  expect(r.status, path).toBe(200);
  return r.json();
};

test('a Build has exactly the 18 keys of the real complete sample, with the same JSON types', async () => {
  const real = sample('nixos-infra-issue-270/eval-1798870-builds.complete-objects.json')[0];
  expect(keys(real)).toEqual(BUILD_KEYS);
  const evalId = g.evalIds('nixpkgs', 'unstable')[2];
  const builds: any[] = await get(gen, `/eval/${evalId}/builds`);
  const done = builds.find((b) => b.finished === 1 && b.buildstatus === 0 && b.job !== 'tested' && b.job !== 'unstable')!;
  expect(keys(done)).toEqual(BUILD_KEYS);
  for (const k of BUILD_KEYS) {
    if (RECORDS.includes(k)) expect(entryShapes(done[k]), k).toEqual(entryShapes(real[k]));
    else expect(shape(done[k]), k).toEqual(shape(real[k]));
  }
  expect(done.finished).toBe(1); // integer, not boolean
  // Every build of the eval has the 18 keys; pending ones have nulls where Hydra has them.
  for (const b of builds) expect(keys(b)).toEqual(BUILD_KEYS);
});

test('partial real builds (multi-output, metrics, statuses 1 and 2) match key-by-key types', async () => {
  const partial: any[] = sample('nixos-infra-issue-270/eval-1798870-builds.partial-objects.json');
  const id = sim.getEval(sim.evalIds('nix', 'master')[0])!;
  const coverage: any = await get(scripted, `/build/${[...id.buildIds()][1]}`);
  const realCoverage = partial.find((b) => b.job === 'coverage');
  for (const k of keys(realCoverage)) {
    if (RECORDS.includes(k)) expect(entryShapes(coverage[k]), k).toEqual(entryShapes(realCoverage[k]));
    else expect(shape(coverage[k]), k).toEqual(shape(realCoverage[k]));
  }
  const someId = [...g.getEval(g.evalIds('nixpkgs', 'unstable')[0])!.buildIds()][5];
  for (const real of partial) {
    const mine: any = await get(gen, `/build/${someId}`);
    for (const k of keys(real)) {
      if (['buildmetrics', 'buildoutputs', 'buildproducts', 'jobsetevals'].includes(k)) continue;
      expect(k in mine, k).toBe(true);
      if (mine[k] !== null) expect(typeof mine[k], k).toBe(typeof real[k]);
    }
    for (const o of Object.values(real.buildoutputs ?? {})) expect(shape(o)).toEqual({ path: 'string' });
  }
});

test('the evals page and /eval/{id} match the sample shape (current field set)', async () => {
  const real = sample('hydra-manual-api-md/GET_jobset_hydra_build-ng_evals.json');
  const page: any = await get(gen, '/jobset/nixpkgs/unstable/evals');
  expect(keys(page)).toEqual(['evals', 'first', 'last']); // one page only: no next/previous
  const e = page.evals[0];
  // The 2015 sample lacks timestamp/checkouttime/evaltime/flake (older Hydra); HYDRA-API.md has them.
  expect(keys(e)).toEqual(['builds', 'checkouttime', 'evaltime', 'flake', 'hasnewbuilds', 'id', 'jobsetevalinputs', 'timestamp']);
  for (const k of keys(real.evals[0])) expect(shape(e[k]), k).toEqual(k === 'jobsetevalinputs' ? expect.anything() : shape(real.evals[0][k]));
  expect(shape(e.jobsetevalinputs.nixpkgs)).toEqual(shape(real.evals[0].jobsetevalinputs.nixpkgs));
  expect(shape(e.jobsetevalinputs.officialRelease)).toEqual(shape(real.evals[0].jobsetevalinputs.officialRelease));
  expect(e.jobsetevalinputs.nixpkgs.revision).toMatch(/^[0-9a-f]{40}$/);
  expect(e.hasnewbuilds).toBe(1);
  expect(typeof e.timestamp).toBe('number');
  const single: any = await get(gen, `/eval/${e.id}`);
  expect(keys(single)).toEqual(keys(e));
  expect(single.builds.length).toBe(e.builds.length);
});

test('project and jobset objects carry the HYDRA-API.md fields', async () => {
  const realProject = sample('hydra-manual-api-md/GET_project_hydra.json');
  const p: any = await get(gen, '/project/nixpkgs');
  // Newer Hydra added homepage and enable_dynamic_run_command, and serializes flags as booleans.
  expect(keys(p)).toEqual([...keys(realProject), 'enable_dynamic_run_command', 'homepage'].sort());
  expect(p.jobsets).toEqual(['unstable']);
  for (const k of ['enabled', 'hidden', 'enable_dynamic_run_command']) expect(typeof p[k]).toBe('boolean');
  const js: any = await get(gen, '/jobset/nixpkgs/unstable');
  expect(keys(js)).toEqual(['checkinterval', 'description', 'emailoverride', 'enable_dynamic_run_command', 'enabled', 'enableemail', 'errormsg', 'errortime', 'fetcherrormsg', 'flake', 'inputs', 'keepnr', 'lastcheckedtime', 'name', 'nixexprinput', 'nixexprpath', 'project', 'schedulingshares', 'starttime', 'triggertime', 'type', 'visible']);
  for (const k of ['name', 'project', 'description', 'nixexprinput', 'nixexprpath', 'emailoverride', 'fetcherrormsg', 'flake', 'errormsg']) expect(typeof js[k], k).toBe('string');
  for (const k of ['enableemail', 'enable_dynamic_run_command', 'visible']) expect(typeof js[k], k).toBe('boolean');
  for (const k of ['enabled', 'keepnr', 'checkinterval', 'schedulingshares', 'type']) expect(typeof js[k], k).toBe('number');
  expect(shape(js.inputs.nixpkgs)).toEqual({ emailresponsible: 'boolean', name: 'string', type: 'string', value: 'string' });
});

test('/api/jobsets, /api/latestbuilds and /api/queue shapes', async () => {
  const list: any[] = await get(gen, '/api/jobsets?project=nixpkgs');
  expect(keys(list[0])).toEqual(['checkinterval', 'errortime', 'fetcherrormsg', 'haserrormsg', 'lastcheckedtime', 'name', 'nrfailed', 'nrscheduled', 'nrsucceeded', 'nrtotal', 'project', 'starttime', 'triggertime']);
  expect(typeof list[0].haserrormsg).toBe('boolean');
  expect(list[0].nrtotal).toBe(list[0].nrsucceeded + list[0].nrfailed + list[0].nrscheduled);
  const latest: any[] = await get(gen, '/api/latestbuilds?nr=5&system=aarch64-linux');
  expect(latest).toHaveLength(5);
  for (const b of latest) {
    expect(keys(b)).toEqual(['buildstatus', 'finished', 'id', 'job', 'jobset', 'nixname', 'project', 'system', 'timestamp']);
    expect(b.system).toBe('aarch64-linux');
  }
  expect(latest.map((b) => b.id)).toEqual([...latest.map((b) => b.id)].sort((a, b) => b - a));
  const queue: any[] = await get(gen, '/api/queue?nr=3');
  expect(queue.length).toBeGreaterThan(0);
  for (const b of queue) expect(b.finished).toBe(0);
  expect(keys(queue[0])).toEqual(['finished', 'id', 'job', 'jobset', 'nixname', 'priority', 'project', 'system', 'timestamp']);
});

test('key order varies between responses', async () => {
  const id = [...g.getEval(g.evalIds('nixpkgs', 'unstable')[0])!.buildIds()][0];
  const orders = new Set<string>();
  for (let i = 0; i < 5; i++) orders.add(Object.keys(await get(gen, `/build/${id}`)).join(','));
  expect(orders.size).toBeGreaterThan(1);
});
