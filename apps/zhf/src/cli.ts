import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { clearDataDir, DataDirBusyError } from '@zhf/db';
import { ConfigError, DEMO_DEFAULTS, loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from '@zhf/collector/log';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';
import { OwnerApiError, ownerJson, throughOwner, type OwnerApi } from './owner-api.ts';
import { createProgress } from './progress.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { Scheduler } from './scheduler.ts';

const USAGE = `zhf: Zero Hydra Failures, all year

Usage:
  zhf start                          dashboard + API + scheduled collector + weekly roundup
  zhf demo                           the same against a built-in simulated Hydra (offline)
  zhf serve                          dashboard + API only
  zhf sync [--once] [--jobset P/J]   poll Hydra and ingest (--once: one pass, then exit)
  zhf backfill --jobset P/J --evals N
  zhf preflight --base EVAL --candidate EVAL [--json]
  zhf preflight --jobset P/J --changed-paths FILE [--json]
  zhf roundup [--week YYYY-Www] [--jobset P/J] [--freeze [--force]]
  zhf check REPORT.json [--jobset P/J] [--json]

Configuration comes from the environment; see README.md. On the embedded database, check,
roundup and preflight ask the running server that owns it; the other commands refuse.`;

class UsageError extends Error {}

/** Each command's handler, given the configuration, the command's arguments and the logger. */
const COMMANDS: Record<string, (config: Config, rest: string[], log: Logger) => Promise<number>> = {
  start: (config) => serveForever(config, { collector: true }),
  serve: (config) => serveForever(config, { collector: false }),
  demo: (config, _rest, log) => demo(config, log),
  sync,
  backfill,
  preflight,
  roundup,
  check,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`zhf: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(undefined, command === 'demo' ? DEMO_DEFAULTS : {});
  return run(config, rest, createLogger({ level: config.logLevel }));
}

function args<O extends NonNullable<ParseArgsConfig['options']>>(rest: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: rest, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function jobsetArg(config: Config, value: unknown): string[] {
  if (value === undefined) return config.jobsets;
  const v = String(value);
  if (!JOBSET_REF.test(v)) throw new UsageError(`--jobset must be project/jobset, got ${JSON.stringify(v)}`);
  if (!config.jobsets.includes(v)) {
    throw new UsageError(`--jobset ${v} is not tracked; tracked jobsets: ${config.jobsets.join(', ') || 'none'} (ZHF_JOBSETS)`);
  }
  return [v];
}

/** Runs until SIGTERM/SIGINT, then stops the scheduler (the eval in hand commits or rolls back) and closes. */
async function serveForever(config: Config, opts: { collector: boolean; onReady?: (rt: Runtime) => Promise<void> }): Promise<number> {
  const rt = await createRuntime(config);
  const { startServer } = await import('./server.ts');
  const server = await startServer(rt).catch(async (err: NodeJS.ErrnoException) => {
    await rt.close();
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${config.port} on ${config.host} is in use: stop what holds it or set PORT`);
    throw err;
  });
  // Other commands on this data directory go through this API (owner-api.ts).
  rt.database.dataDirLock?.advertise(server.url);
  rt.log.info(`dashboard and API listening`, { url: server.url });
  const scheduler = new Scheduler(rt.log);
  if (opts.collector) {
    const { createRoundupTick } = await import('@zhf/collector/roundup/index');
    const syncJob = {
      name: 'sync',
      cron: config.syncCron,
      run: async (signal: AbortSignal) => {
        await rt.collector.syncAll(config.jobsets, signal);
        server.invalidate();
      },
    };
    scheduler.add(syncJob);
    rt.nextSyncAt = () => scheduler.nextRun('sync');
    const tick = createRoundupTick({ database: rt.database, config });
    scheduler.add({ name: 'roundup', cron: config.roundupCron, run: async () => {
      await tick(new Date());
      server.invalidate();
    } });
    void scheduler.trigger(syncJob);
  }
  await opts.onReady?.(rt);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  rt.log.info('shutting down: finishing or rolling back the work in hand');
  await scheduler.stop();
  await server.close();
  await rt.close();
  return 0;
}

/** `base` was loaded with DEMO_DEFAULTS (its own data directory, ten days of history). */
async function demo(base: Config, log: Logger): Promise<number> {
  const { startDemoHydra } = await import('./demo.ts');
  const hydra = await startDemoHydra(log);
  // A fresh demo database each run, unless another process has this one open.
  if (!base.databaseUrl) clearDataDir(base.dataDir);
  const config: Config = {
    ...base, hydraUrl: hydra.url, jobsets: hydra.jobsets, devLogin: true,
    // The demo's commits exist only in its simulated GitHub: ask it, never github.com or a local clone.
    github: { ...base.github, apiUrl: hydra.githubApiUrl, token: null }, nixpkgsGit: null,
    packagesJson: base.packagesJson?.length ? base.packagesJson : [{ project: '*', jobset: '*', url: `${hydra.url}/channel/nixpkgs-unstable/packages.json.br` }],
  };
  log.info('demo: simulated Hydra running', { url: hydra.url, jobsets: hydra.jobsets.join(','), github: hydra.githubApiUrl });
  const example = hydra.lookupExample();
  if (example) log.info('demo: commit and PR lookups answer from the simulated GitHub', { try: `/prs/${example.pr} or /commits/${example.commit}` });
  const code = await serveForever(config, { collector: true });
  await hydra.close();
  return code;
}

