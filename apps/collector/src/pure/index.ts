// The collector's decisions: pure functions of their inputs, no I/O, no clock.

export { isoWeekOf, nextWeek, parseWeek, previousWeek, weekRange, weeksInYear } from './week.ts';
export { outcomeOf, statusLabel, type Classified, type FailureKind, type Outcome } from '@zhf/db/verdict';
export { rebuildLabels, type Kernel } from './labels.ts';
export type { ParseResult } from './parsing.ts';
export { parseChangedPaths, type AttrDiff, type ChangedPaths } from './changed-paths.ts';
export { parseReviewReport, type ReviewPackage, type ReviewReport, type ReviewStatus } from './review-report.ts';
export {
  computePreflight,
  computePreflightFromChangedPaths,
  kernelOf,
  packageOf,
  type KernelReport,
  type PreflightImpact,
  type PreflightItem,
  type PreflightJob,
  type PreflightReport,
} from './preflight.ts';
export {
  GITHUB_BODY_LIMIT,
  renderRoundup,
  type RoundupBreakage,
  type RoundupCounts,
  type RoundupInput,
  type RoundupSummary,
} from './roundup.ts';
