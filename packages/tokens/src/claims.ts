/**
 * Claim rules shared by every token kind, beyond what jose checks by default: `exp`, `iat`, `sub`
 * required, a cap on `exp − iat`, a future `iat` beyond the tolerance refused, `sub` of the kind's
 * shape. Time comparisons follow jose exactly (whole seconds, `exp <= now − tolerance` is expired,
 * `nbf > now + tolerance` is not yet valid) so both paths agree at the boundaries.
 */
import type { TokenFailureReason } from '@latchkey/errors';

/** Session ids: URL-safe characters, 1 to 128 long (no braces, so they fit a Redis hash tag). */
export const SESSION_ID_PATTERN: RegExp = /^[A-Za-z0-9_-]{1,128}$/;

/** Longest `jti` accepted; ids are keys in a replay guard, so they are kept small. */
export const MAX_JTI_LENGTH = 256;

/** Longest user id (`sub` of an access token), in characters (code points). */
export const MAX_USER_ID_LENGTH = 256;

/** Whether `value` holds a control character: C0 (U+0000–U+001F), DEL or C1 (U+007F–U+009F). */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** Whether `value` is a session id (see {@link SESSION_ID_PATTERN}). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}

/** Whether `value` is a user id: a string of 1 to 256 characters with no control character. */
export function isUserId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || hasControlCharacter(value)) return false;
  if (value.length <= MAX_USER_ID_LENGTH) return true;
  // Over 256 UTF-16 units can still be 256 code points (astral characters take two units).
  if (value.length > 2 * MAX_USER_ID_LENGTH) return false;
  let points = 0;
  for (const _ of value) if (++points > MAX_USER_ID_LENGTH) return false;
  return true;
}

/** What {@link checkClaims} needs to know. */
export interface ClaimRules {
  readonly issuer: string;
  readonly audience: string;
  /** The shape `sub` must have (a session id, a user id). */
  readonly isSubject: (sub: unknown) => boolean;
  /** When set, `sub` must equal it. */
  readonly subject: string | undefined;
  readonly maxLifetimeSeconds: number;
  readonly toleranceSeconds: number;
  readonly requireJti: boolean;
}

/** Checks the registered claims of a decoded claims set at `nowSeconds` (whole seconds). */
export function checkClaims(
  claims: Record<string, unknown>,
  rules: ClaimRules,
  nowSeconds: number,
): TokenFailureReason | undefined {
  const { iss, aud, sub, exp, iat, nbf, jti } = claims;
  if (iss === undefined || aud === undefined || sub === undefined || exp === undefined || iat === undefined) {
    return 'missing-claim';
  }
  if (iss !== rules.issuer) return 'issuer';
  if (typeof aud === 'string') {
    if (aud !== rules.audience) return 'audience';
  } else if (
    !Array.isArray(aud) ||
    !aud.every((entry) => typeof entry === 'string') ||
    !aud.includes(rules.audience)
  ) {
    return 'audience';
  }
  if (!rules.isSubject(sub)) return 'invalid-claim';
  if (rules.subject !== undefined && sub !== rules.subject) return 'subject';
  if (typeof exp !== 'number' || typeof iat !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) {
    return 'invalid-claim';
  }
  const tolerance = rules.toleranceSeconds;
  if (exp <= nowSeconds - tolerance) return 'expired';
  if (iat > nowSeconds + tolerance) return 'issued-in-future';
  if (nbf !== undefined && nbf > nowSeconds + tolerance) return 'not-yet-valid';
  if (exp < iat) return 'invalid-claim';
  if (exp - iat > rules.maxLifetimeSeconds) return 'lifetime-too-long';
  if (jti === undefined) {
    if (rules.requireJti) return 'missing-claim';
  } else if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    return 'invalid-claim';
  return undefined;
}

/** Freezes a decoded claims set and everything in it (a cache hit hands one object to several callers). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
