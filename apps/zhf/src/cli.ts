import { readFileSync, rmSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, DEMO_DEFAULTS, loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from '@zhf/collector/log';
import { JOBSET_REF } from '@zhf/collector/pure/jobset-ref';
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
  zhf roundup [--week YYYY-Www] [--jobset P/J] [--freeze]
  zhf check REPORT.json [--jobset P/J] [--json]

Configuration comes from the environment; see README.md.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const config = loadConfig(undefined, command === 'demo' ? DEMO_DEFAULTS : {});
  const log = createLogger({ level: config.logLevel });
  switch (command) {
    case 'start':
      return serveForever(config, { collector: true });
    case 'serve':
      return serveForever(config, { collector: false });
    case 'demo':
      return demo(config, log);
    case 'sync':
      return sync(config, rest);
    case 'backfill':
      return backfill(config, rest);
    case 'preflight':
      return preflight(config, rest);
    case 'roundup':
      return roundup(config, rest);
    case 'check':
      return check(config, rest);
    default:
      log.error(`unknown command ${JSON.stringify(command)}`);
      process.stdout.write(USAGE + '\n');
      return 2;
  }
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
  if (!base.databaseUrl) rmSync(base.dataDir, { recursive: true, force: true });
  const config: Config = { ...base, hydraUrl: hydra.url, jobsets: hydra.jobsets, devLogin: true };
  log.info('demo: simulated Hydra running', { url: hydra.url, jobsets: hydra.jobsets.join(',') });
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
      const reports = await rt.collector.syncAll(jobsets);
      for (const r of reports) {
        process.stdout.write(`${r.jobset}: ${r.skipped ? `skipped (${r.skipped})` : r.error ? `FAILED: ${r.error}` : `${r.newEvals.length} new evals, ${r.buildsFetched} builds fetched, ${r.buildsUpdated} updated, ${r.breakagesOpened} breakages opened, ${r.breakagesClosed} closed`} (${r.ms} ms${r.fetchMs ? `, ${r.fetchMs} ms of it fetching builds one by one` : ''})\n`);
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
  const rt = await createRuntime(config);
  try {
    let report;
    if (values['changed-paths']) {
      if (!values.jobset && !values.base) throw new UsageError('--changed-paths needs --jobset P/J (or --base EVAL)');
      const json = readJsonFile(values['changed-paths']);
      report = await pf.preflightChangedPaths(rt.database.db, values.base ? evalIdArg(values.base, '--base') : jobsetArg(config, values.jobset)[0]!, json);
    } else {
      if (!values.base || !values.candidate) throw new UsageError('preflight needs --base EVAL --candidate EVAL, or --jobset P/J --changed-paths FILE');
      report = await pf.preflightEvals(rt.database.db, evalIdArg(values.base, '--base'), evalIdArg(values.candidate, '--candidate'));
    }
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : pf.formatPreflightText(report));
    return 0;
  } finally {
    await rt.close();
  }
}

async function roundup(config: Config, rest: string[]): Promise<number> {
  const { values } = args(rest, { week: { type: 'string' }, jobset: { type: 'string' }, freeze: { type: 'boolean' } });
  const { isoWeekOf, parseWeek } = await import('@zhf/collector/pure/week');
  const week = values.week ? parseWeek(values.week) : isoWeekOf(new Date());
  if (!week) throw new UsageError(`--week must look like 2026-W48, got ${JSON.stringify(values.week)}`);
  const [jobset] = jobsetArg(config, values.jobset);
  const ru = await import('@zhf/collector/roundup/index');
  const rt = await createRuntime(config);
  try {
    const input = { jobset: jobset!, week, hydraUrl: config.hydraUrl, dashboardUrl: config.publicUrl, now: new Date() };
    if (values.freeze) await ru.freezeRoundup(rt.database.db, input);
    const r = await ru.getRoundup(rt.database.db, input);
    if (!r) {
      process.stderr.write(`unknown jobset ${jobset}: it has not been synced\n`);
      return 1;
    }
    process.stdout.write(r.markdown + '\n');
    return 0;
  } finally {
    await rt.close();
  }
}

async function check(config: Config, rest: string[]): Promise<number> {
  const { values, positionals } = args(rest, { jobset: { type: 'string' }, json: { type: 'boolean' }, system: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError('check needs exactly one report.json path');
  const ck = await import('@zhf/collector/check/index');
  const rt = await createRuntime(config);
  try {
    const result = await ck.checkReport(rt.database.db, {
      jobset: jobsetArg(config, values.jobset)[0]!, report: readJsonFile(positionals[0]!), defaultSystem: values.system,
    });
    process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : ck.formatCheckText(result) + '\n');
    return 0;
  } finally {
    await rt.close();
  }
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
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`zhf: ${err.message}\n`);
      process.exit(2);
    }
    const known = err && typeof err === 'object' && 'status' in err && (err as { status: number }).status < 500;
    process.stderr.write(`zhf: ${err instanceof Error ? (known ? err.message : err.stack) : String(err)}\n`);
    process.exit(1);
  },
);
