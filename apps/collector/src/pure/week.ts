// ISO 8601 weeks in UTC ('2026-W48'): a breakage belongs to the week of its opening eval.

const DAY_MS = 86_400_000;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

/** The ISO week containing the instant, in UTC. Throws RangeError on an invalid date. */
export function isoWeekOf(date: Date | number): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`isoWeekOf: invalid date ${String(date)}`);
  const dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
  const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday = 0
  // The ISO year of a week is the calendar year of its Thursday.
  const thursday = new Date(dayStart + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return formatWeek(year, week);
}

/** Number of ISO weeks (52 or 53) in an ISO year: the week of 28 December is always the last. */
export function weeksInYear(year: number): number {
  return Number(isoWeekOf(Date.UTC(year, 11, 28)).slice(-2));
}

/** The canonical week string when `s` names an existing ISO week (1000-W01 to 9999-W52/53), else null. */
export function parseWeek(s: string): string | null {
  const m = WEEK_RE.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (year < 1000 || week < 1 || week > weeksInYear(year)) return null;
  return s;
}

/** Monday 00:00 UTC (inclusive) to the next Monday 00:00 UTC (exclusive). Throws RangeError on a bad week. */
export function weekRange(week: string): { start: Date; end: Date } {
  if (parseWeek(week) === null) throw new RangeError(`weekRange: not an ISO week: ${JSON.stringify(week)}`);
  const year = Number(week.slice(0, 4));
  const n = Number(week.slice(-2));
  // 4 January is always in week 1; step back to its Monday.
  const jan4 = Date.UTC(year, 0, 4);
  const week1Monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  const start = week1Monday + (n - 1) * 7 * DAY_MS;
  return { start: new Date(start), end: new Date(start + 7 * DAY_MS) };
}

export function previousWeek(week: string): string {
  return isoWeekOf(weekRange(week).start.getTime() - 7 * DAY_MS);
}

export function nextWeek(week: string): string {
  return isoWeekOf(weekRange(week).end);
}

function formatWeek(year: number, week: number): string {
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}
