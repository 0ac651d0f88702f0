// The weekly zero-failures roundup (SPEC section 7): building, freezing and the schedule's tick.
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
  type RoundupRootItem,
} from './build.ts';
export { createRoundupTick, type RoundupTickDeps } from './tick.ts';
