/**
 * Incremental parser for one top-level JSON array of arbitrary size (Hydra's
 * `/eval/:id/builds` is ~100 MB). It finds element boundaries by scanning bytes (UTF-8
 * multibyte sequences never contain the ASCII `"`, `\`, `,`, brackets), then parses each
 * chunk's complete elements with one JSON.parse. Memory stays at one chunk plus one element.
 */
export class TruncatedJsonError extends Error {}

const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

function isSpace(c: number) {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export async function* parseJsonArrayStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown[]> {
  const decoder = new TextDecoder();
  let buf = new Uint8Array(0);
  let pos = 0; // next byte to scan in buf
  let batchStart = 0; // start of the first element not yet parsed
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let ended = false;

  for await (const chunk of chunks) {
    if (ended) {
      for (const c of chunk) if (!isSpace(c)) throw new SyntaxError('unexpected data after the JSON array');
      continue;
    }
    const next = new Uint8Array(buf.length - batchStart + chunk.length);
    next.set(buf.subarray(batchStart), 0);
    next.set(chunk, buf.length - batchStart);
    pos -= batchStart;
    buf = next;
    batchStart = 0;
    let lastBoundary = -1; // index of the last top-level comma or closing bracket seen
    // Most bytes are inside strings (store paths, job names): skip to the string's closing
    // quote with indexOf (native) instead of byte by byte. The next backslash is looked up once
    // and reused until passed, since most buffers hold none.
    let nextBackslash = -2; // -2: not looked up yet; -1: none left in buf

    while (pos < buf.length) {
      if (inString) {
        if (escaped) {
          escaped = false;
          pos++;
          continue;
        }
        const quote = buf.indexOf(QUOTE, pos);
        if (nextBackslash !== -1 && nextBackslash < pos) nextBackslash = buf.indexOf(BACKSLASH, pos);
        const end = quote === -1 ? buf.length : quote;
        if (nextBackslash !== -1 && nextBackslash < end) {
          // Skip the escape and the byte it escapes (which may be in the next chunk).
          pos = nextBackslash + 1;
          escaped = true;
          continue;
        }
        if (quote === -1) {
          pos = buf.length;
          break;
        }
        inString = false;
        pos = quote + 1;
        continue;
      }
      const c = buf[pos]!;
      if (!started) {
        if (!isSpace(c)) {
          if (c !== OPEN_ARR) throw new SyntaxError(`expected a JSON array, got ${JSON.stringify(String.fromCharCode(c))}`);
          started = true;
          depth = 1;
          batchStart = pos + 1;
        }
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
      else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth === 0) {
          lastBoundary = pos;
          ended = true;
          break;
        }
      } else if (c === COMMA && depth === 1) lastBoundary = pos;
      pos++;
    }

    if (lastBoundary > batchStart) {
      const text = decoder.decode(buf.subarray(batchStart, lastBoundary));
      if (text.trim() !== '') {
        yield JSON.parse(`[${text}]`) as unknown[];
      }
      batchStart = lastBoundary + 1;
    }
    if (ended) {
      for (let i = pos + 1; i < buf.length; i++) if (!isSpace(buf[i]!)) throw new SyntaxError('unexpected data after the JSON array');
      buf = new Uint8Array(0);
      pos = 0;
      batchStart = 0;
    }
  }
  if (!ended) throw new TruncatedJsonError(started ? 'JSON array ended early (truncated body)' : 'empty body where a JSON array was expected');
}

/**
 * The bytes of a top-level JSON object outside its one big field: tracks strings, depth and the
 * current depth-1 key, and keeps those bytes (a few hundred) for one JSON.parse at the end. The
 * readers below scan the field's own bytes themselves, each in its own way, and hand back here
 * when the field closes.
 */
class OuterScanner {
  private readonly rest: number[] = [];
  private readonly decoder = new TextDecoder();
  private depth = 0;
  private inString = false;
  private escaped = false;
  private stringStart = -1; // index in `rest` of a string opened at depth 1 (a key or a value)
  private lastString: string | null = null; // the last complete depth-1 string, a key once `:` follows
  private key: string | null = null;
  ended = false;

  /** `opener`: the bracket the field's value starts with (`[` or `{`). */
  constructor(private readonly field: string, private readonly opener: number) {}

