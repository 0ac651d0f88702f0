// The weekly roundup against the database (SPEC section 7): the week's breakages with their
// claims, rendered by ../pure/roundup.ts, frozen into `roundups` once a week.

import type { Db } from '@zhf/db';
import {
  backlogOpenCount, causeBuildInfo, commitRange, findRoundupJobset, storedRoundup, upsertRoundup, weekBreakages, weekRoots,
  type WeekBreakageRow, type WeekRootRow,
} from '@zhf/db/queries';
import { renderRoundup, type RoundupBreakage, type RoundupRoot, type RoundupSummary } from '../pure/roundup.ts';
import { splitJobsetRef } from '../pure/jobset-ref.ts';
import { isoWeekOf, previousWeek, weekRange } from '../pure/week.ts';

export interface RoundupQuery {
  /** `project/jobset` */
  jobset: string;
  /** ISO week, `2026-W48` (already validated: see pure/week.ts parseWeek). */
  week: string;
  hydraUrl: string;
  dashboardUrl?: string | null;
  /** The instant the roundup is computed or frozen at. */
  now?: Date;
  /** Maintainers as `@login` mentions (ZHF_ROUNDUP_MENTIONS=1); plain handles otherwise. */
  mentions?: boolean;
}

/** A breakage as the roundup JSON carries it: the renderer's fields plus closing and the claim in full. */
export interface RoundupItem extends RoundupBreakage {
  closedEvalId: number | null;
  closedAt: string | null;
  claim: { by: string; at: string; prUrl: string | null; note: string | null } | null;
  fixedBy: string | null;
}

/** A root as the roundup JSON carries it: the renderer's fields plus how many of the week's breakages it folds. */
export interface RoundupRootItem extends RoundupRoot {
  /** The week's dependency failures (of this jobset) listed under it instead of one by one. */
  folded: number;
}

export interface BurndownPoint {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  /** Breakages of the week open at the end of that day (at `now` for the current day). */
  open: number;
}

export interface Roundup {
  jobset: string;
  week: string;
  summary: RoundupSummary;
  /** Each under GitHub's body limit; one part for most weeks. */
  parts: string[];
  /** The parts joined for display, separated by a `<!-- part break -->` line. */
  markdown: string;
  burndown: BurndownPoint[];
  breakages: RoundupItem[];
  /** Listed before the rest, most blocking first. Absent in roundups frozen before roots were listed. */
  roots?: RoundupRootItem[];
  generatedAt: string;
  frozen: boolean;
  frozenAt: string | null;
}

export const PART_BREAK = '<!-- part break -->';
const DAY_MS = 86_400_000;
/** The burn-down follows the week's breakages for four weeks from its Monday at most. */
const BURNDOWN_MAX_DAYS = 28;

/** The week's roundup computed now from the breakages; null when the jobset is not in the database. */
export async function buildRoundup(db: Db, q: RoundupQuery): Promise<Roundup | null> {
  const js = await jobsetOf(db, q.jobset);
  return js && build(db, js, q);
}

async function jobsetOf(db: Db, jobset: string) {
  const ref = splitJobsetRef(jobset);
  return ref && (await findRoundupJobset(db, ref[0], ref[1]));
}

async function build(db: Db, js: { id: number; repoUrl: string }, q: RoundupQuery): Promise<Roundup> {
  const now = q.now ?? new Date();
  const rows = await weekBreakages(db, js.id, q.week);
  const backlogOpen = await backlogOpenCount(db, js.id, q.week);
  const breakages = rows.map((r) => itemOf(r, js.repoUrl));
  const roots = await rootsOf(db, await weekRoots(db, js.id, q.week), breakages);
  const generatedAt = now.toISOString();
  const { summary, parts } = renderRoundup({
    jobset: q.jobset, week: q.week, hydraUrl: q.hydraUrl, dashboardUrl: q.dashboardUrl ?? null, breakages, roots, backlogOpen, generatedAt,
    mentions: q.mentions ?? false,
  });
  return {
    jobset: q.jobset, week: q.week, summary, parts, markdown: joinParts(parts), burndown: burndown(q.week, rows, now), breakages, roots,
    generatedAt, frozen: false, frozenAt: null,
  };
}

/** Computes and stores the week's roundup; a rerun replaces the stored one (one row per jobset and week). */
export async function freezeRoundup(db: Db, q: RoundupQuery): Promise<Roundup | null> {
  const js = await jobsetOf(db, q.jobset);
  if (!js) return null;
  const now = q.now ?? new Date();
  const frozen: Roundup = { ...(await build(db, js, { ...q, now })), frozen: true, frozenAt: now.toISOString() };
  const { parts, markdown: _markdown, ...data } = frozen;
  await upsertRoundup(db, { jobsetId: js.id, week: q.week, frozenAt: now, parts, data: JSON.stringify(data) });
  return frozen;
}

/** The stored roundup when the week was frozen, else computed live (`frozen: false`); null for an unknown jobset. */
export async function getRoundup(db: Db, q: RoundupQuery): Promise<Roundup | null> {
  const js = await jobsetOf(db, q.jobset);
  if (!js) return null;
  const stored = await storedRoundup(db, js.id, q.week);
  if (!stored) return build(db, js, q);
  // `data` is what freezeRoundup wrote: a Roundup without its parts and markdown.
  const data = JSON.parse(stored.data) as Omit<Roundup, 'parts' | 'markdown'>;
  return { ...data, parts: stored.parts, markdown: joinParts(stored.parts), frozen: true, frozenAt: stored.frozenAt.toISOString() };
}

