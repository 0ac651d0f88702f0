import { describe, expect, it } from 'vitest';
import { cleanLogLine, MAX_LINE_CHARS, tailCovers } from './tail.ts';

describe('cleanLogLine', () => {
  it.each([
    { name: 'plain text stays', line: 'make: *** [Makefile:12: all] Error 2', expected: 'make: *** [Makefile:12: all] Error 2' },
    { name: 'colours removed', line: '\u001b[31;1merror:\u001b[0m builder failed', expected: 'error: builder failed' },
    { name: 'cursor moves and erase removed', line: '\u001b[2K\u001b[1Gbuilding', expected: 'building' },
    { name: 'an OSC hyperlink keeps its text', line: '\u001b]8;;https://x\u0007link\u001b]8;;\u0007 here', expected: 'link here' },
    { name: 'a progress line shows what it showed last', line: ' 10%\r 55%\r100% done', expected: '100% done' },
    { name: 'a trailing carriage return is not a redraw', line: 'last words\r', expected: 'last words' },
    { name: 'NUL and other controls removed, tabs kept', line: 'a\u0000b\u0007c\td', expected: 'abc\td' },
    { name: 'non-ASCII kept', line: 'Übersetzung fehlgeschlagen ✗', expected: 'Übersetzung fehlgeschlagen ✗' },
    { name: 'an overlong line is cut', line: 'x'.repeat(MAX_LINE_CHARS + 10), expected: `${'x'.repeat(MAX_LINE_CHARS)}…` },
  ])('$name', ({ line, expected }) => {
    expect(cleanLogLine(line)).toBe(expected);
  });
});

describe('tailCovers', () => {
  it.each([
    { name: 'fewer lines wanted than asked of Hydra', t: { lines: Array(200).fill('l'), tail: 200 }, n: 50, expected: true },
    { name: 'exactly as many', t: { lines: Array(200).fill('l'), tail: 200 }, n: 200, expected: true },
    { name: 'more wanted, and the log may hold more', t: { lines: Array(200).fill('l'), tail: 200 }, n: 201, expected: false },
    { name: 'more wanted, but the log was whole', t: { lines: Array(70).fill('l'), tail: 200 }, n: 500, expected: true },
    { name: 'an empty log is whole', t: { lines: [], tail: 200 }, n: 500, expected: true },
  ])('$name', ({ t, n, expected }) => {
    expect(tailCovers(t, n)).toBe(expected);
  });
});