  /** Feeds one byte outside the field; true when it opened the field's value. */
  push(c: number): boolean {
    if (this.ended) {
      if (!isSpace(c)) throw new SyntaxError('unexpected data after the JSON object');
      return false;
    }
    this.rest.push(c);
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.stringStart >= 0) {
          this.lastString = JSON.parse(this.decoder.decode(Uint8Array.from(this.rest.slice(this.stringStart)))) as string;
          this.stringStart = -1;
        }
      }
      return false;
    }
    if (isSpace(c)) return false;
    if (this.depth === 0) {
      if (c !== OPEN_OBJ) throw new SyntaxError(`expected a JSON object, got ${JSON.stringify(String.fromCharCode(c))}`);
      this.depth = 1;
      return false;
    }
    if (c === QUOTE) {
      this.inString = true;
      if (this.depth === 1) this.stringStart = this.rest.length - 1;
    } else if (this.depth === 1 && c === 0x3a /* : */) this.key = this.lastString;
    else if (this.depth === 1 && c === COMMA) this.key = null;
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      this.depth++;
      return this.depth === 2 && c === this.opener && this.key === this.field;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      this.depth--;
      if (this.depth === 0) this.ended = true;
    }
    return false;
  }

  /** The field's value closed with `closer`: its contents are left out, the value kept empty. */
  closeField(closer: number): void {
    this.rest.push(closer);
    this.depth = 1;
  }

  /** The object's other keys (the field's value empty); throws when the body ended early. */
  finish(): Record<string, unknown> {
    if (!this.ended) throw new TruncatedJsonError(this.depth === 0 ? 'empty body where a JSON object was expected' : 'JSON object ended early (truncated body)');
    const value = JSON.parse(this.decoder.decode(Uint8Array.from(this.rest))) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('expected a JSON object');
    return value as Record<string, unknown>;
  }
}

/**
 * Streams one top-level JSON object and hands each element of its array-valued key `field` to
 * `onItem` as soon as the element is complete: Hydra's `/evals` page is 20 evals of ~3 MB each
 * (their full build arrays), and a collector that knows the second one needs none of the rest.
 * `onItem` returning true stops reading (the caller's body is cancelled when the chunk iterator
 * is abandoned) and the result is `{ stopped: true, rest: null }`. Otherwise `rest` is the
 * object's other keys, with `field` as an empty array. Elements are parsed one at a time, so
 * memory stays at one element whatever the page's size.
 */
export async function streamArrayField(
  chunks: AsyncIterable<Uint8Array>,
  field: string,
  onItem: (item: unknown) => boolean | void,
): Promise<{ stopped: boolean; rest: Record<string, unknown> | null }> {
  const decoder = new TextDecoder();
  const outer = new OuterScanner(field, OPEN_ARR);
  // Inside the field: depth 2 is between its elements.
  let depth = 2;
  let inString = false;
  let escaped = false;
  let inField = false;
  let pieces: Uint8Array[] = []; // the current element's bytes so far

  const element = (): boolean => {
    const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    pieces = [];
    const text = decoder.decode(bytes);
    if (text.trim() === '') return false;
    return onItem(JSON.parse(text)) === true;
  };

  for await (const chunk of chunks) {
    let segStart = 0; // start in `chunk` of the current element's bytes (when inField)
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (!inField) {
        if (outer.push(c)) {
          inField = true;
          depth = 2;
          segStart = i + 1;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
      else if (c === COMMA && depth === 2) {
        pieces.push(chunk.subarray(segStart, i));
        segStart = i + 1;
        if (element()) return { stopped: true, rest: null };
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth === 1) {
          pieces.push(chunk.subarray(segStart, i));
          if (element()) return { stopped: true, rest: null };
          inField = false;
          outer.closeField(c);
        }
      }
    }
    if (inField) pieces.push(chunk.subarray(segStart));
  }
  return { stopped: false, rest: outer.finish() };
}

/** A member name trie for `streamObjectFieldPicks`: `pick` >= 0 marks a picked value. */
interface PickNode {
  pick: number;
  children: { name: string; bytes: Uint8Array; node: PickNode }[];
}

function pickTrie(picks: string[][]): PickNode {
  const root: PickNode = { pick: -1, children: [] };
  const enc = new TextEncoder();
  picks.forEach((path, i) => {
    let n = root;
    for (const name of path) {
      let c = n.children.find((x) => x.name === name);
      if (!c) n.children.push(c = { name, bytes: enc.encode(name), node: { pick: -1, children: [] } });
      n = c.node;
    }
    n.pick = i;
  });
  return root;
}

/**
 * Streams one top-level JSON object whose key `field` holds a huge object (the channel's
 * packages.json: ~144k packages, hundreds of MB) and hands over each of its entries as its key
 * and the values found at the member paths `picks` inside the entry (`['meta', 'maintainers']`),
 * undefined where absent. Only those values are parsed: the rest of each entry (descriptions,
 * platform lists, licenses, most of the file) is scanned for structure and dropped, so reading
 * allocates little beyond what the caller keeps. Returns the object's other keys, with `field`
 * as `{}`. Memory stays at one chunk plus one entry.
 */
