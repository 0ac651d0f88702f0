/**
 * Root causes of dependency failures (SPEC section 8). Each dependency-failed build zhf shows
 * costs one HTML build page, read once: its failed step names the build the failure propagated
 * from (or, without that link, outputs a tracked build produced). A cause that failed by a
 * dependency itself is followed the same way until a direct failure, the root. Builds outside the
 * tracked jobsets cost one `/build/:id` each, once. Everything is stored as it is read, so a pass
 * cut short by the budget or a shutdown continues where it stopped.
 */
import {
  buildsByOutputs, causeBuildInfo, causeRows, causeTargets, refreshRootKeys, setRoots, storeCauseBuilds, storeCauses, unrootedCauses,
  type CauseBuildInfo, type CauseHow, type Db,
} from '@zhf/db/queries';
import { BuildPageShapeError, parseFailedSteps, type FailedStep } from '../hydra/build-page.ts';
import { HydraError, HydraFiltered, HydraNotFound, type HydraClient } from '../hydra/client.ts';
import { silentLogger, type Logger } from '../log.ts';
import { isoWeekOf } from '../pure/week.ts';

export interface CauseOptions {
  now: Date;
  /** Most requests to Hydra in this pass (build pages and records together). */
  budget: number;
  /** Requests in flight at once (the client's token bucket still sets the rate). */
  concurrency?: number;
  /** Longest chain followed (dep -> dep -> … -> direct). */
  maxDepth?: number;
  /** Build pages read before what they say is stored and counted (default 25). */
  batch?: number;
  log?: Logger;
  signal?: AbortSignal;
}

export interface CauseReport {
  /** Build pages read, build records read. */
  pages: number;
  records: number;
  /** Causes stored (a build named, or `none`), and chains that reached a root in this pass. */
  causes: number;
  rooted: number;
  /** Pages that failed (retried next pass). */
  failed: number;
}

/** The cause a build page gives: the first failed step's propagated build, else a step's outputs to match. */
export function causeOfSteps(buildId: number, steps: FailedStep[]): { propagated: number | null; outputs: string[] } {
  const linked = steps.find((s) => s.propagatedFrom !== null && s.propagatedFrom !== buildId);
  if (linked) return { propagated: linked.propagatedFrom, outputs: [] };
  return { propagated: null, outputs: steps.flatMap((s) => s.outputs) };
}

/**
 * Where a chain from `start` ends: the first cause that did not fail by a dependency (the root),
 * or the last known build of a cycle or a dead end. `undefined`: a cause on the way is not read yet
 * (`need` gets its id, and whether its record or its build page is missing); null: `start` names no cause.
 */
export function rootOf(
  start: number,
  causeOf: (id: number) => { cause: number | null; how: CauseHow; root: number | null } | undefined,
  statusOf: (id: number) => number | null | undefined,
  need: (id: number, what: 'record' | 'page') => void,
  maxDepth = 16,
): number | null | undefined {
  const first = causeOf(start);
  if (!first || first.cause === null) return null;
  const seen = new Set([start]);
  let cur = first.cause;
  for (let depth = 0; depth < maxDepth; depth++) {
    if (seen.has(cur)) return cur; // a cycle: stop at the last known build
    seen.add(cur);
    const status = statusOf(cur);
    if (status === undefined) {
      need(cur, 'record');
      return undefined;
    }
    if (status !== 2) return cur;
    const c = causeOf(cur);
    if (c === undefined) {
      need(cur, 'page');
      return undefined;
    }
    if (c.root !== null) return c.root;
    if (c.cause === null) return cur; // a dead end: Hydra names nothing further
    cur = c.cause;
  }
  return cur;
}

