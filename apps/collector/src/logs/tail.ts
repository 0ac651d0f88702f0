// SPEC section 10, "Why it failed": the last lines of a failing build's log, fetched from Hydra
// when someone first asks and cached by derivation (every build of one .drv shares its log).

import type { Db } from '@zhf/db';
import { logBuild, logTailOf, logTailOfBuild, storeLogTail, type StoredLogTail } from '@zhf/db/queries';
import { Invalid, Unprocessable, Upstream } from '../errors.ts';
import { HydraError, HydraFiltered, HydraNotFound, type HydraClient } from '../hydra/client.ts';

export const DEFAULT_LOG_LINES = 50;
export const MAX_LOG_LINES = 500;
/**
 * Lines asked of Hydra at least: a person who wants more than the default usually opens it
 * again with more, and 200 lines cost Hydra no more than 50 (`tail -n` on one file).
 */
export const FETCH_LOG_LINES = 200;
/** Tries per Hydra request: a person is waiting, and a second try covers a dropped connection. */
const INTERACTIVE_ATTEMPTS = 2;
/** Longest line kept: a minified bundle or a progress bar can be one line of megabytes. */
export const MAX_LINE_CHARS = 2000;

/** The parts of the Hydra client this service uses. */
export type LogSource = Pick<HydraClient, 'build' | 'logTail'>;

export interface LogTailView {
  buildId: number;
  drvPath: string;
  lines: string[];
  fetchedAt: string;
}

// CSI sequences (colours, cursor moves) and OSC ones (titles, hyperlinks) that builders print
// for terminals; in a page they are noise.
const TERMINAL_ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const OTHER_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * A log line as a page shows it: terminal escapes and control characters removed (PostgreSQL
 * text cannot hold NUL), a carriage-return progress line reduced to what it showed last, and
 * cut to MAX_LINE_CHARS.
 */
export function cleanLogLine(line: string): string {
  let s = line.replace(TERMINAL_ESCAPES, '');
  const cr = s.lastIndexOf('\r', s.endsWith('\r') ? s.length - 2 : s.length);
  if (cr >= 0) s = s.slice(cr + 1);
  s = s.replace(OTHER_CONTROLS, (c) => (c === '\t' ? c : ''));
  return s.length > MAX_LINE_CHARS ? `${s.slice(0, MAX_LINE_CHARS)}…` : s;
}

/** Whether a stored tail answers a request for `n` lines: enough lines, or the whole log. */
export function tailCovers(t: Pick<StoredLogTail, 'lines' | 'tail'>, n: number): boolean {
  return n <= t.tail || t.lines.length < t.tail;
}

/** A tail fetched before the build last finished belongs to an earlier run of the derivation (a restart). */
function fresh(t: StoredLogTail, stoptime: number | null): boolean {
  return stoptime === null || t.fetchedAt.getTime() >= stoptime * 1000;
}

function view(buildId: number, t: StoredLogTail, n: number): LogTailView {
  return { buildId, drvPath: t.drvPath, lines: t.lines.slice(-n), fetchedAt: t.fetchedAt.toISOString() };
}

/** Hydra's failures as the domain errors a caller shows, each saying what could not be read. */
function upstream(err: unknown, what: string, notFound: string): never {
  if (err instanceof HydraNotFound) throw new Upstream(notFound);
  if (err instanceof HydraFiltered) throw new Upstream(`Hydra's filter refused the request for ${what}: ${err.message}`);
  if (err instanceof HydraError) throw new Upstream(`Hydra did not give ${what}: ${err.message}`);
  throw err;
}

/**
 * The last `lines` lines of build `buildId`'s log. The build is read from the database; one
 * stored only as a short record (no derivation yet), or not stored at all (a root cause in
 * another jobset), is asked of Hydra first. Callers pick the build: a breakage's failing build,
 * or for a dependency failure the root cause's build, whose log says why.
 */
export async function logTail(db: Db, hydra: LogSource, buildId: number, lines: number, now: () => Date = () => new Date()): Promise<LogTailView> {
  if (!Number.isInteger(lines) || lines < 1 || lines > MAX_LOG_LINES) throw new Invalid(`lines must be a whole number from 1 to ${MAX_LOG_LINES}`);
  if (buildId <= 0) throw new Unprocessable('the failing build is not known yet');
  const stored = await logBuild(db, buildId);
  let drvPath = stored?.detailed && stored.drvpath !== '' ? stored.drvpath : null;
  let finished = stored?.finished ?? false;
  let stoptime = stored?.stoptime ?? null;
  let status = stored?.status ?? null;
  if (drvPath === null) {
    // A tail fetched for this build before names its derivation; a restart since makes it stale.
    const byBuild = await logTailOfBuild(db, buildId);
    if (byBuild && finished && fresh(byBuild, stoptime)) {
      if (tailCovers(byBuild, lines)) return view(buildId, byBuild, lines);
      drvPath = byBuild.drvPath;
    } else {
      const record = await hydra.build(buildId, INTERACTIVE_ATTEMPTS).catch((err) => upstream(err, `build ${buildId}`, `Hydra does not know build ${buildId}`));
      if (!record.drvpath) throw new Upstream(`Hydra names no derivation for build ${buildId}`);
      drvPath = record.drvpath;
      finished = record.finished === 1;
      stoptime = record.stoptime;
      status = record.buildstatus;
    }
  }
  const cached = await logTailOf(db, drvPath);
  if (cached && finished && fresh(cached, stoptime) && tailCovers(cached, lines)) return view(buildId, cached, lines);

  const ask = Math.max(lines, FETCH_LOG_LINES);
  const base = drvPath.slice(drvPath.lastIndexOf('/') + 1);
  const why = status === 2
    ? `: build ${buildId} failed because a dependency did, so it has no log of its own; the dependency's log says why`
    : '';
  const got = await hydra.logTail(drvPath, ask, INTERACTIVE_ATTEMPTS).catch((err) => upstream(err, `the log of ${base}`, `Hydra has no log of ${base}${why}`));
  const t: StoredLogTail = { drvPath, lines: got.map(cleanLogLine), tail: ask, fetchedAt: now() };
  // A build still running (or restarted) is writing its log: show what there is, keep nothing.
  if (finished) await storeLogTail(db, { ...t, buildId });
  return view(buildId, t, lines);
}
