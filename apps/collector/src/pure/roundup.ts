// The weekly roundup (SPEC section 7): Markdown for a GitHub issue, split into numbered parts
// when it would exceed GitHub's body limit.

import { weekRange } from './week.ts';

export interface RoundupBreakage {
  id: number;
  job: string;
  system: string;
  kind: 'direct' | 'dependency' | null;
  state: 'open' | 'fixed' | 'gone';
  flaky: boolean;
  openedEvalId: number;
  openedAt: string;
  buildId: number | null;
  range: { from: string; to: string; url: string } | null;
  claim: { by: string; prUrl: string | null } | null;
  /** The claimant credited when the breakage closed. */
  fixedBy?: string | null;
  /** GitHub logins of the package's maintainers (SPEC section 9). */
  maintainers?: string[];
  /** A dependency failure's root (`RoundupRoot.key`) when its cause is resolved; null or absent otherwise. */
  rootKey?: string | null;
}

/**
 * A root (SPEC section 8) behind the week's dependency failures, or one of the week's own
 * failures that blocks others: listed first, its dependents folded into a count.
 */
export interface RoundupRoot {
  /** The root's derivation (or `build:<id>`): what the dependents' `rootKey` names. */
  key: string;
  job: string;
  /** `project/jobset` of the build shown. */
  jobset: string;
  system: string;
  /** The root's breakage, preferably in the roundup's jobset; null when zhf tracks none (another jobset). */
  breakageId: number | null;
  state: 'open' | 'fixed' | 'gone' | null;
  buildId: number | null;
  /** Distinct failing jobs over all tracked jobsets that it blocks now (SPEC `blocks`). */
  blocks: number;
  range: { from: string; to: string; url: string } | null;
  claim: { by: string; prUrl: string | null } | null;
  /** The claimant credited when the root's breakage closed. */
  fixedBy: string | null;
  /** GitHub logins of the root package's maintainers (SPEC section 9). */
  maintainers: string[];
}

export interface RoundupCounts {
  /** Breakages opened this week, in any state. */
  new: number;
  /** Same as fixedOfWeek (the name the API first had). */
  fixed: number;
  /**
   * Of the week's breakages, those fixed by now. Not trends' fixedInWeek, which counts every
   * breakage closed as fixed during the week, whenever it opened.
   */
  fixedOfWeek: number;
  gone: number;
  open: number;
  /** Open breakages somebody has claimed. */
  claimed: number;
}

export interface RoundupSummary {
  jobset: string;
  week: string;
  totals: RoundupCounts;
  bySystem: ({ system: string } & RoundupCounts)[];
  backlogOpen: number;
  parts: number;
}

export interface RoundupInput {
  jobset: string;
  week: string;
  hydraUrl: string;
  dashboardUrl?: string | null;
  breakages: RoundupBreakage[];
  /** Roots listed before the rest, most blocking first; their dependents among `breakages` are folded. */
  roots?: RoundupRoot[];
  backlogOpen: number;
  generatedAt: string;
  /** Maintainers as `@login` (pings them) instead of plain handles: opt-in, SPEC section 9. */
  mentions?: boolean;
}

/** GitHub rejects issue and comment bodies over 65,536 characters. */
export const GITHUB_BODY_LIMIT = 65_536;

/** A login that is safe to write raw after `@` (GitHub's rules: alphanumerics and inner hyphens). */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

const SYSTEM_ORDER = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'];
const KIND_ORDER = { direct: 0, dependency: 1 } as const;

type Line = { text: string; kind: 'text' | 'blank' | 'heading' | 'item'; group: string | null };

