// Uploaded changed-paths.json files, held in memory for a while so that their preflight report
// has a URL: its impact lists are paged by links, with or without JavaScript, like a report of
// two evals. A restart forgets them; the page then asks for the file again.
import { createHash } from 'node:crypto';

export interface HeldUpload {
  /** The parsed changed-paths.json. */
  changedPaths: unknown;
  /** The eval the report was computed against, kept so paging does not move to a newer one. */
  baseEvalId: number;
  jobset: string;
  bytes: number;
  at: number;
}

const MAX_ENTRIES = 20;
const MAX_BYTES = 64 * 1024 * 1024;
const TTL_MS = 6 * 3600 * 1000;

const held = new Map<string, HeldUpload>();

/** Keeps an upload and returns its id (a digest of the file and its base: the same upload, the same id). */
export function holdUpload(u: Omit<HeldUpload, 'at'>, now = Date.now()): string {
  const id = createHash('sha256').update(`${u.baseEvalId}\n${JSON.stringify(u.changedPaths)}`).digest('base64url').slice(0, 22);
  held.delete(id);
  held.set(id, { ...u, at: now });
  // Oldest first (a Map keeps insertion order): drop the expired, then the oldest over the bounds.
  let bytes = 0;
  for (const v of held.values()) bytes += v.bytes;
  for (const [k, v] of held) {
    if (k === id) break;
    if (now - v.at <= TTL_MS && held.size <= MAX_ENTRIES && bytes <= MAX_BYTES) break;
    held.delete(k);
    bytes -= v.bytes;
  }
  return id;
}

/** The upload with that id, or null when it was never held, has expired or was pushed out. */
export function heldUpload(id: string, now = Date.now()): HeldUpload | null {
  const u = held.get(id);
  if (!u) return null;
  if (now - u.at > TTL_MS) {
    held.delete(id);
    return null;
  }
  return u;
}

/** How long and how many uploads are held, for the page to say. */
export const HOLD = { entries: MAX_ENTRIES, hours: TTL_MS / 3600_000 };
