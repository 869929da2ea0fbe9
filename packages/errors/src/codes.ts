import { LatchkeyError, type LatchkeyErrorOptions } from './latchkey-error.js';

// One class per public code. Codes and statuses are public API: changing one is a major release.
// Messages are fixed strings; what varies goes in `reason` or in typed, token-free fields.

/** Why a bootstrap, session or access token was refused. Shared by every token kind. */
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

/**
 * No usable credential: absent, malformed, expired, revoked or failing verification. An access token
 * that fails a check carries the {@link TokenFailureReason} that refused it.
 */
export class UnauthenticatedError extends LatchkeyError<
  'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked' | TokenFailureReason
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
  'insufficient-role' | 'unknown-role' | 'no-policy' | 'not-service-account' | 'access-denied' | 'origin'
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

/** No route answers this path (a server's own 404, or a framework's). */
export class NotFoundError extends LatchkeyError<'no-route'> {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  constructor(options?: LatchkeyErrorOptions) {
    super('not found', 'no-route', options);
  }
}

/** The path exists but not for this method (`OPTIONS`, `TRACE`, or a framework's 405). */
export class MethodNotAllowedError extends LatchkeyError<'method'> {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
  constructor(options?: LatchkeyErrorOptions) {
    super('method not allowed', 'method', options);
  }
}

/** A request whose headers or body did not arrive in time. */
export class RequestTimeoutError extends LatchkeyError<'headers' | 'body'> {
  readonly code = 'REQUEST_TIMEOUT';
  readonly status = 408;
  constructor(reason: RequestTimeoutError['reason'], options?: LatchkeyErrorOptions) {
    super('request timeout', reason, options);
  }
}

/** A request body in a media type the route does not read (a framework's 415). */
export class UnsupportedMediaTypeError extends LatchkeyError<'media-type'> {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
  constructor(options?: LatchkeyErrorOptions) {
    super('unsupported media type', 'media-type', options);
  }
}

/** Request headers over the server's limit (a framework's or Node's 431). */
export class HeadersTooLargeError extends LatchkeyError<'headers-too-large'> {
  readonly code = 'HEADERS_TOO_LARGE';
  readonly status = 431;
  constructor(options?: LatchkeyErrorOptions) {
    super('headers too large', 'headers-too-large', options);
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
export class UpstreamUnavailableError extends LatchkeyError<
  | 'unreachable'
  | 'timeout'
  | 'bad-response'
  | 'rate-limited'
  | 'server-error'
  | 'reviewer-credential-refused'
  | 'reviewer-credential-unreadable'
> {
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

/**
 * A sandbox asked to serve before `/init` installed its session key. The wire code keeps the name
 * DESIGN.md gives it (`DAEMON_NOT_INITIALIZED`); the class says what is not initialised.
 */
export class SandboxNotInitializedError extends LatchkeyError<'not-initialized'> {
  readonly code = 'DAEMON_NOT_INITIALIZED';
  readonly status = 503;
  constructor(options?: LatchkeyErrorOptions) {
    super('sandbox not initialized', 'not-initialized', options);
  }
}

/**
 * A bounded structure (replay guard, cache, registry) is full of live entries and refuses new ones
 * rather than evicting a live entry, which would reopen the hole it exists to close.
 */
export class CapacityExhaustedError extends LatchkeyError<
  'replay-guard-full' | 'cache-full' | 'registry-full' | 'sessions-full' | 'reviews-in-flight'
> {
  readonly code = 'CAPACITY_EXHAUSTED';
  readonly status = 503;
  constructor(reason: CapacityExhaustedError['reason'], options?: LatchkeyErrorOptions) {
    super('capacity exhausted', reason, { retryAfterSeconds: 1, ...options });
  }
}

/**
 * Every public error code with its HTTP status: the one table. `ErrorCode` is derived from it, and a
 * test checks each class against it, so a code cannot be added in one place and forgotten in another.
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  INVALID_TARGET: 400,
  UNAUTHENTICATED: 401,
  INVALID_BOOTSTRAP_TOKEN: 401,
  INVALID_SESSION_TOKEN: 401,
  SESSION_REVOKED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  ALREADY_INITIALIZED: 409,
  SESSION_TARGET_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_SESSIONS: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  DECRYPT_FAILED: 500,
  ROLE_LOOKUP_FAILED: 500,
  UPSTREAM_UNAVAILABLE: 502,
  STORE_UNAVAILABLE: 503,
  DAEMON_NOT_INITIALIZED: 503,
  CAPACITY_EXHAUSTED: 503,
} as const;
Object.freeze(ERROR_STATUS);

/** The stable codes of every latchkey error. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The class behind each code, so `LatchkeyError.is(error, 'STORE_UNAVAILABLE')` narrows to
 * `StoreUnavailableError` (and its typed `reason`). A type test keeps it in step with `ERROR_STATUS`.
 */
export interface ErrorClassByCode {
  INVALID_REQUEST: InvalidRequestError;
  INVALID_TARGET: InvalidTargetError;
  UNAUTHENTICATED: UnauthenticatedError;
  INVALID_BOOTSTRAP_TOKEN: InvalidBootstrapTokenError;
  INVALID_SESSION_TOKEN: InvalidSessionTokenError;
  SESSION_REVOKED: SessionRevokedError;
  FORBIDDEN: ForbiddenError;
  NOT_FOUND: NotFoundError;
  SESSION_NOT_FOUND: SessionNotFoundError;
  METHOD_NOT_ALLOWED: MethodNotAllowedError;
  REQUEST_TIMEOUT: RequestTimeoutError;
  ALREADY_INITIALIZED: AlreadyInitializedError;
  SESSION_TARGET_MISMATCH: SessionTargetMismatchError;
  PAYLOAD_TOO_LARGE: PayloadTooLargeError;
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError;
  RATE_LIMITED: RateLimitedError;
  TOO_MANY_SESSIONS: TooManySessionsError;
  HEADERS_TOO_LARGE: HeadersTooLargeError;
  INTERNAL: InternalError;
  DECRYPT_FAILED: DecryptFailedError;
  ROLE_LOOKUP_FAILED: RoleLookupFailedError;
  UPSTREAM_UNAVAILABLE: UpstreamUnavailableError;
  STORE_UNAVAILABLE: StoreUnavailableError;
  DAEMON_NOT_INITIALIZED: SandboxNotInitializedError;
  CAPACITY_EXHAUSTED: CapacityExhaustedError;
}
