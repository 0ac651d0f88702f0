import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BuildPageShapeError, parseFailedSteps, parseStepDerivation, tailLines, type FailedStep } from './build-page.ts';
import { OLD_PAGE_GLIBC_OUTPUTS } from '../../../../test/support/hydra-build-page.ts';

// Fixtures reproduce what Hydra's templates render (build.tt, common.tt, build-step.tt), old and new.
const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/hydra-build-page/${name}`, import.meta.url), 'utf8');

const H = 'https://hydra.nixos.org';

/** The table Hydra renders under the heading, rows given as raw `<tr>` markup. */
function failedTable(rows: string[], header = '<tr><th>Nr</th><th>Step</th><th>Duration</th><th>Machine</th><th>Status</th></tr>'): string {
  return `<h3>Failed build steps</h3>\n  <table class="table table-striped table-condensed clickable-rows">\n    <thead>\n      ${header}\n    </thead>\n    <tbody>\n${rows.join('\n')}\n    </tbody>\n  </table>`;
}

function row(nr: string, step: string, status: string, duration = '0s', machine = '<em>n/a</em>'): string {
  return `<tr>\n<td>${nr}</td>\n<td>\n${step}\n</td>\n<td>${duration}</td>\n<td>${machine}</td>\n<td class="step-status">\n${status}\n</td>\n</tr>`;
}

const step = (over: Partial<FailedStep> & { nr: number }): FailedStep => ({ outputs: [], status: 'Failed', propagatedFrom: null, logUrl: null, ...over });

interface Case {
  name: string;
  /** What breaks in the collector if this case regresses. */
  protects: string;
  html: string;
  expected: FailedStep[];
}

const cases: Case[] = [
  {
    name: 'new Hydra (Step, step/N/log): cached failure, failure with message, timed out, resolved step',
    protects: 'root causes on current Hydra: the propagated build after a log link, message-free status, no outputs for a Resolution row',
    html: fixture('new-dependency-failed.html'),
    expected: [
      step({
        nr: 1,
        outputs: ['/nix/store/9d1jcx5p6bq3fl4vgc2w8yq6kzm0iarn-openssl-3.5.1-bin', '/nix/store/x2n0rg8h4vzjw1fkq7mbd5c3lya69pis-openssl-3.5.1-dev'],
        status: 'Cached failure',
        propagatedFrom: 299999001,
        logUrl: `${H}/build/300000123/step/1/log`,
      }),
      step({ nr: 3, outputs: ['/nix/store/k5m0cp2q9r7s3t8v1w4x6y0z2a3b4c5d-libfoo-1.0-rc1'], status: 'Failed', logUrl: `${H}/build/300000123/step/3/log` }),
      step({ nr: 4, outputs: ['/nix/store/m1n2b3v4c5x6z7l8k9j0h1g2f3d4s5a6-bigdata-2.0'], status: 'Timed out', propagatedFrom: 299000555 }),
      // "resolved to build 300000200" is not a cause: only a link after "propagated from" is.
      step({ nr: 5, outputs: [], status: 'Resolved' }),
    ],
  },
  {
    name: 'old Hydra (What, nixlog/N): a Running build steps table before, the Build Steps tab after',
    protects: 'taking the table right after the heading, not the first or last step table; nixlog links; three outputs; no link on a cached failure',
    html: fixture('old-dependency-failed.html'),
    expected: [
      step({
        nr: 2,
        outputs: OLD_PAGE_GLIBC_OUTPUTS,
        status: 'Failed',
        propagatedFrom: 240999100,
        logUrl: `${H}/build/241000777/nixlog/2`,
      }),
      step({ nr: 6, outputs: ['/nix/store/e4r5t6y7u8i9o0p1a2s3d4f5g6h7j8k9-foo-test-driver'], status: 'Cached failure' }),
      step({ nr: 7, outputs: ['/nix/store/f5t6y7u8i9o0p1a2s3d4f5g6h7j8k9l0-chatty-1.2'], status: 'Log limit exceeded', logUrl: `${H}/build/241000777/nixlog/7` }),
      step({ nr: 8, outputs: ['/nix/store/g6y7u8i9o0p1a2s3d4f5g6h7j8k9l0z1-flaky-3'], status: 'Aborted' }),
    ],
  },
  {
    name: 'Hydra of 2015: the message inside the error span, no step-status class, tail-reload link',
    protects: 'status text without the builder message on old pages; the log link chosen over raw/tail',
    html: fixture('old-2015-direct-failure.html'),
    expected: [step({ nr: 1, outputs: ['/nix/store/0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m-hello-2.10'], status: 'Failed', logUrl: 'http://hydra.nixos.org/build/22000111/nixlog/1' })],
  },
  {
    name: 'columns found by header text, not position',
    protects: 'a reordered or extended table still reads Nr, Step and Status from the right cells',
    html: failedTable(
      [`<tr><td class="step-status"><span class="error">Failed</span></td><td>x</td><td>Build of <tt>/nix/store/aaa-x</tt></td><td>12</td></tr>`],
      '<tr><th>Status</th><th>Machine</th><th>Step</th><th> Nr </th></tr>',
    ),
    expected: [step({ nr: 12, outputs: ['/nix/store/aaa-x'], status: 'Failed' })],
  },
  {
    name: 'the propagated link is the `build N` one, after the log links',
    protects: 'the cause is not taken from the first link in the cell (the current build’s log)',
    html: failedTable([
      row(
        '<a class="row-link" href="https://h/build/7/step/2">2</a>',
        'Build of <tt>/nix/store/bbb-y</tt>',
        '<span class="error">Failed</span> (<a href="https://h/build/7/step/2/log">log</a>, <a href="https://h/build/7/step/2/log/raw">raw</a>, <a href="https://h/build/7/step/2/log/tail">tail</a>)\n(propagated from\n<a href="https://h/build/5">build   5</a>\n)',
      ),
    ]),
    expected: [step({ nr: 2, outputs: ['/nix/store/bbb-y'], propagatedFrom: 5, logUrl: 'https://h/build/7/step/2/log' })],
  },
  {
    name: 'entities and odd whitespace everywhere',
    protects: 'decoded store paths and hrefs; &nbsp; durations do not confuse the row',
    html: failedTable([
      `<tr\n><td\n>\n 3 \n</td\n><td>Build of <tt>\n\t/nix/store/ccc-a&#43;b\r\n,<BR>/nix/store/ddd-&#x7a;</tt></td><td>1m&nbsp;2s</td><td>m</td><td class="step-status">\r\n<span class="error">Cached&nbsp;failure</span>\r\n(<a class="row-link" href='https://h/build/9/nixlog/3?x=1&amp;y=2'>log</a>)</td></tr>`,
    ]),
    expected: [step({ nr: 3, outputs: ['/nix/store/ccc-a+b', '/nix/store/ddd-z'], status: 'Cached failure', logUrl: 'https://h/build/9/nixlog/3?x=1&y=2' })],
  },
  {
    name: 'a "More..." row without a step number is skipped',
    protects: 'no NaN step numbers',
    html: failedTable([row('4', 'Build of <tt>/nix/store/eee-z</tt>', '<span class="error">Failed</span>'), '<tr><td class="centered" colspan="5"><a href="https://h/x"><em>More...</em></a></td></tr>']),
    expected: [step({ nr: 4, outputs: ['/nix/store/eee-z'] })],
  },
  {
    name: 'a heading inside a script or comment is not the heading',
    protects: 'lazy-tab scripts and comments cannot fake a table',
    html: `<script>var s = "<h3>Failed build steps</h3><table><tr><th>Nr</th></tr></table>";</script><!-- <h3>Failed build steps</h3> --><p>ok</p>`,
    expected: [],
  },
  { name: 'no heading (a succeeded build)', protects: 'builds without failed steps give no rows', html: '<html><body><h3>Build products</h3><table class="table"></table></body></html>', expected: [] },
  { name: 'not a build page (an eval page)', protects: 'a wrong page gives no rows', html: fixture('new-step-page.html').replace(/Derivation/g, 'Eval'), expected: [] },
  { name: 'empty input', protects: 'an empty body gives no rows', html: '', expected: [] },
  { name: 'garbage input', protects: 'a non-HTML body gives no rows', html: '{"error":"not found"} <<<>>> &&&;', expected: [] },
];