async function sync(config: Config, rest: string[]): Promise<number> {
  const { values } = args(rest, { once: { type: 'boolean' }, jobset: { type: 'string' } });
  const jobsets = jobsetArg(config, values.jobset);
  const rt = await createRuntime(config);
  try {
    if (values.once) {
      const progress = createProgress();
      const reports = await rt.collector.syncAll(jobsets, undefined, (done, total, label) => progress.update(done, total, label));
      progress.done();
      for (const r of reports) {
        process.stdout.write(`${r.jobset}: ${r.skipped ? `skipped (${r.skipped})` : r.error ? `FAILED: ${r.error}` : `${r.newEvals.length} new evals, ${r.buildsFetched} builds fetched, ${r.buildsUpdated} updated, ${r.breakagesOpened} breakages opened, ${r.breakagesClosed} closed`} (${r.ms} ms${r.fetchMs ? `, ${r.fetchMs} ms of it fetching builds one by one` : ''})\n`);
        // Verdicts are current already; full records (derivations, outputs) follow at the polite budget.
        if (r.known && r.known.known < r.known.total) {
          process.stdout.write(`${r.jobset}: ${r.known.known.toLocaleString('en')} of ${r.known.total.toLocaleString('en')} builds of eval ${r.known.evalId} known; the rest follow at the polite budget on the next syncs (zhf start keeps syncing)\n`);
        }
      }
      return reports.some((r) => r.error) ? 1 : 0;
    }
    const scheduler = new Scheduler(rt.log);
    const job = { name: 'sync', cron: config.syncCron, run: async (signal: AbortSignal) => void (await rt.collector.syncAll(jobsets, signal)) };
    scheduler.add(job);
    void scheduler.trigger(job);
    rt.log.info('collector scheduled', { cron: config.syncCron, jobsets: jobsets.join(',') });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    rt.log.info('shutting down: finishing or rolling back the work in hand');
    await scheduler.stop();
    return 0;
  } finally {
    await rt.close();
  }
}

