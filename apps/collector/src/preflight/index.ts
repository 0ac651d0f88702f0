// Mass-rebuild preflight (SPEC section 6): loaders and the text report.
export { Invalid, NotFound } from '../errors.ts';
export {
  loadPreflightJobs,
  preflightChangedPaths,
  preflightEvals,
  truncatePreflightLists,
  PREFLIGHT_LISTS,
  type PreflightEvalRef,
  type PreflightList,
  type PreflightResult,
  type PreflightSlice,
} from './run.ts';
export { formatPreflightText } from './format.ts';