describe('parseFailedSteps', () => {
  it.each(cases)('$name (protects: $protects)', ({ html, expected }) => {
    expect(parseFailedSteps(html)).toEqual(expected);
  });

  // A changed template must be noticed, not read as "no failed steps".
  it.each([
    { name: 'no table before the next heading', html: '<h3>Failed build steps</h3><p>none</p><h3>Changes</h3><table><tr><th>Nr</th></tr></table>' },
    { name: 'a table without the Status column', html: failedTable([row('1', 'x', 'y')], '<tr><th>Nr</th><th>Step</th><th>State</th></tr>') },
    { name: 'a table without a header row', html: '<h3>Failed build steps</h3><table><tr><td>1</td></tr></table>' },
    { name: 'a truncated table', html: fixture('new-dependency-failed.html').slice(0, fixture('new-dependency-failed.html').indexOf('<tt>', fixture('new-dependency-failed.html').indexOf('Failed build steps'))) },
  ])('throws BuildPageShapeError on $name', ({ html }) => {
    expect(() => parseFailedSteps(html)).toThrow(BuildPageShapeError);
  });
});

describe('parseStepDerivation', () => {
  it.each([
    { name: 'the step page of new Hydra', html: fixture('new-step-page.html'), expected: '/nix/store/4k5l6z7x8c9v0b1n2m3q4w5e6r7t8y9u-openssl-3.5.1.drv' },
    // The build page's "Derivation store path:" is the build's drv, not the step's.
    { name: 'a build page', html: fixture('new-dependency-failed.html'), expected: null },
    { name: 'a Derivation row without a .drv', html: '<table><tr><th>Derivation:</th><td><em>n/a</em></td></tr></table>', expected: null },
    { name: 'entities and whitespace', html: '<tr>\n<th >\n Derivation:\n</th>\n<td>\n<tt>\n/nix/store/abc-a&#43;b.drv\n</tt></td>', expected: '/nix/store/abc-a+b.drv' },
    { name: 'empty input', html: '', expected: null },
  ])('$name', ({ html, expected }) => {
    expect(parseStepDerivation(html)).toBe(expected);
  });
});

