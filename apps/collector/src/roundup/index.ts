// The weekly zero-failures roundup (SPEC section 7): building, freezing, the schedule's tick and the HTTP routes.
export {
  buildRoundup,
  freezeDueRoundups,
  freezeRoundup,
  getRoundup,
  joinParts,
  weekToFreeze,
  PART_BREAK,
  type BurndownPoint,
  type FreezeResult,
  type Roundup,
  type RoundupItem,
  type RoundupQuery,
} from './build.ts';
export { createRoundupTick, type RoundupTickDeps } from './tick.ts';
export { roundupRoutes, type RoundupRouteDeps } from './routes.ts';