/** Each part is shorter than `maxChars`; a single part carries no part header. Throws RangeError on a bad week. */
export function renderRoundup(
  input: RoundupInput,
  opts: { maxChars?: number } = {},
): { summary: RoundupSummary; parts: string[] } {
  const maxChars = opts.maxChars ?? GITHUB_BODY_LIMIT;
  const { start, end } = weekRange(input.week);
  const hydra = input.hydraUrl.replace(/\/+$/, '');

  const bySystemMap = new Map<string, RoundupBreakage[]>();
  for (const b of input.breakages) {
    const list = bySystemMap.get(b.system) ?? [];
    list.push(b);
    bySystemMap.set(b.system, list);
  }
  const systems = [...bySystemMap.keys()].sort(bySystemOrder);
  const bySystem = systems.map((system) => ({ system, ...countsOf(bySystemMap.get(system)!) }));
  const totals = countsOf(input.breakages);

  const lines: Line[] = [];
  const text = (t: string) => lines.push({ text: t, kind: t === '' ? 'blank' : 'text', group: null });
  const lastDay = new Date(end.getTime() - 86_400_000);
  text(`# Zero Hydra Failures: ${md(input.jobset)}, week ${input.week}`);
  text('');
  text(
    `Breakages opened from Monday ${isoDate(start)} to Sunday ${isoDate(lastDay)} (UTC) on ` +
      `${link('Hydra', hydra) ?? md(hydra)}. A box is ticked when Hydra sees the job fixed` +
      (input.dashboardUrl ? `; claim a breakage on the ${link('dashboard', input.dashboardUrl) ?? 'dashboard'} before you start.` : '.'),
  );
  text('');
  if (input.breakages.length === 0) {
    text('No new breakages this week.');
  } else {
    text('| system | new | fixed | gone | still open | claimed |');
    text('|---|--:|--:|--:|--:|--:|');
    for (const row of bySystem) text(tableRow(md(row.system), row));
    text(tableRow('**total**', totals));
  }
  text('');
  text(`Backlog: ${input.backlogOpen} breakages from earlier weeks are still open.`);

  // Roots first; a dependent of a listed root is counted under its system, not repeated, and a
  // listed root of this week is not repeated either. Dependency failures without a known root stay.
  const roots = [...(input.roots ?? [])].sort(byBlocksThenJob);
  const rootKeys = new Set(roots.map((r) => r.key));
  const rootIds = new Set(roots.flatMap((r) => (r.breakageId === null ? [] : [r.breakageId])));
  const folded = (b: RoundupBreakage) => b.kind === 'dependency' && !!b.rootKey && rootKeys.has(b.rootKey);
  if (roots.length) {
    const blocks = roots.reduce((n, r) => n + r.blocks, 0);
    const heading = `### Fix these first: ${plural(roots.length, 'root')} ${roots.length === 1 ? 'blocks' : 'block'} ${blocks ? plural(blocks, 'job') : 'no job now'}`;
    text('');
    lines.push({ text: heading, kind: 'heading', group: heading });
    text('');
    for (const r of roots) lines.push({ text: rootLine(r, input.jobset, hydra, input.mentions ?? false), kind: 'item', group: heading });
  }

  for (const system of systems) {
    const all = bySystemMap.get(system)!;
    const shown = all.filter((b) => !folded(b) && !rootIds.has(b.id)).sort(byKindThenJob);
    const foldedHere = all.filter(folded).length;
    if (!shown.length && !foldedHere) continue;
    const heading = `### ${md(system)}`;
    text('');
    lines.push({ text: heading, kind: 'heading', group: heading });
    text('');
    for (const b of shown) lines.push({ text: itemLine(b, hydra, input.mentions ?? false), kind: 'item', group: heading });
    if (foldedHere) {
      lines.push({ text: `- ${shown.length ? 'and ' : ''}${plural(foldedHere, 'job')} blocked by the roots above`, kind: 'item', group: heading });
    }
  }
  text('');
  text(`_Generated ${md(input.generatedAt)} by zhf._`);

  const whole = lines.map((l) => l.text).join('\n') + '\n';
  const parts = whole.length < maxChars ? [whole] : split(lines, maxChars, `${md(input.jobset)} ${input.week}`);
  return {
    summary: { jobset: input.jobset, week: input.week, totals, bySystem, backlogOpen: input.backlogOpen, parts: parts.length },
    parts,
  };
}

