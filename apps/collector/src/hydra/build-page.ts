/**
 * Pure readers of Hydra's HTML build page ("Failed build steps"), its step page and build
 * log text. Hydra has no JSON for build steps, so this scans the markup its templates
 * (build.tt, build-common.tt / common.tt) render; see HYDRA-API.md. No I/O, no dependencies.
 */

/** One row of the table under `<h3>Failed build steps</h3>`. */
export interface FailedStep {
  nr: number;
  /** The step's output store paths (the Step/What cell's `<tt>`), not its `.drv`. */
  outputs: string[];
  /** The status text as Hydra shows it, without an error message: "Failed", "Cached failure", … */
  status: string;
  /** P of "(propagated from build P)": the build where the failing dependency was built. */
  propagatedFrom: number | null;
  /** The step log's href as Hydra wrote it: `…/build/{id}/step/{nr}/log` or, older, `…/build/{id}/nixlog/{nr}`. */
  logUrl: string | null;
}

/** The page has the Failed build steps heading but not the table Hydra renders under it. */
export class BuildPageShapeError extends Error {}

// Comments and scripts can hold text that looks like markup (lazy tabs embed URLs in scripts).
function stripNonContent(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s: string): string {
  return s.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The visible text of an HTML fragment, whitespace collapsed (`&nbsp;` included). */
function textOf(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function hrefOf(attrs: string): string | null {
  const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attrs);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : null;
}

interface Link {
  href: string | null;
  text: string;
}

function linksOf(fragment: string): Link[] {
  const out: Link[] = [];
  for (const m of fragment.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) out.push({ href: hrefOf(m[1]!), text: textOf(m[2]!) });
  return out;
}

/**
 * Splits `html` at the opening tags matched by `open`; each piece runs to its closing tag
 * `close`, or to the next opening tag when the closing one is left out (HTML allows that
 * for rows and cells).
 */
function pieces(html: string, open: RegExp, close: RegExp): string[] {
  const starts: { at: number; end: number }[] = [];
  for (const m of html.matchAll(open)) starts.push({ at: m.index, end: m.index + m[0].length });
  return starts.map((s, i) => {
    const limit = i + 1 < starts.length ? starts[i + 1]!.at : html.length;
    const body = html.slice(s.end, limit);
    const c = close.exec(body);
    return c ? body.slice(0, c.index) : body;
  });
}

interface Row {
  header: boolean;
  cells: string[];
}

function rowsOf(table: string): Row[] {
  return pieces(table, /<tr\b[^>]*>/gi, /<\/tr\s*>/i).map((row) => ({
    header: /<th\b/i.test(row) && !/<td\b/i.test(row),
    cells: pieces(row, /<t[dh]\b[^>]*>/gi, /<\/t[dh]\s*>/i),
  }));
}

/**
 * The inner HTML of the first table after the heading (wrapping divs allowed), or null when
 * another heading or the end of the section comes first.
 */
function tableAfter(html: string, from: number): string | null {
  const next = /<(\/?)(table|h[1-6]|div)\b[^>]*>/gi;
  next.lastIndex = from;
  let first = next.exec(html);
  while (first && !first[1] && first[2]!.toLowerCase() === 'div') first = next.exec(html);
  if (!first || first[1] || first[2]!.toLowerCase() !== 'table') return null;
  const bodyStart = first.index + first[0].length;
  const tags = /<(\/?)table\b[^>]*>/gi;
  tags.lastIndex = bodyStart;
  let depth = 1;
  for (let m = tags.exec(html); m; m = tags.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return html.slice(bodyStart, m.index);
  }
  throw new BuildPageShapeError('the Failed build steps table is not closed (truncated page?)');
}

// Column names by header text; older Hydra calls the Step column "What".
const COLUMNS = { nr: ['nr'], step: ['step', 'what'], status: ['status'] } as const;

function columnIndexes(headers: string[]): Record<keyof typeof COLUMNS, number> {
  const names = headers.map((h) => textOf(h).toLowerCase());
  const find = (key: keyof typeof COLUMNS) => names.findIndex((n) => (COLUMNS[key] as readonly string[]).includes(n));
  const idx = { nr: find('nr'), step: find('step'), status: find('status') };
  if (idx.nr < 0 || idx.step < 0 || idx.status < 0) {
    throw new BuildPageShapeError(`the Failed build steps table has columns [${names.join(', ')}]; expected Nr, Step (or What), Status`);
  }
  return idx;
}

function outputsOf(cell: string): string[] {
  // A Resolved step's `<tt>` holds the drv it was resolved from, not outputs.
  if (/^\s*Resolution of\b/i.test(textOf(cell))) return [];
  const tt = /<tt\b[^>]*>([\s\S]*?)<\/tt\s*>/i.exec(cell);
  if (!tt) return [];
  return tt[1]!.split(/<br\s*\/?>|,/i).map(textOf).filter((p) => p !== '');
}

function statusOf(cell: string): string {
  // The text is the cell's leading element (`<span class="error">Failed</span>`) or, for
  // plain text ("Succeeded"), what comes before the first link or parenthesis.
  const lead = /^\s*<(span|strong|em)\b[^>]*>([\s\S]*?)<\/\1\s*>/i.exec(cell);
  const raw = lead ? textOf(lead[2]!) : textOf(cell.split(/<a\b|\(/i)[0]!);
  // Older Hydra puts the error message inside the span: "Failed: <message>".
  const colon = raw.indexOf(':');
  return (colon < 0 ? raw : raw.slice(0, colon)).trim();
}

function propagatedFromOf(cell: string): number | null {
  // Only a `build N` link after "propagated from": a Resolved step's "resolved to build N"
  // is not a cause, and the log links come first.
  const at = cell.search(/propagated\s+from/i);
  if (at < 0) return null;
  for (const link of linksOf(cell.slice(at))) {
    const m = /^build (\d+)$/.exec(link.text);
    if (m) return Number(m[1]);
  }
  return null;
}

const STEP_LOG_HREF = /\/build\/\d+\/(?:step\/\d+\/log|nixlog\/\d+)\/?(?:[?#].*)?$/;

function logUrlOf(cell: string): string | null {
  const links = linksOf(cell);
  // The pretty log (not /raw or /tail); by the link's text if Hydra's URL scheme changes.
  return links.find((l) => l.href !== null && STEP_LOG_HREF.test(l.href))?.href ?? links.find((l) => l.text === 'log')?.href ?? null;
}

/**
 * The rows of the table right after `<h3>Failed build steps</h3>`; [] when the page has no
 * such heading (no failed steps, or not a build page). Throws BuildPageShapeError when the
 * heading is there but the table is not what Hydra renders, so a markup change is noticed.
 */
export function parseFailedSteps(html: string): FailedStep[] {
  const page = stripNonContent(html);
  const heading = /<h3\b[^>]*>\s*Failed\s+build\s+steps\s*<\/h3\s*>/i.exec(page);
  if (!heading) return [];
  const table = tableAfter(page, heading.index + heading[0].length);
  if (table === null) throw new BuildPageShapeError('no table right after the Failed build steps heading');
  const rows = rowsOf(table);
  const header = rows.find((r) => r.header);
  if (!header) throw new BuildPageShapeError('the Failed build steps table has no header row');
  const col = columnIndexes(header.cells);
  const steps: FailedStep[] = [];
  for (const row of rows) {
    if (row.header) continue;
    const nrText = textOf(row.cells[col.nr] ?? '');
    // Rows without a step number (a colspan "More..." row) are not steps.
    if (!/^\d+$/.test(nrText)) continue;
    const status = row.cells[col.status] ?? '';
    steps.push({
      nr: Number(nrText),
      outputs: outputsOf(row.cells[col.step] ?? ''),
      status: statusOf(status),
      propagatedFrom: propagatedFromOf(status),
      logUrl: logUrlOf(status),
    });
  }
  return steps;
}

/**
 * Whether `html` is Hydra's build page of build `id` (its info table's `Build ID:` row), not the
 * filter's generated text, which also arrives as 200 text/html.
 */
export function isHydraBuildPage(html: string, id: number): boolean {
  const page = stripNonContent(html);
  const row = /<th\b[^>]*>\s*Build\s+ID:\s*<\/th\s*>\s*<td\b[^>]*>\s*(\d+)\s*<\/td\s*>/i.exec(page);
  if (row) return Number(row[1]) === id;
  // Older Hydra has no Build ID row; its title says "Build N of job …".
  const title = /<title\b[^>]*>[^<]*\bBuild\s+(\d+)\s+of\s+job\b/i.exec(page);
  return title !== null && Number(title[1]) === id;
}

/** The `.drv` path in the `Derivation:` row of the step page `/build/{id}/step/{nr}` (newer Hydra); null if absent. */
export function parseStepDerivation(html: string): string | null {
  const m = /<th\b[^>]*>\s*Derivation:\s*<\/th\s*>\s*<td\b[^>]*>([\s\S]*?)<\/td\s*>/i.exec(stripNonContent(html));
  if (!m) return null;
  const path = textOf(m[1]!);
  return /^\/\S+\.drv$/.test(path) ? path : null;
}

/**
 * The last `n` lines of a log, without the line breaks (`\n` or `\r\n`) and without trailing
 * empty lines. Scans from the end, so a long log is not split whole.
 */
export function tailLines(text: string, n: number): string[] {
  const count = Math.floor(n); // NaN or below 1: the loop below adds nothing
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  if (end === 0) return [];
  const out: string[] = [];
  while (out.length < count) {
    const nl = end === 0 ? -1 : text.lastIndexOf('\n', end - 1);
    const line = text.slice(nl + 1, end);
    out.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (nl < 0) break;
    end = nl;
  }
  return out.reverse();
}
