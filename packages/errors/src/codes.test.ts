import { describe, expect, it } from 'vitest';
import * as errors from './index.js';
import type { LatchkeyError } from './latchkey-error.js';

/** One instance of every public error class, built with a representative reason. */
const samples: LatchkeyError[] = [
  new errors.InvalidRequestError('schema'),
  new errors.InvalidTargetError('namespace'),
  new errors.UnauthenticatedError('missing'),
  new errors.InvalidBootstrapTokenError('replayed'),
  new errors.InvalidSessionTokenError('expired'),
  new errors.SessionRevokedError('logout'),
  new errors.ForbiddenError('insufficient-role'),
  new errors.SessionNotFoundError(),
  new errors.AlreadyInitializedError(),
  new errors.SessionTargetMismatchError('mismatch', ['kind']),
  new errors.PayloadTooLargeError(65_536),
  new errors.RateLimitedError('per-key', 2),
  new errors.TooManySessionsError(),
  new errors.InternalError(),
  new errors.DecryptFailedError('authentication-failed'),
  new errors.RoleLookupFailedError(),
  new errors.UpstreamUnavailableError('unreachable'),
  new errors.StoreUnavailableError('cluster-down'),
  new errors.SandboxNotInitializedError(),
  new errors.CapacityExhaustedError('replay-guard-full'),
  new errors.NotFoundError(),
  new errors.MethodNotAllowedError(),
  new errors.RequestTimeoutError('headers'),
  new errors.UnsupportedMediaTypeError(),
  new errors.HeadersTooLargeError(),
];

describe('ERROR_STATUS', () => {
  it('lists every error class exactly once, with the status the class carries', () => {
    const codes = samples.map((error) => error.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(errors.ERROR_STATUS).sort()).toEqual([...codes].sort());
    for (const error of samples)
      expect(error.status).toBe(errors.ERROR_STATUS[error.code as errors.ErrorCode]);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(errors.ERROR_STATUS)).toBe(true);
  });

  it('keeps the statuses of DESIGN.md', () => {
    expect(errors.ERROR_STATUS).toMatchObject({
      INVALID_BOOTSTRAP_TOKEN: 401,
      INVALID_SESSION_TOKEN: 401,
      ALREADY_INITIALIZED: 409,
      RATE_LIMITED: 429,
      DAEMON_NOT_INITIALIZED: 503,
      SESSION_NOT_FOUND: 404,
      SESSION_TARGET_MISMATCH: 409,
      STORE_UNAVAILABLE: 503,
      INVALID_TARGET: 400,
      INVALID_REQUEST: 400,
      PAYLOAD_TOO_LARGE: 413,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
    });
  });
});

describe('error classes', () => {
  it('use UPPER_SNAKE codes and short lower-case messages', () => {
    for (const error of samples) {
      expect(error.code).toMatch(/^[A-Z]+(?:_[A-Z]+)*$/);
      expect(error.message).toMatch(/^[a-z ]{4,40}$/);
    }
  });

  it('give Retry-After hints on 429 and on the 503s that pass', () => {
    expect(new errors.RateLimitedError('global', 3).retryAfterSeconds).toBe(3);
    expect(new errors.StoreUnavailableError('timeout').retryAfterSeconds).toBe(1);
    expect(new errors.CapacityExhaustedError('cache-full').retryAfterSeconds).toBe(1);
    expect(new errors.InvalidRequestError('schema').retryAfterSeconds).toBeUndefined();
  });

  it('report which target fields differ without their values', () => {
    const error = new errors.SessionTargetMismatchError('mismatch', ['namespace', 'name']);
    expect(error.fields).toEqual(['namespace', 'name']);
    expect(Object.isFrozen(error.fields)).toBe(true);
    expect(error.toJSON()).toEqual({ code: 'SESSION_TARGET_MISMATCH', message: 'session target mismatch' });
  });
});
