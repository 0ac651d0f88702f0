// Mass-rebuild preflight (SPEC section 6): loaders, the text report and the HTTP routes.
export { ApiError, Invalid, NotFound, PayloadTooLarge, apiErrorBody, type ApiErrorCode } from './errors.ts';
export {
  loadPreflightJobs,
  preflightChangedPaths,
  preflightEvals,
  truncatePreflightLists,
  PREFLIGHT_LISTS,
  type PreflightEvalRef,
  type PreflightResult,
} from './run.ts';
export { formatPreflightText } from './format.ts';
export { preflightRoutes, PREFLIGHT_DEFAULT_LIST_LIMIT, PREFLIGHT_MAX_BODY, type PreflightRouteDeps } from './routes.ts';
