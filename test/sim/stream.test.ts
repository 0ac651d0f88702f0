// Protects: /eval/:id/builds for a nixpkgs-sized eval is streamed (flat server memory) and is
// one valid JSON array with every member build.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

type Mem = NodeJS.MemoryUsage;
let child: ChildProcess;
let info: { url: string; evalId: number; buildCount: number };
const samples: Mem[] = [];

beforeAll(async () => {
  child = fork(fileURLToPath(new URL('./child-server.ts', import.meta.url)), ['250000', '2'], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  info = await new Promise((resolve, reject) => {
    child.on('message', (m: any) => {
      if (m.url) resolve(m);
      else if (m.mem) samples.push(m.mem);
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
});

afterAll(() => {
  child?.send('stop');
});

/** Splits a streamed top-level JSON array into elements without holding the whole text. */
function arraySplitter(onElement: (json: string) => void) {
  let depth = 0, inString = false, escaped = false, started = false, ended = false;
  let buf = '';
  return {
    push(text: string) {
      let from = depth > 1 ? 0 : -1; // an element continued from the previous chunk
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === 92) escaped = true;
          else if (ch === 34) inString = false;
          continue;
        }
        if (ch === 34) inString = true;
        else if (ch === 91 || ch === 123) {
          if (!started) { if (ch !== 91) throw new Error('not an array'); started = true; depth = 1; continue; }
          if (depth === 1) from = i;
          depth++;
        } else if (ch === 93 || ch === 125) {
          depth--;
          if (depth === 1) { onElement(buf + text.slice(from, i + 1)); buf = ''; from = -1; }
          if (depth === 0) ended = true;
        }
      }
      if (from >= 0) buf += text.slice(from);
    },
    get done() { return ended; },
  };
}

test('streams a 250k-build eval with flat server memory and valid JSON', async () => {
  expect(info.buildCount).toBeGreaterThanOrEqual(250_000);
  await new Promise((r) => setTimeout(r, 300));
  const base = samples.at(-1)!;
  samples.length = 0;
  const res = await fetch(`${info.url}/eval/${info.evalId}/builds`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  let n = 0, bytes = 0;
  const ids = new Set<number>();
  const split = arraySplitter((el) => {
    const b = JSON.parse(el);
    if (n < 3 || n % 5000 === 0) expect(Object.keys(b)).toHaveLength(18);
    ids.add(b.id);
    n++;
  });
  const dec = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    split.push(dec.decode(chunk, { stream: true }));
  }
  expect(split.done).toBe(true);
  expect(n).toBe(info.buildCount);
  expect(ids.size).toBe(n);
  await new Promise((r) => setTimeout(r, 120));
  const peakRss = Math.max(...samples.map((s) => s.rss));
  const peakHeap = Math.max(...samples.map((s) => s.heapUsed + s.arrayBuffers));
  console.log(`streamed ${n} builds, ${(bytes / 1e6).toFixed(0)} MB; server rss ${(base.rss / 1e6).toFixed(0)} -> peak ${(peakRss / 1e6).toFixed(0)} MB, heap+buffers ${((base.heapUsed + base.arrayBuffers) / 1e6).toFixed(0)} -> ${(peakHeap / 1e6).toFixed(0)} MB`);
  expect(bytes).toBeGreaterThan(150e6);
  // Buffering would hold the body as a string and as bytes (> 2x its size, > 300 MB here);
  // streaming keeps growth to GC slack, far below the body itself.
  expect(peakRss - base.rss).toBeLessThan(Math.min(120e6, bytes * 0.75));
  expect(peakHeap - (base.heapUsed + base.arrayBuffers)).toBeLessThan(80e6);
}, 60_000);
