// The trends page's series: what each chart draws, with gaps (null), not zeros, where zhf has
// no record, and a note for a chart that has nothing to draw. Pure, so it is tested on its own.
import { weekRange } from '@zhf/collector/pure/week';
import type { Trends } from './types.ts';

export interface WeeklySeries {
  weeks: string[];
  /** Per week: whether zhf's record of the jobset covers it (the week ends after `since`). */
  tracked: boolean[];
  opened: (number | null)[];
  fixedInWeek: (number | null)[];
  open: (number | null)[];
  medianHoursToFix: (number | null)[];
  /** A note for each chart with nothing to draw; null when it has something. */
  empty: { perEval: string | null; weekly: string | null; timeToFix: string | null };
}

const day = (iso: string) => iso.slice(0, 10);

export function trendSeries(t: Trends): WeeklySeries {
  const since = t.since ? Date.parse(t.since) : null;
  const weeks = t.weeks.map((w) => w.week);
  const tracked = t.weeks.map((w) => since !== null && weekRange(w.week).end.getTime() > since);
  const gap = <T>(values: T[]): (T | null)[] => values.map((v, i) => (tracked[i] ? v : null));
  const medianHoursToFix = gap(t.weeks.map((w) => w.medianHoursToFix));
  const noRecord = since === null
    ? 'No data yet: no eval of this jobset is ingested.'
    : `No data yet: zhf's record of this jobset begins ${day(t.since!)}, after this range.`;
  const anyTracked = tracked.some(Boolean);
  return {
    weeks,
    tracked,
    opened: gap(t.weeks.map((w) => w.opened)),
    fixedInWeek: gap(t.weeks.map((w) => w.fixedInWeek ?? w.fixed)),
    open: gap(t.weeks.map((w) => w.open)),
    medianHoursToFix,
    empty: {
      perEval: t.evals.length ? null : since === null ? noRecord : 'No data yet: no eval of this jobset in this range.',
      weekly: anyTracked ? null : noRecord,
      timeToFix: !anyTracked ? noRecord : medianHoursToFix.some((v) => v !== null) ? null : 'No data yet: no breakage was fixed in this range.',
    },
  };
}
