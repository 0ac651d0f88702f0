/**
 * How far back one `/api/latestbuilds` should reach (issue 17). The window must name the
 * unresolved members (that is what verdicts wait on); builds we hold unfinished below them are
 * either covered by reaching further (every row between costs Hydra a query) or asked one by one
 * (`/build/:id`, ~14 queries each). One build stuck for days must not make every
 * sync re-read the hundreds of thousands of rows above it; a mass rebuild's thousands of queued
 * builds are cheaper to cover than to poll.
 */

/**
 * Hydra-side queries of one `/api/latestbuilds` row (`buildToHash`'s jobset lookup) and of one
 * `/build/:id` (Build.pm's chain, ~9, plus `as_json`'s 5), as counted from the controllers.
 */
export const LATEST_ROW_COST = 1;
export const BUILD_REQUEST_COST = 14;

/** One way to reach: `rows` read in the window, `polls` held builds left below it to ask singly. */
export interface Reach {
  rows: number;
  polls: number;
}

/**
 * The cheapest reach for Hydra among `options` whose polls fit `pollBudget` (per sync); ties go
 * to fewer polls (fewer requests at our rate). Returns its index, or -1 when none fits.
 */
export function cheapestReach(options: Reach[], pollBudget: number): number {
  let best = -1;
  let bestCost = Infinity;
  for (const [i, o] of options.entries()) {
    if (o.polls > pollBudget) continue;
    const cost = o.rows * LATEST_ROW_COST + o.polls * BUILD_REQUEST_COST;
    if (cost < bestCost || (cost === bestCost && o.polls < options[best]!.polls)) {
      best = i;
      bestCost = cost;
    }
  }
  return best;
}

/** Candidate counts of held builds left to poll: 0, 1, 2, 4, ... up to `max`, and `max` itself. */
export function pollCandidates(max: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < max; k = k === 0 ? 1 : k * 2) out.push(k);
  out.push(max);
  return out;
}

/**
 * A window's `nr` (issue 17). Hydra's `latestbuilds` lists finished builds only, so of the
 * members still pending only those that have finished take a row: asking for all of them (the
 * `full` size) makes Hydra read as many older rows instead. The first request assumes `share` of
 * the pending members finished (from the jobset's `nrscheduled`); an answer that fills `nr` and
 * still stops above the reach is widened from the share it showed.
 */
export interface WindowSize {
  /** Stored builds at or above the reach (already known: each is a row once finished). */
  stored: number;
  /** Members still pending at or above the reach, the new eval's unknown ones included. */
  pending: number;
  /** Least and largest `nr` allowed. */
  min: number;
  max: number;
}

/** `nr` for a window expected to hold `stored + share x pending` rows: +5% and 50 spare, within bounds. */
export function windowNr(w: WindowSize, share: number): number {
  const rows = w.stored + Math.min(1, Math.max(0, share)) * w.pending;
  return Math.min(Math.max(Math.ceil(rows * 1.05) + 50, w.min), w.max);
}

/**
 * The next `nr` after an answer of `asked` rows that stopped above the reach, in which `named`
 * of the `above` pending members at or above its lowest row had finished: that share (with a
 * quarter spare) applied to the whole window, at least twice `asked`, at most the full size.
 */
export function widenedNr(w: WindowSize, asked: number, named: number, above: number, share: number): number {
  const seen = above > 0 ? named / above : 1;
  const next = windowNr(w, Math.max(share, seen) * 1.25 + 0.02);
  return Math.min(Math.max(next, 2 * asked), windowNr(w, 1));
}
