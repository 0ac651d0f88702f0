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
  // Everything outside the field's elements (keys, small values): a few hundred bytes.
  const rest: number[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let ended = false;
  let inField = false;
  let stringStart = -1; // index in `rest` of a string opened at depth 1 (a key or a value)
  let lastString: string | null = null; // the last complete depth-1 string, a key once `:` follows
  let key: string | null = null;
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
      if (ended) {
        if (!isSpace(c)) throw new SyntaxError('unexpected data after the JSON object');
        continue;
      }
      if (inField) {
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
            rest.push(c);
          }
        }
        continue;
      }
      rest.push(c);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (stringStart >= 0) {
            lastString = JSON.parse(decoder.decode(Uint8Array.from(rest.slice(stringStart)))) as string;
            stringStart = -1;
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (depth === 0) {
        if (c !== OPEN_OBJ) throw new SyntaxError(`expected a JSON object, got ${JSON.stringify(String.fromCharCode(c))}`);
        depth = 1;
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1) stringStart = rest.length - 1;
      } else if (depth === 1 && c === 0x3a /* : */) key = lastString;
      else if (depth === 1 && c === COMMA) key = null;
      else if (c === OPEN_OBJ || c === OPEN_ARR) {
        depth++;
        if (depth === 2 && c === OPEN_ARR && key === field) {
          inField = true;
          segStart = i + 1;
        }
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth === 0) ended = true;
      }
    }
    if (inField) pieces.push(chunk.subarray(segStart));
  }
  if (!ended) throw new TruncatedJsonError(depth === 0 ? 'empty body where a JSON object was expected' : 'JSON object ended early (truncated body)');
  const value = JSON.parse(decoder.decode(Uint8Array.from(rest))) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('expected a JSON object');
  return { stopped: false, rest: value as Record<string, unknown> };
}

/**
 * Streams one top-level JSON object whose key `field` holds a huge object (the channel's
 * packages.json: ~144k packages, hundreds of MB), handing its entries to `onEntries` a batch at a
 * time (one JSON.parse per chunk, as parseJsonArrayStream does). Returns the object's other keys,
 * with `field` as `{}`. Memory stays at one chunk plus one entry.
 */
export async function streamObjectField(
  chunks: AsyncIterable<Uint8Array>,
  field: string,
  onEntries: (entries: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  const rest: number[] = []; // everything outside the field's entries: a few bytes
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let batchStart = 0; // inside the field: first byte of the first entry not yet parsed
  let depth = 0;
  let inString = false;
  let escaped = false;
  let ended = false;
  let inField = false;
  let stringStart = -1;
  let lastString: string | null = null;
  let key: string | null = null;

  const flush = (end: number) => {
    if (end <= batchStart) return;
    const text = decoder.decode(buf.subarray(batchStart, end));
    batchStart = end + 1;
    if (text.trim() === '') return;
    onEntries(JSON.parse(`{${text}}`) as Record<string, unknown>);
  };

  for await (const chunk of chunks) {
    if (inField) {
      const next = new Uint8Array(buf.length - batchStart + chunk.length);
      next.set(buf.subarray(batchStart), 0);
      next.set(chunk, buf.length - batchStart);
      pos -= batchStart;
      buf = next;
      batchStart = 0;
    } else {
      buf = chunk;
      pos = 0;
    }
    let lastBoundary = -1;
    let nextBackslash = -2;
    while (pos < buf.length) {
      if (inField) {
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
        if (c === QUOTE) inString = true;
        else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
        else if (c === COMMA && depth === 2) lastBoundary = pos;
        else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
          depth--;
          if (depth === 1) {
            flush(pos);
            lastBoundary = -1;
            inField = false;
            rest.push(CLOSE_OBJ);
          }
        }
        pos++;
        continue;
      }
      const c = buf[pos++]!;
      if (ended) {
        if (!isSpace(c)) throw new SyntaxError('unexpected data after the JSON object');
        continue;
      }
      rest.push(c);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (stringStart >= 0) {
            lastString = JSON.parse(decoder.decode(Uint8Array.from(rest.slice(stringStart)))) as string;
            stringStart = -1;
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (depth === 0) {
        if (c !== OPEN_OBJ) throw new SyntaxError(`expected a JSON object, got ${JSON.stringify(String.fromCharCode(c))}`);
        depth = 1;
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1) stringStart = rest.length - 1;
      } else if (depth === 1 && c === 0x3a /* : */) key = lastString;
      else if (depth === 1 && c === COMMA) key = null;
      else if (c === OPEN_OBJ || c === OPEN_ARR) {
        depth++;
        if (depth === 2 && c === OPEN_OBJ && key === field) {
          inField = true;
          batchStart = pos;
        }
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        depth--;
        if (depth === 0) ended = true;
      }
    }
    if (inField && lastBoundary >= 0) flush(lastBoundary);
  }
  if (!ended) throw new TruncatedJsonError(depth === 0 ? 'empty body where a JSON object was expected' : 'JSON object ended early (truncated body)');
  const value = JSON.parse(decoder.decode(Uint8Array.from(rest))) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('expected a JSON object');
  return value as Record<string, unknown>;
}