export async function resolveCauses(db: Db, client: HydraClient, opts: CauseOptions): Promise<CauseReport> {
  const log = opts.log ?? silentLogger;
  const report: CauseReport = { pages: 0, records: 0, causes: 0, rooted: 0, failed: 0 };
  let budget = opts.budget;
  const maxDepth = opts.maxDepth ?? 16;
  const concurrency = opts.concurrency ?? 4;
  const aborted = () => opts.signal?.aborted === true;

  /** Runs `f` over `ids` with `concurrency` in flight, one budget unit each, while budget lasts. */
  const each = async <T>(ids: number[], f: (id: number) => Promise<T>): Promise<Map<number, T>> => {
    const out = new Map<number, T>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length && budget > 0 && !aborted()) {
        const id = ids[next++]!;
        budget--;
        out.set(id, await f(id));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    return out;
  };

  /** Reads the build pages of `ids` and stores their causes; returns the named causes. */
  const readPages = async (ids: number[]): Promise<number[]> => {
    const steps = await each(ids, async (id): Promise<FailedStep[] | 'gone' | 'failed'> => {
      try {
        const html = await client.buildPage(id);
        report.pages++;
        return parseFailedSteps(html);
      } catch (err) {
        if (err instanceof HydraFiltered) throw err;
        if (err instanceof HydraNotFound) return 'gone';
        if (err instanceof BuildPageShapeError) {
          log.warn('build page has an unexpected Failed build steps table; cause unknown', { build: id, reason: err.message });
          return [];
        }
        if (err instanceof HydraError) {
          report.failed++;
          log.debug('build page failed; retried next pass', { build: id, reason: err.message });
          return 'failed';
        }
        throw err;
      }
    });
    const byPage = new Map<number, { propagated: number | null; outputs: string[] }>();
    for (const [id, s] of steps) if (s !== 'failed') byPage.set(id, s === 'gone' ? { propagated: null, outputs: [] } : causeOfSteps(id, s));
    const byOutputs = await buildsByOutputs(db, [...new Set([...byPage.values()].flatMap((c) => c.outputs))]);
    const rows: { buildId: number; causeBuildId: number | null; how: CauseHow }[] = [];
    for (const [id, c] of byPage) {
      if (c.propagated !== null) rows.push({ buildId: id, causeBuildId: c.propagated, how: 'propagated' });
      else {
        const match = c.outputs.map((p) => byOutputs.get(p)).find((b) => b !== undefined && b !== id);
        rows.push({ buildId: id, causeBuildId: match ?? null, how: match === undefined ? 'none' : 'outputs' });
      }
    }
    await storeCauses(db, rows);
    report.causes += rows.length;
    return [...new Set(rows.flatMap((r) => (r.causeBuildId === null ? [] : [r.causeBuildId])))];
  };

  /**
   * Makes sure every cause in `ids` has what a root cause says (a `cause_builds` row, with its
   * derivation): copied from the tracked record, else one `/build/:id`. Returns their statuses.
   */
  const describe = async (ids: number[]): Promise<Map<number, CauseBuildInfo>> => {
    const known = await causeBuildInfo(db, ids);
    const copy = [...known.values()].filter((b) => b.drvpath !== '');
    await storeCauseBuilds(db, copy);
    const missing = ids.filter((id) => !known.has(id) || known.get(id)!.drvpath === '');
    const fetched = await each(missing, async (id): Promise<CauseBuildInfo | 'gone' | 'failed'> => {
      try {
        const b = await client.build(id);
        report.records++;
        return { id, project: b.project, jobset: b.jobset, job: b.job, system: b.system, finished: b.finished === 1, status: b.buildstatus, drvpath: b.drvpath };
      } catch (err) {
        if (err instanceof HydraNotFound) return 'gone';
        if (err instanceof HydraError && !(err instanceof HydraFiltered)) return 'failed';
        throw err;
      }
    });
    const got = [...fetched.values()].filter((b): b is CauseBuildInfo => typeof b === 'object');
    await storeCauseBuilds(db, got);
    for (const b of got) known.set(b.id, b);
    // A build Hydra no longer has says nothing: stored without a derivation, it ends the chain there.
    for (const [id, b] of fetched) {
      if (b === 'gone' && !known.has(id)) {
        const row: CauseBuildInfo = { id, project: '', jobset: '', job: `build ${id}`, system: '', finished: true, status: null, drvpath: '' };
        await storeCauseBuilds(db, [row]);
        known.set(id, row);
      }
    }
    return known;
  };

  /** Assigns roots to every chain that can be followed now; returns the builds whose page is needed next. */
  const assignRoots = async (): Promise<number[]> => {
    const open = await unrootedCauses(db, 20_000);
    if (!open.length) return [];
    const records = new Set<number>();
    const causes = new Map(open.map((r) => [r.buildId, { cause: r.causeBuildId, how: r.how, root: r.rootBuildId }]));
    const status = new Map<number, number | null>();
    const pages = new Set<number>();
    // Load what chains reach, level by level (chains are short).
    let frontier = [...new Set(open.flatMap((r) => (r.causeBuildId === null ? [] : [r.causeBuildId])))];
    for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
      const info = await causeBuildInfo(db, frontier.filter((id) => !status.has(id)));
      for (const [id, b] of info) status.set(id, b.finished ? b.status : 2 /* unfinished: follow its cause if known */);
      const deps = frontier.filter((id) => status.get(id) === 2 && !causes.has(id));
      const rows = await causeRows(db, deps);
      for (const [id, r] of rows) causes.set(id, { cause: r.causeBuildId, how: r.how, root: r.rootBuildId });
      frontier = [...new Set([...rows.values()].flatMap((r) => (r.causeBuildId === null || r.rootBuildId !== null ? [] : [r.causeBuildId])))];
    }
    const roots: { buildId: number; rootBuildId: number }[] = [];
    for (const r of open) {
      const root = rootOf(r.buildId, (id) => causes.get(id), (id) => (status.has(id) ? status.get(id)! : undefined), (id, what) => (what === 'page' ? pages : records).add(id), maxDepth);
      if (typeof root === 'number') roots.push({ buildId: r.buildId, rootBuildId: root });
    }
    await setRoots(db, roots);
    report.rooted += roots.length;
    if (records.size) await describe([...records]);
    return [...pages];
  };

  // Chains left open by the last pass first (their next page), then the failures shown, newest first.
  let frontier = await assignRoots();
  const targets = await causeTargets(db, { now: opts.now, currentWeek: isoWeekOf(opts.now), limit: Math.max(0, budget - frontier.length) });
  frontier = [...new Set([...frontier, ...targets])];
  // Batches of pages, each stored with the roots it completes before the next is read: at 1 request
  // per second a batch is a few seconds, and the dashboard shows roots as they come in.
  const batch = opts.batch ?? 25;
  for (let depth = 0; depth < maxDepth && frontier.length && budget > 0 && !aborted(); depth++) {
    const next: number[] = [];
    for (let i = 0; i < frontier.length && budget > 0 && !aborted(); i += batch) {
      const named = await readPages(frontier.slice(i, i + batch));
      const info = await describe(named);
      const known = await causeRows(db, named);
      // Causes that failed by a dependency themselves (or are still unfinished) are followed next.
      next.push(...named.filter((id) => {
        const b = info.get(id);
        return b !== undefined && (b.status === 2 || !b.finished) && b.drvpath !== '' && !known.has(id);
      }));
      // Roots not reachable without more pages wait for the next level (or pass).
      next.push(...(await assignRoots()));
      await refreshRootKeys(db);
    }
    const stored = await causeRows(db, [...new Set(next)]);
    frontier = [...new Set(next)].filter((id) => !stored.has(id));
  }
  await assignRoots();
  await refreshRootKeys(db);
  return report;
}
