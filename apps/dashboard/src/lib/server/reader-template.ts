import { createHash, randomBytes } from 'node:crypto';

/**
 * Signed-in pages without a render per reader. A page is rendered once (per data version) for a
 * stand-in reader whose login is a random placeholder, then each signed-in reader gets that HTML
 * with their bits put in: their login (header and hydration data), the maintainer flag, and the
 * claim forms that are theirs. The markup has the same structure for every signed-in reader
 * (ClaimCell renders a claimed row's Release and PR forms for everyone, `hidden` unless they
 * apply), so the splice only edits text and `hidden` attributes, and Svelte hydrates the result as
 * if it had rendered it for that reader.
 */
export interface ReaderTemplate {
  /** Request header that asks the dashboard to render for the stand-in reader. */
  header: string;
  /** Its value: a per-process secret, so no client can ask for it. */
  secret: string;
  /** The stand-in's login: a random handle no real reader has. */
  login: string;
}

export interface Reader {
  login: string;
  maintainer: boolean;
}

/** Paths whose signed-in HTML depends on the reader only through the layout and ClaimCell. */
export function templatable(url: string): boolean {
  const path = url.split('?')[0]!;
  return !path.startsWith('/signin') && !path.endsWith('/__data.json') && !path.startsWith('/_app/') && !/\.[a-z0-9]+$/i.test(path);
}

const replaceAll = (s: string, from: string, to: string) => s.split(from).join(to);

/** The stand-in's page as `reader` sees it. */
export function spliceReader(html: string, template: Pick<ReaderTemplate, 'login'>, reader: Reader): string {
  const login = reader.login;
  const lower = login.toLowerCase();
  let out = replaceAll(html, template.login, login);
  if (reader.maintainer) {
    out = replaceAll(out, `login:"${login}",maintainer:false`, `login:"${login}",maintainer:true`);
    out = out.replace(/(data-release-by="[a-z0-9-]+") hidden=""/g, '$1');
    out = replaceAll(out, 'data-maintainer-pill="" hidden=""', 'data-maintainer-pill=""');
  } else {
    out = replaceAll(out, `data-release-by="${lower}" hidden=""`, `data-release-by="${lower}"`);
  }
  return replaceAll(out, `data-pr-by="${lower}" hidden=""`, `data-pr-by="${lower}"`);
}

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;
const scriptHashes = (html: string) => [...html.matchAll(INLINE_SCRIPT)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);

/** The page's CSP with the hashes of the template's inline scripts replaced by the spliced page's. */
export function spliceCsp(csp: string, templateHtml: string, splicedHtml: string): string {
  const before = scriptHashes(templateHtml);
  const after = scriptHashes(splicedHtml);
  let out = csp;
  before.forEach((h, i) => {
    if (after[i] && after[i] !== h) out = out.replace(h, after[i]!);
  });
  return out;
}

let processTemplate: ReaderTemplate | undefined;

/** This process's stand-in (one per process: servers in it share the dashboard's context). */
export function readerTemplate(): ReaderTemplate {
  processTemplate ??= { header: 'x-zhf-reader-template', secret: randomBytes(24).toString('base64url'), login: `zhf-${randomBytes(8).toString('hex')}` };
  return processTemplate;
}
