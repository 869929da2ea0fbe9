import { LatchkeyError } from '@latchkey/errors';

/**
 * The one table of WebSocket close codes: error codes (and the two events that have none, a normal end
 * and an init timeout) to the code a connection is closed with. 4xxx codes mirror the HTTP status a
 * refusal before the upgrade would have had; anything not listed closes with 1011.
 *
 * @example
 * ```ts
 * socket.close(CLOSE_CODES.SESSION_REVOKED); // 4401
 * ```
 */
export const CLOSE_CODES: Readonly<{
  NORMAL: 1000;
  GOING_AWAY: 1001;
  POLICY: 1008;
  PAYLOAD_TOO_LARGE: 1009;
  INTERNAL: 1011;
  INVALID_REQUEST: 4400;
  UNAUTHENTICATED: 4401;
  SESSION_REVOKED: 4401;
  FORBIDDEN: 4403;
  INIT_TIMEOUT: 4408;
  TOO_MANY_SESSIONS: 4429;
}> = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  // A consumer that stopped reading: closed by the sender's backpressure watchdog.
  POLICY: 1008,
  PAYLOAD_TOO_LARGE: 1009,
  INTERNAL: 1011,
  INVALID_REQUEST: 4400,
  UNAUTHENTICATED: 4401,
  SESSION_REVOKED: 4401,
  FORBIDDEN: 4403,
  INIT_TIMEOUT: 4408,
  TOO_MANY_SESSIONS: 4429,
});

const BY_ERROR_CODE: ReadonlyMap<string, number> = new Map([
  ['INVALID_REQUEST', CLOSE_CODES.INVALID_REQUEST],
  ['UNAUTHENTICATED', CLOSE_CODES.UNAUTHENTICATED],
  ['SESSION_REVOKED', CLOSE_CODES.SESSION_REVOKED],
  ['FORBIDDEN', CLOSE_CODES.FORBIDDEN],
  ['TOO_MANY_SESSIONS', CLOSE_CODES.TOO_MANY_SESSIONS],
  ['PAYLOAD_TOO_LARGE', CLOSE_CODES.PAYLOAD_TOO_LARGE],
]);

/**
 * The close code for an error: from {@link CLOSE_CODES} by the `LatchkeyError`'s code, 1011 for any
 * other code and for anything that is not a `LatchkeyError`.
 *
 * @example
 * ```ts
 * closeCodeFor(new SessionRevokedError('logout')); // 4401
 * closeCodeFor(new Error('bug'));                  // 1011
 * ```
 */
export function closeCodeFor(error: unknown): number {
  if (!LatchkeyError.is(error)) return CLOSE_CODES.INTERNAL;
  return BY_ERROR_CODE.get(error.code) ?? CLOSE_CODES.INTERNAL;
}

/**
 * The client-visible `{ code, message }` of an error: a `LatchkeyError`'s own, `INTERNAL` for anything
 * else (no stack, cause or reason ever reaches a client).
 *
 * @example
 * ```ts
 * errorBody(new SessionRevokedError('logout')); // { code: 'SESSION_REVOKED', message: 'session revoked' }
 * ```
 */
export function errorBody(error: unknown): { readonly code: string; readonly message: string } {
  if (LatchkeyError.is(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    return { code: error.code, message: error.message };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}
