// ISO weeks in UTC for links and pickers; the collector's pure module decides, this only navigates.
export { isoWeekOf, parseWeek, previousWeek, nextWeek, weekRange } from '@zhf/collector/pure/week';
