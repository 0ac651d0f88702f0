// Shared by the parsers of external files: the result union and the first-error carrier.

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Thrown inside a parser to carry the first bad key out; parsers turn it into `{ ok: false }`. */
export class Malformed extends Error {}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Runs a parser body, turning a Malformed into an error result; anything else is a bug and propagates. */
export function parseWith<T>(body: () => T): ParseResult<T> {
  try {
    return { ok: true, value: body() };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: e.message };
    throw e;
  }
}