/**
 * The week a scheduled tick at `now` freezes: the ISO week that ended before `now`. The tick runs
 * on Wednesday (06:45 UTC by default) rather than at Monday 00:00 because Hydra needs a day or two
 * to finish building the evals of the week's last days; freezing earlier would list them as pending.
 */
export function weekToFreeze(now: Date): string {
  return previousWeek(isoWeekOf(now));
}

export interface FreezeResult {
  jobset: string;
  week: string;
  /** false when the jobset is not in the database yet (never synced). */
  frozen: boolean;
  parts: number;
  breakages: number;
}

/** Freezes the week that just ended for every jobset; a jobset never synced is skipped, not created. */
export async function freezeDueRoundups(
  db: Db,
  opts: { jobsets: string[]; hydraUrl: string; dashboardUrl?: string | null; now: Date; mentions?: boolean },
): Promise<FreezeResult[]> {
  const week = weekToFreeze(opts.now);
  const out: FreezeResult[] = [];
  for (const jobset of opts.jobsets) {
    const r = await freezeRoundup(db, { jobset, week, hydraUrl: opts.hydraUrl, dashboardUrl: opts.dashboardUrl, now: opts.now, mentions: opts.mentions });
    out.push({ jobset, week, frozen: r !== null, parts: r?.parts.length ?? 0, breakages: r?.breakages.length ?? 0 });
  }
  return out;
}

export function joinParts(parts: string[]): string {
  return parts.join(`\n${PART_BREAK}\n\n`);
}

/** Roots with what the line shows: the tracked breakage's fields, else the root build as read for the cause. */
async function rootsOf(db: Db, rows: WeekRootRow[], week: RoundupItem[]): Promise<RoundupRootItem[]> {
  const untracked = await causeBuildInfo(db, rows.filter((r) => r.breakage === null).map((r) => r.rootBuildId));
  const folded = new Map<string, number>();
  for (const b of week) if (b.kind === 'dependency' && b.rootKey) folded.set(b.rootKey, (folded.get(b.rootKey) ?? 0) + 1);
  const out: RoundupRootItem[] = [];
  for (const r of rows) {
    const bk = r.breakage;
    const info = bk ? null : untracked.get(r.rootBuildId);
    if (!bk && !info) continue; // a root build zhf knows nothing of (cannot happen: causes record the builds they name)
    out.push(bk ? {
      key: r.key, job: bk.job, jobset: bk.jobset, system: bk.system, breakageId: bk.id, state: bk.state, buildId: bk.buildId, blocks: r.blocks,
      range: bk.rangeFrom && bk.rangeTo ? commitRange(bk.repoUrl, bk.rangeFrom, bk.rangeTo) : null,
      claim: bk.claimBy === null ? null : { by: bk.claimBy, prUrl: bk.claimPrUrl }, fixedBy: bk.fixedBy, maintainers: bk.maintainers,
      folded: folded.get(r.key) ?? 0,
    } : {
      key: r.key, job: info!.job, jobset: `${info!.project}/${info!.jobset}`, system: info!.system, breakageId: null, state: null,
      buildId: r.rootBuildId, blocks: r.blocks, range: null, claim: null, fixedBy: null, maintainers: [], folded: folded.get(r.key) ?? 0,
    });
  }
  return out;
}

function itemOf(r: WeekBreakageRow, repoUrl: string): RoundupItem {
  return {
    id: r.id,
    job: r.job,
    system: r.system,
    kind: r.kind,
    state: r.state,
    flaky: r.flaky,
    openedEvalId: r.openedEvalId,
    openedAt: r.openedAt.toISOString(),
    closedEvalId: r.closedEvalId,
    closedAt: r.closedAt?.toISOString() ?? null,
    buildId: r.buildId,
    range: r.rangeFrom && r.rangeTo ? commitRange(repoUrl, r.rangeFrom, r.rangeTo) : null,
    claim: r.claimBy === null ? null : { by: r.claimBy, at: r.claimAt!.toISOString(), prUrl: r.claimPrUrl, note: r.claimNote },
    fixedBy: r.fixedBy,
    maintainers: r.maintainers,
    rootKey: r.rootKey,
  };
}

/**
 * Open breakages of the week at the end of each UTC day from its Monday through the day of
 * `now` (the week's days only until now; then on, while the week is recent, up to four weeks).
 */
function burndown(week: string, rows: WeekBreakageRow[], now: Date): BurndownPoint[] {
  const { start } = weekRange(week);
  const points: BurndownPoint[] = [];
  for (let d = 0; d < BURNDOWN_MAX_DAYS; d++) {
    const dayStart = start.getTime() + d * DAY_MS;
    if (dayStart > now.getTime()) break;
    const at = Math.min(dayStart + DAY_MS, now.getTime());
    let open = 0;
    for (const r of rows) {
      // A closed breakage always has a closing time; without one, count it closed from the start.
      const closed = r.state === 'open' ? null : (r.closedAt ?? r.openedAt);
      if (r.openedAt.getTime() <= at && (closed === null || closed.getTime() > at)) open++;
    }
    points.push({ date: new Date(dayStart).toISOString().slice(0, 10), open });
  }
  return points;
}
