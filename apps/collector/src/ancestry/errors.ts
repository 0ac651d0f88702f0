// The API's error vocabulary (the dashboard's), plus the two answers specific to commits and
// pull requests. Each carries its HTTP status, so the CLI and any Hono onError can map it.

import { ApiError, NotFound } from '../../../dashboard/src/lib/server/api/errors.ts';

export { ApiError, Conflict, Invalid, NotFound, Upstream } from '../../../dashboard/src/lib/server/api/errors.ts';

/** The oracle does not know the commit (GitHub 404, or not in the local clone). */
export class UnknownCommit extends NotFound {
  constructor(readonly sha: string, where: string) {
    super(`unknown commit ${sha}: ${where} does not know it`);
  }
}

/** A request that is well-formed but cannot be answered as asked (422). */
export class Unprocessable extends ApiError {
  constructor(message: string) {
    super(422, 'unprocessable', message);
  }
}

/** A pull request that has not been merged has not landed anywhere (409). */
export class NotMerged extends ApiError {
  constructor(readonly number: number) {
    super(409, 'not_merged', `PR #${number} is not merged: it has not landed in any eval`);
  }
}
