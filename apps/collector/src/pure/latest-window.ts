/**
 * How far back one `/api/latestbuilds` should reach (issue 17). The window must name the
 * unresolved members (that is what verdicts wait on); builds we hold unfinished below them are
 * either covered by reaching further (every row between costs Hydra a query) or asked one by one
 * (`/build/:id`, ~5 queries each: HYDRA-API.md). One build stuck for days must not make every
 * sync re-read the hundreds of thousands of rows above it; a mass rebuild's thousands of queued
 * builds are cheaper to cover than to poll.
 */

/** Hydra-side queries of one `/api/latestbuilds` row and of one `/build/:id` (the controllers' cost). */
export const LATEST_ROW_COST = 1;
export const BUILD_REQUEST_COST = 5;

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
