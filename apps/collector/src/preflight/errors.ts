// The preflight and roundup routes speak the API's error vocabulary (the dashboard's), so one
// `onError` maps every failure; only "too large" is theirs, for the upload limit they enforce.

import { ApiError } from '../../../dashboard/src/lib/server/api/errors.ts';

export { ApiError, Invalid, NotFound } from '../../../dashboard/src/lib/server/api/errors.ts';

export type ApiErrorCode = 'invalid' | 'not_found' | 'payload_too_large';

export class PayloadTooLarge extends ApiError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

/** `{ error: { code, message } }` and its status for an ApiError; null for anything else (a bug: let it be a 500). */
export function apiErrorBody(err: unknown): { status: 400 | 404 | 413; body: { error: { code: string; message: string } } } | null {
  if (!(err instanceof ApiError)) return null;
  return { status: err.status as 400 | 404 | 413, body: { error: { code: err.code, message: err.message } } };
}