function countsOf(list: RoundupBreakage[]): RoundupCounts {
  const c: RoundupCounts = { new: list.length, fixed: 0, fixedOfWeek: 0, gone: 0, open: 0, claimed: 0 };
  for (const b of list) {
    c[b.state]++;
    if (b.state === 'open' && b.claim) c.claimed++;
  }
  c.fixedOfWeek = c.fixed;
  return c;
}

function tableRow(label: string, c: RoundupCounts): string {
  return `| ${label} | ${c.new} | ${c.fixed} | ${c.gone} | ${c.open} | ${c.claimed} |`;
}

function itemLine(b: RoundupBreakage, hydra: string, mentions: boolean): string {
  return linePieces({ ...b, ticked: b.state !== 'open', extra: b.kind === 'dependency' ? ['dependency failed'] : [] }, hydra, mentions).join(' · ');
}

/** A root: where it fails when that is not the roundup's jobset or not in its name, and how many jobs it blocks. */
function rootLine(r: RoundupRoot, jobset: string, hydra: string, mentions: boolean): string {
  const where = [
    ...(r.jobset !== jobset ? [`in ${md(r.jobset)}`] : []),
    ...(r.job.endsWith(`.${r.system}`) ? [] : [`on ${md(r.system)}`]),
  ];
  return linePieces({
    ...r, flaky: false, ticked: r.state !== null && r.state !== 'open', where: where.join(' '),
    extra: [r.blocks ? `blocks ${plural(r.blocks, 'job')}` : 'blocks no job now'],
  }, hydra, mentions).join(' · ');
}

interface LineFields {
  job: string;
  ticked: boolean;
  flaky: boolean;
  /** Written after the job name, in the same piece. */
  where?: string;
  /** Pieces after the job's. */
  extra: string[];
  state: 'open' | 'fixed' | 'gone' | null;
  buildId: number | null;
  range: { from: string; to: string; url: string } | null;
  claim: { by: string; prUrl: string | null } | null;
  fixedBy?: string | null;
  maintainers?: string[];
}

function linePieces(b: LineFields, hydra: string, mentions: boolean): string[] {
  const pieces = [`${b.ticked ? '- [x]' : '- [ ]'} ${codeSpan(b.job)}${b.where ? ` ${b.where}` : ''}${b.flaky ? ' (flaky)' : ''}`, ...b.extra];
  if (b.buildId !== null) {
    const build = link(`build ${b.buildId}`, `${hydra}/build/${b.buildId}`);
    const log = link('log', `${hydra}/build/${b.buildId}/log`);
    pieces.push(build ? `${build}${log ? ` (${log})` : ''}` : `build ${b.buildId}`);
  }
  if (b.range) {
    const label = `${shortSha(b.range.from)}...${shortSha(b.range.to)}`;
    pieces.push(link(label, b.range.url) ?? label);
  }
  if (b.state === 'gone') pieces.push('gone from the jobset');
  const who = b.state === 'fixed' ? (b.fixedBy ?? b.claim?.by) : b.claim?.by;
  if (who) {
    const pr = b.claim?.prUrl ? prLink(b.claim.prUrl) : null;
    pieces.push(`${b.state === 'fixed' ? 'fixed by' : 'claimed by'} ${handle(who)}${pr ? ` (${pr})` : ''}`);
  }
  const logins = (b.maintainers ?? []).filter((l) => GITHUB_LOGIN.test(l));
  if (logins.length) pieces.push(`maintainers: ${logins.map((l) => (mentions ? `@${l}` : md(l))).join(', ')}`);
  return pieces;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Greedy packing at line boundaries. The part header's width depends on the number of parts, so
 * pack reserving room for k-digit part numbers, k = 1, 2, …, until the count fits in k digits.
 */
function split(lines: Line[], maxChars: number, title: string): string[] {
  for (let digits = 1; ; digits++) {
    const widest = 10 ** digits - 1;
    const reserve = partHeader(widest, widest, title).length - partHeader(1, 1, title).length;
    const packed = pack(lines, maxChars - reserve, title);
    if (packed.length <= widest) {
      return packed.map((body, i) => [partHeader(i + 1, packed.length, title), '', ...body].join('\n') + '\n');
    }
  }
}

function partHeader(i: number, n: number, title: string): string {
  return `**Part ${i} of ${n}** · ${title}`;
}

/** Bodies of parts (without their header), each fitting `limit` with a one-digit part header. */
function pack(lines: Line[], limit: number, title: string): string[][] {
  const headerSize = partHeader(1, 1, title).length + 2; // header line and the blank after it
  const parts: string[][] = [];
  let body: string[] = [];
  let size = headerSize;
  let fresh = true; // nothing but the header (and a repeated group heading) in this part yet
  const startPart = (group: string | null) => {
    body = group ? [`${group} (continued)`, ''] : [];
    size = headerSize + body.reduce((n, l) => n + l.length + 1, 0);
    fresh = true;
  };
  const closePart = () => {
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    parts.push(body);
  };

  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (line.kind === 'blank' && fresh) continue;
    // A heading travels with the blank and the first item after it, so no part ends on a heading.
    const chunk = line.kind === 'heading' ? lines.slice(k, k + 3) : [line];
    const chunkSize = chunk.reduce((n, l) => n + l.text.length + 1, 0);
    // Strictly under the limit: `size` counts a newline after every line.
    if (size + chunkSize >= limit) {
      if (fresh) throw new RangeError(`roundup: a line does not fit in ${limit} characters: ${line.text.slice(0, 80)}`);
      closePart();
      startPart(line.kind === 'item' ? line.group : null);
      if (line.kind === 'blank') continue;
      if (size + chunkSize >= limit) throw new RangeError(`roundup: a line does not fit in ${limit} characters: ${line.text.slice(0, 80)}`);
    }
    for (const l of chunk) body.push(l.text);
    size += chunkSize;
    fresh = false;
    k += chunk.length - 1;
  }
  closePart();
  return parts;
}