async function backfill(config: Config, rest: string[]): Promise<number> {
  const { values } = args(rest, { jobset: { type: 'string' }, evals: { type: 'string' } });
  if (!values.jobset) throw new UsageError('backfill needs --jobset P/J');
  const [jobset] = jobsetArg(config, values.jobset);
  const n = Number(values.evals ?? config.backfillEvals);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--evals must be a positive whole number, got ${JSON.stringify(values.evals)}`);
  const rt = await createRuntime(config);
  const progress = createProgress();
  try {
    const r = await rt.collector.backfill(jobset!, n, (done, total, label) => progress.update(done, total, label));
    progress.done();
    if (r.skipped) {
      process.stderr.write(`${jobset}: another collector is ingesting; try again later\n`);
      return 1;
    }
    process.stdout.write(`${jobset}: ${r.newEvals.length} older evals ingested, ${r.buildsFetched} builds fetched (${r.ms} ms)\n`);
    return 0;
  } finally {
    await rt.close();
  }
}

async function preflight(config: Config, rest: string[]): Promise<number> {
  const { values } = args(rest, {
    base: { type: 'string' }, candidate: { type: 'string' }, jobset: { type: 'string' }, 'changed-paths': { type: 'string' }, json: { type: 'boolean' },
  });
  const pf = await import('@zhf/collector/preflight/index');
  type Report = Awaited<ReturnType<typeof pf.preflightEvals>>;
  let ask: (db: Runtime['database']['db']) => Promise<Report>;
  let remote: (api: OwnerApi) => Promise<Report & { truncated?: string[]; offset?: number; list?: string | null }>;
  // The API cuts its lists to ?limit= items; the command line lists all.
  const all = `limit=1000000`;
  if (values['changed-paths']) {
    if (!values.jobset && !values.base) throw new UsageError('--changed-paths needs --jobset P/J (or --base EVAL)');
    const json = readJsonFile(values['changed-paths']);
    const target = values.base ? evalIdArg(values.base, '--base') : jobsetArg(config, values.jobset)[0]!;
    ask = (db) => pf.preflightChangedPaths(db, target, json);
    remote = (api) => ownerJson(api, `/api/preflight?${all}`, { changedPaths: json, ...(typeof target === 'number' ? { base: target } : { jobset: target }) });
  } else {
    if (!values.base || !values.candidate) throw new UsageError('preflight needs --base EVAL --candidate EVAL, or --jobset P/J --changed-paths FILE');
    const base = evalIdArg(values.base, '--base');
    const candidate = evalIdArg(values.candidate, '--candidate');
    ask = (db) => pf.preflightEvals(db, base, candidate);
    remote = (api) => ownerJson(api, `/api/preflight?base=${base}&candidate=${candidate}&${all}`);
  }
  const report = await throughOwner(config, async (api) => {
    const r = await remote(api);
    // The slice the API answers with is the whole report here: the same output as without a server.
    if (r.truncated?.length === 0) delete r.truncated;
    if (r.offset === 0) delete r.offset;
    if (r.list === null) delete r.list;
    return r;
  }, () => withRuntime(config, (rt) => ask(rt.database.db)));
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : pf.formatPreflightText(report));
  return 0;
}

/** Runs `fn` on a runtime opened here (the embedded database is then this process's until it closes). */
async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await createRuntime(config);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function roundup(config: Config, rest: string[]): Promise<number> {
  const { values } = args(rest, { week: { type: 'string' }, jobset: { type: 'string' }, freeze: { type: 'boolean' }, force: { type: 'boolean' } });
  const { isoWeekOf, parseWeek, weekRange, weeksInYear } = await import('@zhf/collector/pure/week');
  const now = new Date();
  const week = values.week ? parseWeek(values.week) : isoWeekOf(now);
  if (!week) {
    // Well formed but past the year's last week (or before 1000-W01): say so, not "must look like".
    const m = /^(\d{4})-W(\d{2})$/.exec(values.week!);
    if (m) throw new UsageError(`--week ${values.week} does not exist: ${m[1]} has ${Number(m[1]) >= 1000 ? weeksInYear(Number(m[1])) : 'no'} ISO weeks`);
    throw new UsageError(`--week must look like 2026-W48, got ${JSON.stringify(values.week)}`);
  }
  const [jobset] = jobsetArg(config, values.jobset);
  if (values.force && !values.freeze) throw new UsageError('--force only applies to --freeze');
  // A frozen roundup is what gets pasted into the week's issue: freezing a week still running needs saying so.
  const ends = weekRange(week).end;
  const unfinished = ends > now;
  if (values.freeze && unfinished && !values.force) {
    throw new UsageError(`${week} has not ended (it ends ${ends.toISOString()}); freezing it now stores a partial week as its roundup: add --force to do that anyway`);
  }
  const ru = await import('@zhf/collector/roundup/index');
  const input = { jobset: jobset!, week, hydraUrl: config.hydraUrl, dashboardUrl: config.publicUrl, now, mentions: config.roundupMentions };
  type Roundup = NonNullable<Awaited<ReturnType<typeof ru.getRoundup>>>;
  const notFound = (err: unknown) => (err instanceof OwnerApiError && err.status === 404 ? null : Promise.reject(err));
  // Freezing writes: only with the database opened here (refused while another process owns it).
  const r: Roundup | null = values.freeze
    ? await withRuntime(config, async (rt) => {
      const frozen = await ru.freezeRoundup(rt.database.db, input);
      if (frozen) {
        process.stderr.write(`zhf: froze the roundup of ${week} for ${jobset} as of ${frozen.frozenAt}: ${frozen.breakages.length} breakages in ${frozen.parts.length} part(s)`
          + `${unfinished ? `, before the week ended (${ends.toISOString()}); a later --freeze replaces it` : ''}\n`);
      }
      return frozen;
    })
    : await throughOwner(config,
      (api) => ownerJson<Roundup>(api, `/api/roundups/${week}?jobset=${encodeURIComponent(jobset!)}`).catch(notFound),
      () => withRuntime(config, (rt) => ru.getRoundup(rt.database.db, input)));
  if (!r) {
    process.stderr.write(`zhf: jobset ${jobset} has not been synced yet: run zhf sync --once\n`);
    return 1;
  }
  process.stdout.write(r.markdown + '\n');
  return 0;
}

async function check(config: Config, rest: string[]): Promise<number> {
  const { values, positionals } = args(rest, { jobset: { type: 'string' }, json: { type: 'boolean' }, system: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError('check needs exactly one report.json path');
  const ck = await import('@zhf/collector/check/index');
  const input = { jobset: jobsetArg(config, values.jobset)[0]!, report: readJsonFile(positionals[0]!), defaultSystem: values.system };
  type Result = Awaited<ReturnType<typeof ck.checkReport>>;
  const result = await throughOwner(config,
    (api) => ownerJson<Result>(api, '/api/check', { jobset: input.jobset, report: input.report, ...(input.defaultSystem ? { system: input.defaultSystem } : {}) }),
    () => withRuntime(config, (rt) => ck.checkReport(rt.database.db, input)));
  process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : ck.formatCheckText(result) + '\n');
  return 0;
}

function evalIdArg(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be an eval id, got ${JSON.stringify(v)}`);
  return n;
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Another process owns the embedded database, or its API said no: one line, no stack.
    if (err instanceof DataDirBusyError || err instanceof OwnerApiError) {
      process.stderr.write(`zhf: ${err.message}\n`);
      process.exit(1);
    }
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`zhf: ${err.message}\n`);
      process.exit(2);
    }
    const status = err && typeof err === 'object' && 'status' in err ? (err as { status: number }).status : 500;
    process.stderr.write(`zhf: ${err instanceof Error ? (status < 500 ? err.message : err.stack) : String(err)}\n`);
    // Malformed input (a report or changed-paths.json that is not one) is a usage error, like unreadable JSON.
    process.exit(status === 400 ? 2 : 1);
  },
);