export async function streamObjectFieldPicks(
  chunks: AsyncIterable<Uint8Array>,
  field: string,
  picks: string[][],
  onEntry: (key: string, values: unknown[]) => void,
): Promise<Record<string, unknown>> {
  const root = pickTrie(picks);
  const decoder = new TextDecoder();
  const outer = new OuterScanner(field, OPEN_OBJ);
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let inField = false;
  // Inside the field: depth 2 is the field's object (between its entries), 3 an entry's value.
  let depth = 2;
  // Per depth: whether the container is an object, and the trie node its member names are looked up in.
  const isObj: boolean[] = [];
  const nodes: (PickNode | null)[] = [];
  let expectKey = true;
  let inString = false;
  let escaped = false;
  let strStart = 0;
  let strEscapes = false;
  let member = null as PickNode | null; // trie node of the member whose name was just read
  let valuePending = false; // after a `:`, until the value's first byte
  let capture = -1; // index of the pick being captured
  let captureStart = 0;
  let captureDepth = 0;
  let entryKey: string | null = null;
  let values: unknown[] = new Array<unknown>(picks.length).fill(undefined);

  const text = (from: number, to: number) => decoder.decode(buf.subarray(from, to));
  const endCapture = (end: number) => {
    values[capture] = JSON.parse(text(captureStart, end));
    capture = -1;
  };
  const endEntry = () => {
    if (entryKey === null) return;
    onEntry(entryKey, values);
    entryKey = null;
    values = new Array<unknown>(picks.length).fill(undefined);
  };
  const readKey = () => {
    // The string is buf[strStart..pos] with its quotes.
    if (depth === 2) {
      entryKey = strEscapes ? (JSON.parse(text(strStart, pos + 1)) as string) : text(strStart + 1, pos);
      member = root;
      return;
    }
    const node = nodes[depth];
    member = null;
    if (!node || node.children.length === 0) return;
    if (strEscapes) {
      const name = JSON.parse(text(strStart, pos + 1)) as string;
      member = node.children.find((c) => c.name === name)?.node ?? null;
      return;
    }
    const len = pos - strStart - 1;
    for (const c of node.children) {
      if (c.bytes.length !== len) continue;
      let same = true;
      for (let k = 0; k < len && same; k++) same = buf[strStart + 1 + k] === c.bytes[k];
      if (same) {
        member = c.node;
        return;
      }
    }
  };

  for await (const chunk of chunks) {
    if (inField) {
      // Keep what is still needed: an open string (a name being read) or a value being captured.
      let keep = pos;
      if (inString && expectKey) keep = Math.min(keep, strStart);
      if (capture >= 0) keep = Math.min(keep, captureStart);
      if (keep >= buf.length) buf = chunk;
      else {
        const next = new Uint8Array(buf.length - keep + chunk.length);
        next.set(buf.subarray(keep), 0);
        next.set(chunk, buf.length - keep);
        buf = next;
      }
      pos -= keep;
      strStart -= keep;
      captureStart -= keep;
    } else {
      buf = chunk;
      pos = 0;
    }
    let nextBackslash = -2;
    while (pos < buf.length) {
      if (!inField) {
        if (outer.push(buf[pos++]!)) {
          inField = true;
          depth = 2;
          isObj[2] = true;
          nodes[2] = null;
          expectKey = true;
          valuePending = false;
        }
        continue;
      }
      if (inString) {
        if (escaped) {
          escaped = false;
          pos++;
          continue;
        }
        const quote = buf.indexOf(QUOTE, pos);
        if (nextBackslash !== -1 && nextBackslash < pos) nextBackslash = buf.indexOf(BACKSLASH, pos);
        const end = quote === -1 ? buf.length : quote;
        if (nextBackslash !== -1 && nextBackslash < end) {
          pos = nextBackslash + 1;
          escaped = true;
          strEscapes = true;
          continue;
        }
        if (quote === -1) {
          pos = buf.length;
          break;
        }
        inString = false;
        pos = quote;
        if (expectKey) {
          readKey();
          expectKey = false;
        }
        pos++;
        continue;
      }
      const c = buf[pos]!;
      if (isSpace(c)) {
        pos++;
        continue;
      }
      if (valuePending) {
        valuePending = false;
        if (member !== null && member.pick >= 0 && capture < 0) {
          capture = member.pick;
          captureStart = pos;
          captureDepth = depth;
        }
      }
      if (c === QUOTE) {
        inString = true;
        strStart = pos;
        strEscapes = false;
      } else if (c === 0x3a /* : */) {
        if (!isObj[depth]) throw new SyntaxError('unexpected ":" in a JSON array');
        valuePending = true;
      } else if (c === COMMA) {
        if (capture >= 0 && depth === captureDepth) endCapture(pos);
        if (depth === 2) endEntry();
        expectKey = isObj[depth]!;
        member = null;
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        depth++;
        isObj[depth] = c === OPEN_OBJ;
        nodes[depth] = c === OPEN_OBJ && member !== null && member.children.length > 0 ? member : null;
        expectKey = c === OPEN_OBJ;
        member = null;
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        if (isObj[depth] !== (c === CLOSE_OBJ)) throw new SyntaxError(`unexpected ${JSON.stringify(String.fromCharCode(c))} in JSON`);
        if (capture >= 0 && depth === captureDepth) endCapture(pos);
        if (depth === 2) {
          endEntry();
          inField = false;
          outer.closeField(CLOSE_OBJ);
        }
        depth--;
        expectKey = false;
        member = null;
      }
      pos++;
    }
  }
  return outer.finish();
}
