// A safe renderer for the subset of Markdown the roundup uses (SPEC section 7): headings,
// paragraphs, tables, task and bullet lists, and inline code, links, bold and italics.
// It returns a tree that components render as text nodes; nothing becomes raw HTML, and
// links are kept only when they are http(s).

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'link'; href: string; children: Inline[] }
  | { t: 'strong'; children: Inline[] }
  | { t: 'em'; children: Inline[] };

export type Block =
  | { t: 'heading'; level: number; children: Inline[] }
  | { t: 'p'; children: Inline[] }
  | { t: 'table'; head: Inline[][]; rows: Inline[][][] }
  | { t: 'list'; items: { checked: boolean | null; children: Inline[] }[] }
  | { t: 'break' };

function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Index of the `]` closing a link label that opens at `i` (`[`), skipping escapes and code. */
function closeBracket(s: string, i: number): number {
  let depth = 0;
  for (let k = i; k < s.length; k++) {
    const c = s[k];
    if (c === '\\') k++;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return k;
  }
  return -1;
}

export function inline(s: string): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && /[!-/:-@[-`{-~]/.test(s[i + 1]!)) {
      buf += s[++i];
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(s.slice(i))![0];
      const end = s.indexOf(run, i + run.length);
      if (end > 0) {
        flush();
        let code = s.slice(i + run.length, end);
        if (code.startsWith(' ') && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
        out.push({ t: 'code', v: code });
        i = end + run.length - 1;
        continue;
      }
      buf += run;
      i += run.length - 1;
      continue;
    }
    if (c === '[') {
      const close = closeBracket(s, i);
      if (close > 0 && s[close + 1] === '(') {
        const end = s.indexOf(')', close + 2);
        if (end > 0) {
          const href = safeHref(s.slice(close + 2, end).trim());
          flush();
          const children = inline(s.slice(i + 1, close));
          if (href) out.push({ t: 'link', href, children });
          else out.push(...children);
          i = end;
          continue;
        }
      }
    }
    if (c === '*' && s[i + 1] === '*') {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2) {
        flush();
        out.push({ t: 'strong', children: inline(s.slice(i + 2, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === '_' && (i === 0 || !/[A-Za-z0-9]/.test(s[i - 1]!))) {
      const m = /_(?![A-Za-z0-9])/g;
      m.lastIndex = i + 1;
      const hit = m.exec(s);
      if (hit && hit.index > i + 1) {
        flush();
        out.push({ t: 'em', children: inline(s.slice(i + 1, hit.index)) });
        i = hit.index;
        continue;
      }
    }
    buf += c;
  }
  flush();
  return out;
}

function cells(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (body[i] === '|') {
      parts.push(cur.trim());
      cur = '';
    } else cur += body[i];
  }
  parts.push(cur.trim());
  return parts;
}

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) blocks.push({ t: 'p', children: inline(para.join(' ')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*<!--.*-->\s*$/.test(line)) {
      endPara();
      if (/part break/.test(line)) blocks.push({ t: 'break' });
      continue;
    }
    if (line.trim() === '') {
      endPara();
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      endPara();
      blocks.push({ t: 'heading', level: h[1]!.length, children: inline(h[2]!) });
      continue;
    }
    if (line.trim().startsWith('|') && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1] ?? '')) {
      endPara();
      const head = cells(line).map(inline);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trim().startsWith('|')) rows.push(cells(lines[i++]!).map(inline));
      i--;
      blocks.push({ t: 'table', head, rows });
      continue;
    }
    const li = /^\s*[-*]\s+(?:\[([ xX])\]\s+)?(.*)$/.exec(line);
    if (li) {
      endPara();
      const item = { checked: li[1] === undefined ? null : li[1] !== ' ', children: inline(li[2]!) };
      const last = blocks.at(-1);
      if (last?.t === 'list') last.items.push(item);
      else blocks.push({ t: 'list', items: [item] });
      continue;
    }
    para.push(line.trim());
  }
  endPara();
  return blocks;
}
