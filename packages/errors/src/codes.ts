import { LatchkeyError, type LatchkeyErrorOptions } from './latchkey-error.js';

// One class per public code. Codes and statuses are public API: changing one is a major release.
// Messages are fixed strings; what varies goes in `reason` or in typed, token-free fields.

/** Why a bootstrap or session token was refused. Shared by both token kinds. */
export type TokenFailureReason =
  | 'missing'
  | 'too-large'
  | 'malformed'
  | 'non-canonical'
  | 'duplicate-member'
  | 'alg-not-allowed'
  | 'wrong-type'
  | 'crit'
  | 'forbidden-header'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'lifetime-too-long'
  | 'missing-claim'
  | 'invalid-claim'
  | 'issuer'
  | 'audience'
  | 'subject'
  | 'replayed'
  | 'invalid-session-key';

/** A request body or parameter that failed parsing or its schema. */
export class InvalidRequestError extends LatchkeyError<
  'malformed-json' | 'schema' | 'invalid-session-id' | 'unsupported-media-type' | 'websocket-handshake'
> {
  readonly code = 'INVALID_REQUEST';
  readonly status = 400;
  constructor(reason: InvalidRequestError['reason'], options?: LatchkeyErrorOptions) {
    super('invalid request', reason, options);
  }
}

/** A session target (`{ namespace, name, kind }`) that is not well formed. */
export class InvalidTargetError extends LatchkeyError<'shape' | 'namespace' | 'name' | 'kind'> {
  readonly code = 'INVALID_TARGET';
  readonly status = 400;
  constructor(reason: InvalidTargetError['reason'], options?: LatchkeyErrorOptions) {
    super('invalid target', reason, options);
  }
}

/** No usable credential: absent, malformed, expired, revoked or failing verification. */
export class UnauthenticatedError extends LatchkeyError<
  'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked'
> {
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
  constructor(reason: UnauthenticatedError['reason'], options?: LatchkeyErrorOptions) {
    super('authentication required', reason, options);
  }
}

/** A bootstrap token (the one `/init` accepts) failed a check. */
export class InvalidBootstrapTokenError extends LatchkeyError<TokenFailureReason> {
  readonly code = 'INVALID_BOOTSTRAP_TOKEN';
  readonly status = 401;
  constructor(reason: TokenFailureReason, options?: LatchkeyErrorOptions) {
    super('invalid bootstrap token', reason, options);
  }
}

/** A session token (the one every `/api/*` request carries) failed a check. */
export class InvalidSessionTokenError extends LatchkeyError<TokenFailureReason> {
  readonly code = 'INVALID_SESSION_TOKEN';
  readonly status = 401;
  constructor(reason: TokenFailureReason, options?: LatchkeyErrorOptions) {
    super('invalid session token', reason, options);
  }
}

/** A credential issued before its user's logout, or a lease cancelled by logout. */
export class SessionRevokedError extends LatchkeyError<
  'logout' | 'issued-before-revocation' | 'token-revoked'
> {
  readonly code = 'SESSION_REVOKED';
  readonly status = 401;
  constructor(reason: SessionRevokedError['reason'], options?: LatchkeyErrorOptions) {
    super('session revoked', reason, options);
  }
}

/** An authenticated caller whose role does not allow the action. */
export class ForbiddenError extends LatchkeyError<
  'insufficient-role' | 'unknown-role' | 'no-policy' | 'origin'
> {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
  constructor(reason: ForbiddenError['reason'], options?: LatchkeyErrorOptions) {
    super('forbidden', reason, options);
  }
}

/** No session with that id (never created, deleted, or expired). */
export class SessionNotFoundError extends LatchkeyError<'not-found'> {
  readonly code = 'SESSION_NOT_FOUND';
  readonly status = 404;
  constructor(options?: LatchkeyErrorOptions) {
    super('session not found', 'not-found', options);
  }
}

/** A second `/init` on a sandbox whose session key is already installed. */
export class AlreadyInitializedError extends LatchkeyError<'already-initialized'> {
  readonly code = 'ALREADY_INITIALIZED';
  readonly status = 409;
  constructor(options?: LatchkeyErrorOptions) {
    super('already initialized', 'already-initialized', options);
  }
}

/** Field names of a session target, as reported in a mismatch. */
export type TargetField = 'namespace' | 'name' | 'kind';

/**
 * A session reused against another target, or a stored binding with missing metadata (fail closed).
 * `fields` names the fields that differ (or are missing); the values themselves are not carried.
 */
export class SessionTargetMismatchError extends LatchkeyError<'mismatch' | 'missing-metadata'> {
  readonly code = 'SESSION_TARGET_MISMATCH';
  readonly status = 409;
  readonly fields: readonly TargetField[];
  constructor(
    reason: SessionTargetMismatchError['reason'],
    fields: readonly TargetField[],
    options?: LatchkeyErrorOptions,
  ) {
    super('session target mismatch', reason, options);
    this.fields = Object.freeze([...fields]);
  }
}

/** A request body over the configured limit. */
export class PayloadTooLargeError extends LatchkeyError<'body-too-large'> {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
  /** The limit that was exceeded, in bytes. */
  readonly limitBytes: number;
  constructor(limitBytes: number, options?: LatchkeyErrorOptions) {
    super('payload too large', 'body-too-large', options);
    this.limitBytes = limitBytes;
  }
}