function bySystemOrder(a: string, b: string): number {
  const ia = SYSTEM_ORDER.indexOf(a);
  const ib = SYSTEM_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKindThenJob(a: RoundupBreakage, b: RoundupBreakage): number {
  const ka = a.kind === null ? 2 : KIND_ORDER[a.kind];
  const kb = b.kind === null ? 2 : KIND_ORDER[b.kind];
  if (ka !== kb) return ka - kb;
  if (a.job !== b.job) return a.job < b.job ? -1 : 1;
  return a.id - b.id;
}

function byBlocksThenJob(a: RoundupRoot, b: RoundupRoot): number {
  if (a.blocks !== b.blocks) return b.blocks - a.blocks;
  if (a.job !== b.job) return a.job < b.job ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Backslash-escapes inline Markdown and HTML syntax and the `@` that would ping someone, on one line.
 * `_` inside a word and `#` after a non-space cannot start anything in GFM, so `x86_64-linux` stays readable.
 */
function md(s: string): string {
  return oneLine(s)
    .replace(/[\\`*{}[\]()+!|<>~@&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|(?<!\S)#/g, '\\$&');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** A code span that survives backticks in the text (CommonMark: fence longer than any run inside). */
function codeSpan(s: string): string {
  const text = oneLine(s);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A Markdown link, or null when the URL is not http(s); parentheses are encoded so they cannot end it. */
function link(label: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return `[${label}](${parsed.href.replace(/\(/g, '%28').replace(/\)/g, '%29')})`;
}

function shortSha(sha: string): string {
  return /^[0-9a-f]{7,40}$/i.test(sha) ? sha.slice(0, 7) : md(sha.slice(0, 12));
}

/** A GitHub login mentions its owner; anything else is shown escaped, so it cannot ping or inject. */
function handle(login: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(login) ? `@${login}` : md(login);
}

function prLink(url: string): string | null {
  const m = /^https:\/\/github\.com\/([\w.-]+)\/([\w.-]+)\/pull\/(\d+)$/.exec(url);
  return m ? link(md(`${m[1]}/${m[2]}#${m[3]}`), url) : null;
}
