// The error vocabulary of zhf's services: every failure a caller (the API, the CLI) is meant to
// see is a DomainError with a stable `code`. Constructors take no HTTP status: the one table
// below says which status a code answers with, and the API's one `onError` applies it.

/** Every code a client can see in `{ error: { code, message } }`, and the HTTP status it answers with. */
export const ERROR_STATUS = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  not_merged: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  upstream: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }

  /** The HTTP status of this error's code (ERROR_STATUS). */
  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

/** Malformed input. */
export class Invalid extends DomainError {
  constructor(message: string) { super('invalid', message); }
}
/** An id, jobset, eval or commit nobody knows. */
export class NotFound extends DomainError {
  constructor(message: string) { super('not_found', message); }
}
export class Conflict extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) { super('conflict', message, extra); }
}
/** Hydra, GitHub or git failed us: not the caller's fault. */
export class Upstream extends DomainError {
  constructor(message: string) { super('upstream', message); }
}
/** A request that is well-formed but cannot be answered as asked. */
export class Unprocessable extends DomainError {
  constructor(message: string) { super('unprocessable', message); }
}
/** The oracle does not know the commit (GitHub 404, or not in the local clone). */
export class UnknownCommit extends NotFound {
  constructor(readonly sha: string, where: string) {
    super(`unknown commit ${sha}: ${where} does not know it`);
  }
}
/** A pull request that has not been merged has not landed anywhere. */
export class NotMerged extends DomainError {
  constructor(readonly number: number) {
    super('not_merged', `PR #${number} is not merged: it has not landed in any eval`);
  }
}
