/**
 * The worker-thread side of `parseBuildsOffThread` (build-parser.ts), which bundles this module
 * and what it imports into one script for the thread: parses the byte chunks the main thread
 * posts and answers each one, in order, with the builds it completed.
 * In: a `Uint8Array` chunk, or `null` at the end of the body. Out: `{ builds }` once per chunk,
 * then `{ done: true }`; or `{ error }` once, after which the thread idles until terminated.
 */
import { parentPort } from 'node:worker_threads';
import { parseJsonArrayStream, TruncatedJsonError } from './json-stream.ts';
import { asBuild, HydraShapeError, toBuildRecord, type HydraBuildRecord } from './types.ts';

export type ParserReply =
  | { builds: HydraBuildRecord[] }
  | { done: true }
  | { error: { kind: 'truncated' | 'syntax' | 'shape' | 'other'; message: string } };

const port = parentPort!;
const inbox: (Uint8Array | null)[] = [];
let wake: (() => void) | null = null;
port.on('message', (m: Uint8Array | null) => {
  inbox.push(m);
  wake?.();
  wake = null;
});

const reply = (m: ParserReply) => port.postMessage(m);
let parsed: HydraBuildRecord[] = [];

/** The posted chunks; before taking the next one, answers the previous one with what it completed. */
async function* chunks(): AsyncGenerator<Uint8Array> {
  let first = true;
  for (;;) {
    if (inbox.length === 0) await new Promise<void>((r) => (wake = r));
    const chunk = inbox.shift()!;
    if (!first) {
      reply({ builds: parsed });
      parsed = [];
    }
    first = false;
    if (chunk === null) return;
    yield chunk;
  }
}

async function run(): Promise<void> {
  try {
    for await (const batch of parseJsonArrayStream(chunks())) for (const v of batch) parsed.push(toBuildRecord(asBuild(v)));
    // Every chunk, the last included, was answered when the next one (or the end) was taken.
    reply({ done: true });
  } catch (err) {
    const kind = err instanceof TruncatedJsonError ? 'truncated' : err instanceof SyntaxError ? 'syntax' : err instanceof HydraShapeError ? 'shape' : 'other';
    reply({ error: { kind, message: err instanceof Error ? err.message : String(err) } });
  }
}

// A function, not top-level await: the thread runs this module bundled as a script (build-parser.ts).
void run();
