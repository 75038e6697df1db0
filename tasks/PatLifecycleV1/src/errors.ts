/**
 * Typed errors. Each carries a message that is safe to show (no secrets, API text neutralised) and says
 * what to do. The entry point maps every error to one Failed result, once.
 */

/** A failure the user can act on; `message` is the whole story, `cause` the failure it comes from (for the debug log). */
export class TaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One or more task inputs are wrong. Raised before any network call. */
export class InputError extends TaskError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Microsoft Entra refused or could not answer the token request. */
export class SignInError extends TaskError {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The Azure DevOps API answered with an error (HTTP status or a `patTokenError`). */
export class ApiError extends TaskError {
  constructor(
    message: string,
    readonly status?: number,
    readonly patTokenError?: string,
  ) {
    super(message);
  }
}

/** The network failed: throttled, unavailable or timed out after every allowed retry. */
export class TransportError extends TaskError {
  constructor(
    message: string,
    /** True when the request may have reached the service and been carried out (the answer was lost). */
    readonly maybeCommitted: boolean,
  ) {
    super(message);
  }
}