describe('tailLines', () => {
  it.each([
    { name: 'the last n lines', text: 'a\nb\nc\nd\n', n: 2, expected: ['c', 'd'] },
    { name: 'fewer lines than n', text: 'a\nb', n: 5, expected: ['a', 'b'] },
    { name: 'CRLF line ends', text: 'a\r\nb\r\nc\r\n', n: 2, expected: ['b', 'c'] },
    { name: 'trailing empty lines dropped, inner ones kept', text: 'a\n\nb\n\n\r\n', n: 3, expected: ['a', '', 'b'] },
    { name: 'a leading empty line is a line', text: '\nx', n: 5, expected: ['', 'x'] },
    { name: 'no final newline', text: 'only', n: 1, expected: ['only'] },
    { name: 'empty text', text: '', n: 3, expected: [] },
    { name: 'only newlines', text: '\n\r\n\n', n: 3, expected: [] },
    { name: 'n = 0', text: 'a\nb', n: 0, expected: [] },
    { name: 'n not a number', text: 'a\nb', n: Number.NaN, expected: [] },
    { name: 'fractional n rounds down', text: 'a\nb\nc', n: 2.9, expected: ['b', 'c'] },
  ])('$name', ({ text, n, expected }) => {
    expect(tailLines(text, n)).toEqual(expected);
  });
});
