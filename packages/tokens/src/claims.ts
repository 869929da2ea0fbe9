/**
 * Claim rules shared by both token kinds, beyond what jose checks by default: `exp`, `iat`, `sub`
 * required, a cap on `exp − iat`, a future `iat` beyond the tolerance refused, `sub` shaped like a
 * session id. Time comparisons follow jose exactly (whole seconds, `exp <= now − tolerance` is expired,
 * `nbf > now + tolerance` is not yet valid) so both paths agree at the boundaries.
 */
import type { TokenFailureReason } from '@latchkey/errors';

/** Session ids: URL-safe characters, 1 to 128 long (no braces, so they fit a Redis hash tag). */
export const SESSION_ID_PATTERN: RegExp = /^[A-Za-z0-9_-]{1,128}$/;

/** Longest `jti` accepted; ids are keys in a replay guard, so they are kept small. */
export const MAX_JTI_LENGTH = 256;

/** What {@link checkClaims} needs to know. */
export interface ClaimRules {
  readonly issuer: string;
  readonly audience: string;
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
  if (typeof sub !== 'string' || !SESSION_ID_PATTERN.test(sub)) return 'invalid-claim';
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

/** Checks a numeric option that must be an integer in `[min, max]`; throws `TypeError` otherwise. */
export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return chosen;
}

/** Checks a required non-empty string option; throws `TypeError` otherwise. */
export function stringOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  return value;
}
