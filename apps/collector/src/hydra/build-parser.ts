/**
 * Parses a bulk build list (`/eval/:id/builds`, ~180 MB for a nixpkgs eval) in a worker thread.
 * On the main thread, JSON.parse of that list is most of a first ingest's CPU time and it runs
 * between the database round trips of the same ingest; in a worker it overlaps them, and the
 * main thread only receives the validated builds (structured clone: a tenth of the parse's cost).
 *
 * Same contract as `parseJsonArrayStream` + `asBuild`: batches in body order, the same errors
 * (`TruncatedJsonError`, `SyntaxError`, `HydraShapeError`), and memory bounded by a window of
 * chunks in flight whatever the body's size. Starting a thread costs tens of milliseconds, so
 * `HydraClient` uses it only for lists of many builds.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { ParserReply } from './build-parser-thread.ts';
import { TruncatedJsonError } from './json-stream.ts';
import { HydraShapeError, type HydraBuildRecord } from './types.ts';

/** Body chunks posted and not yet answered; each is at most one socket read (~64 KB). */
const WINDOW = 32;

let script: Promise<string> | null = null;

/**
 * The thread's code (`build-parser-thread.ts` and what it imports) bundled into one script, once
 * per process. Node 20 cannot run TypeScript, and a thread that registered tsx itself held ~28 MB
 * more (its own loader thread) and took ~0.2 s to start.
 */
function parserScript(): Promise<string> {
  script ??= build({
    entryPoints: [fileURLToPath(new URL('./build-parser-thread.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text, (err: unknown) => {
    script = null; // a later stream tries again
    throw err;
  });
  return script;
}

export async function* parseBuildsOffThread(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<HydraBuildRecord[]> {
  const worker = new Worker(await parserScript(), {
    eval: true,
    // What the worker holds is a window of chunks and one chunk's builds: with V8's default
    // heap sizing it still grew ~90 MB over a 250k-build list, with these limits ~55 MB. They
    // are far above one chunk's parse (socket reads are <= 64 KB; the tests parse 4 MB chunks).
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
  });
  const replies: ParserReply[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: ParserReply) => {
    replies.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure ??= err;
    notify();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`build list parser exited (code ${code})`);
    notify();
  });
  /** The next reply, in order; throws what the worker reported. */
  const next = async (): Promise<{ builds: HydraBuildRecord[] } | { done: true }> => {
    while (replies.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((r) => (wake = r));
    }
    const r = replies.shift()!;
    if ('error' in r) throw rebuild(r.error);
    return r;
  };
  let unanswered = 0;
  try {
    for await (const chunk of chunks) {
      // A copy the worker can own: a socket's chunk may share its memory with others.
      const own = new Uint8Array(chunk);
      worker.postMessage(own, [own.buffer]);
      if (++unanswered > WINDOW) {
        const r = await next();
        unanswered--;
        if ('builds' in r && r.builds.length) yield r.builds;
      }
    }
    worker.postMessage(null);
    for (;;) {
      const r = await next();
      if ('done' in r) break;
      unanswered--;
      if (r.builds.length) yield r.builds;
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

function rebuild(e: { kind: 'truncated' | 'syntax' | 'shape' | 'other'; message: string }): Error {
  switch (e.kind) {
    case 'truncated': return new TruncatedJsonError(e.message);
    case 'syntax': return new SyntaxError(e.message);
    case 'shape': return new HydraShapeError(e.message);
    default: return new Error(e.message);
  }
}