/** A rate limiter said no; `retryAfterSeconds` says when to come back. */
export class RateLimitedError extends LatchkeyError<'per-key' | 'global'> {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  constructor(reason: RateLimitedError['reason'], retryAfterSeconds: number, options?: LatchkeyErrorOptions) {
    super('rate limited', reason, { ...options, retryAfterSeconds });
  }
}

/** A user already holds the maximum number of live sessions or streams. */
export class TooManySessionsError extends LatchkeyError<'per-user-cap'> {
  readonly code = 'TOO_MANY_SESSIONS';
  readonly status = 429;
  constructor(options?: LatchkeyErrorOptions) {
    super('too many sessions', 'per-user-cap', options);
  }
}

/** An unexpected failure. Servers answer it for anything that is not a `LatchkeyError`. */
export class InternalError extends LatchkeyError<'unexpected'> {
  readonly code = 'INTERNAL';
  readonly status = 500;
  constructor(options?: LatchkeyErrorOptions) {
    super('internal error', 'unexpected', options);
  }
}

/** A stored, encrypted value that could not be decrypted. Logged without key material. */
export class DecryptFailedError extends LatchkeyError<
  'malformed' | 'too-short' | 'unknown-version' | 'unknown-key-id' | 'authentication-failed'
> {
  readonly code = 'DECRYPT_FAILED';
  readonly status = 500;
  constructor(reason: DecryptFailedError['reason'], options?: LatchkeyErrorOptions) {
    super('decrypt failed', reason, options);
  }
}

/** The role of an authenticated caller could not be determined. Never read as "allow". */
export class RoleLookupFailedError extends LatchkeyError<'lookup-failed'> {
  readonly code = 'ROLE_LOOKUP_FAILED';
  readonly status = 500;
  constructor(options?: LatchkeyErrorOptions) {
    super('role lookup failed', 'lookup-failed', options);
  }
}

/** The upstream a request is forwarded to did not answer. */
export class UpstreamUnavailableError extends LatchkeyError<'unreachable' | 'timeout' | 'bad-response'> {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  readonly status = 502;
  constructor(reason: UpstreamUnavailableError['reason'], options?: LatchkeyErrorOptions) {
    super('upstream unavailable', reason, options);
  }
}

/** The session store could not answer. Never read as "not found". */
export class StoreUnavailableError extends LatchkeyError<
  'connection' | 'timeout' | 'cluster-down' | 'redirect' | 'unexpected-reply' | 'closed'
> {
  readonly code = 'STORE_UNAVAILABLE';
  readonly status = 503;
  constructor(reason: StoreUnavailableError['reason'], options?: LatchkeyErrorOptions) {
    super('store unavailable', reason, { retryAfterSeconds: 1, ...options });
  }
}

/** A sandbox asked to serve before `/init` installed its session key. */
export class DaemonNotInitializedError extends LatchkeyError<'not-initialized'> {
  readonly code = 'DAEMON_NOT_INITIALIZED';
  readonly status = 503;
  constructor(options?: LatchkeyErrorOptions) {
    super('daemon not initialized', 'not-initialized', options);
  }
}

/**
 * A bounded structure (replay guard, cache, registry) is full of live entries and refuses new ones
 * rather than evicting a live entry, which would reopen the hole it exists to close.
 */
export class CapacityExhaustedError extends LatchkeyError<
  'replay-guard-full' | 'cache-full' | 'registry-full'
> {
  readonly code = 'CAPACITY_EXHAUSTED';
  readonly status = 503;
  constructor(reason: CapacityExhaustedError['reason'], options?: LatchkeyErrorOptions) {
    super('capacity exhausted', reason, { retryAfterSeconds: 1, ...options });
  }
}

/** Every public error code, with its HTTP status. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, LatchkeyError['status']>> = Object.freeze({
  INVALID_REQUEST: 400,
  INVALID_TARGET: 400,
  UNAUTHENTICATED: 401,
  INVALID_BOOTSTRAP_TOKEN: 401,
  INVALID_SESSION_TOKEN: 401,
  SESSION_REVOKED: 401,
  FORBIDDEN: 403,
  SESSION_NOT_FOUND: 404,
  ALREADY_INITIALIZED: 409,
  SESSION_TARGET_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TOO_MANY_SESSIONS: 429,
  INTERNAL: 500,
  DECRYPT_FAILED: 500,
  ROLE_LOOKUP_FAILED: 500,
  UPSTREAM_UNAVAILABLE: 502,
  STORE_UNAVAILABLE: 503,
  DAEMON_NOT_INITIALIZED: 503,
  CAPACITY_EXHAUSTED: 503,
});

/** The stable codes of every latchkey error. */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'INVALID_TARGET'
  | 'UNAUTHENTICATED'
  | 'INVALID_BOOTSTRAP_TOKEN'
  | 'INVALID_SESSION_TOKEN'
  | 'SESSION_REVOKED'
  | 'FORBIDDEN'
  | 'SESSION_NOT_FOUND'
  | 'ALREADY_INITIALIZED'
  | 'SESSION_TARGET_MISMATCH'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'TOO_MANY_SESSIONS'
  | 'INTERNAL'
  | 'DECRYPT_FAILED'
  | 'ROLE_LOOKUP_FAILED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'DAEMON_NOT_INITIALIZED'
  | 'CAPACITY_EXHAUSTED';
