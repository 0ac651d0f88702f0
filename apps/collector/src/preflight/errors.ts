// The small error vocabulary of the preflight and roundup APIs. Each error carries its HTTP
// status and a stable code, so any Hono app's onError can map it without knowing the class.

export type ApiErrorCode = 'invalid' | 'not_found' | 'payload_too_large';

export class ApiError extends Error {
  constructor(readonly status: 400 | 404 | 413, readonly code: ApiErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Malformed input: a bad eval id, a bad week, a changed-paths.json that names its bad key. */
export class Invalid extends ApiError {
  constructor(message: string) {
    super(400, 'invalid', message);
  }
}

/** An unknown eval or jobset, or a jobset with no ingested eval. */
export class NotFound extends ApiError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

/** `{ error: { code, message } }` and its status for an ApiError; null for anything else (a bug: let it be a 500). */
export function apiErrorBody(err: unknown): { status: 400 | 404 | 413; body: { error: { code: string; message: string } } } | null {
  if (!(err instanceof ApiError)) return null;
  return { status: err.status, body: { error: { code: err.code, message: err.message } } };
}
