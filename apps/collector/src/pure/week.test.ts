import { describe, expect, it } from 'vitest';
import { isoWeekOf, nextWeek, parseWeek, previousWeek, weekRange, weeksInYear } from './week.ts';

describe('isoWeekOf', () => {
  // Year boundaries are where naive "week of the calendar year" code goes wrong.
  it.each([
    ['2026-11-23T00:00:00Z', '2026-W48'], // Monday starts the week
    ['2026-11-29T23:59:59.999Z', '2026-W48'], // Sunday ends it
    ['2026-11-30T00:00:00Z', '2026-W49'],
    ['2026-12-31T12:00:00Z', '2026-W53'], // 2026 has 53 weeks (1 January 2026 is a Thursday)
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2027-01-03T23:59:59Z', '2026-W53'],
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2020-12-31T00:00:00Z', '2020-W53'],
    ['2021-01-03T00:00:00Z', '2020-W53'],
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2024-12-30T00:00:00Z', '2025-W01'], // December date in the next ISO year
    ['2025-12-29T00:00:00Z', '2026-W01'],
    ['2023-01-01T00:00:00Z', '2022-W52'],
    ['2016-01-03T00:00:00Z', '2015-W53'],
  ])('%s is %s', (iso, week) => {
    expect(isoWeekOf(new Date(iso))).toBe(week);
    expect(isoWeekOf(Date.parse(iso))).toBe(week);
  });

  it('uses UTC, not the local zone', () => {
    // 23:30 UTC on a Sunday is still that week, whatever TZ the process runs in.
    expect(isoWeekOf(Date.parse('2026-11-29T23:30:00Z'))).toBe('2026-W48');
  });

  it('rejects invalid dates', () => {
    expect(() => isoWeekOf(new Date('nope'))).toThrow(RangeError);
    expect(() => isoWeekOf(Number.NaN)).toThrow(RangeError);
  });
});

describe('weeksInYear', () => {
  it.each([
    [2015, 53], [2020, 53], [2021, 52], [2024, 52], [2025, 52], [2026, 53], [2032, 53], [2037, 53],
  ])('%i has %i weeks', (year, n) => expect(weeksInYear(year)).toBe(n));
});

describe('parseWeek', () => {
  it.each([
    ['2026-W48', '2026-W48'],
    ['2026-W01', '2026-W01'],
    ['2026-W53', '2026-W53'],
    ['2020-W53', '2020-W53'],
    ['2021-W53', null], // 2021 has 52 weeks
    ['2026-W54', null],
    ['2026-W00', null],
    ['2026-W1', null],
    ['2026W48', null],
    ['2026-w48', null],
    [' 2026-W48', null],
    ['0999-W01', null],
    ['', null],
  ])('%j → %j', (input, expected) => expect(parseWeek(input)).toBe(expected));
});

describe('weekRange', () => {
  it.each([
    ['2026-W48', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['2026-W01', '2025-12-29T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
    ['2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['2020-W53', '2020-12-28T00:00:00.000Z', '2021-01-04T00:00:00.000Z'],
    ['2021-W01', '2021-01-04T00:00:00.000Z', '2021-01-11T00:00:00.000Z'],
  ])('%s is [%s, %s)', (week, start, end) => {
    const r = weekRange(week);
    expect(r.start.toISOString()).toBe(start);
    expect(r.end.toISOString()).toBe(end);
  });

  it('round-trips with isoWeekOf at both edges for every week of several years', () => {
    for (let year = 2019; year <= 2028; year++) {
      for (let w = 1; w <= weeksInYear(year); w++) {
        const week = `${year}-W${String(w).padStart(2, '0')}`;
        const { start, end } = weekRange(week);
        expect(isoWeekOf(start)).toBe(week);
        expect(isoWeekOf(end.getTime() - 1)).toBe(week);
      }
    }
  });

  it('throws on a bad week', () => expect(() => weekRange('2026-W54')).toThrow(RangeError));
});

describe('previousWeek / nextWeek', () => {
  // A week and its neighbours: [previous, next].
  it.each([
    ['2026-W48', ['2026-W47', '2026-W49']],
    ['2027-W01', ['2026-W53', '2027-W02']],
    ['2026-W53', ['2026-W52', '2027-W01']],
    ['2021-W01', ['2020-W53', '2021-W02']],
    ['2022-W52', ['2022-W51', '2023-W01']],
  ] as const)('around %s', (week, [prev, next]) => {
    expect(previousWeek(week)).toBe(prev);
    expect(nextWeek(week)).toBe(next);
  });
});
