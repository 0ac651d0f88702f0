// "Did this break it, or was it already broken?" (issue 9): checking packages and review
// reports, what a landed commit broke, and the text report.
export { checkPackages, checkReport, MAX_CHECK_PACKAGES, type CheckItem, type CheckPackage, type CheckResult, type CheckSummary, type CheckVerdict, type HydraState } from './run.ts';
export { hydraStateOf, verdictOf, CHECKED_STATUSES } from './classify.ts';
export { formatCheckText } from './format.ts';
export { brokenBy, rebuildPredicate, type BrokenByFailure, type BrokenByResult } from './broken-by.ts';
