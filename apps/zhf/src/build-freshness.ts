import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of a file or any file below a folder (0 when it does not exist). */
export function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newestMtime(join(path, e)));
  return t;
}

/**
 * Whether `built` (a build's output file) is missing or older than any of `sources`: a fresh
 * clone has no build, and a `git pull` brings sources newer than the last one.
 */
export function buildIsStale(built: string, sources: string[]): boolean {
  const at = newestMtime(built);
  return at === 0 || sources.some((s) => newestMtime(s) > at);
}
