import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { UnauthenticatedError } from '@latchkey/errors';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * The `typ` of console tokens: never accepted as a bootstrap or session token, and the reverse.
 *
 * @example
 * ```ts
 * await jwtVerify(token, publicKey, { typ: CONSOLE_TYP, algorithms: ['ES256'] });
 * ```
 */
export const CONSOLE_TYP = 'latchkey-console+jwt';
const ISSUER = 'latchkey-console';
const AUDIENCE = 'latchkey-console';

/** Who a console token belongs to. */
export interface ConsoleIdentity {
  readonly user: string;
  readonly role: string;
  readonly jti: string;
  /** Expiry, milliseconds since the epoch. */
  readonly expiresAt: number;
  /** Issue time in milliseconds: the registry compares it with the user's logout watermark. */
  readonly issuedAt: number;
}

/** Signs and verifies console tokens (ES256, explicit `typ`, issuer and audience checked). */
export interface ConsoleTokens {
  sign(user: string, role: string): Promise<{ token: string; identity: ConsoleIdentity }>;
  /** Throws `UNAUTHENTICATED` (`invalid` or `expired`) without verifier detail. */
  verify(token: string): Promise<ConsoleIdentity>;
}

/**
 * Console tokens on jose: ES256 only, `typ` checked, one-hour lifetime by default. The issue time is
 * also carried in milliseconds (`iat_ms`), so a login right after a logout in the same second is not
 * mistaken for a token issued before it.
 *
 * @example
 * ```ts
 * const tokens = createConsoleTokens({ privateKey, publicKey });
 * const { token } = await tokens.sign('alice', 'editor');
 * ```
 */
export function createConsoleTokens(options: {
  privateKey: KeyObject;
  publicKey: KeyObject;
  ttlSeconds?: number;
  now?: () => number;
}): ConsoleTokens {
  const ttl = options.ttlSeconds ?? 3_600;
  const now = options.now ?? Date.now;
  return {
    async sign(user, role) {
      const issuedAt = now();
      const iat = Math.floor(issuedAt / 1000);
      const jti = randomUUID();
      const token = await new SignJWT({ role, iat_ms: issuedAt })
        .setProtectedHeader({ alg: 'ES256', typ: CONSOLE_TYP })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(user)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttl)
        .setJti(jti)
        .sign(options.privateKey);
      return { token, identity: { user, role, jti, issuedAt, expiresAt: (iat + ttl) * 1000 } };
    },
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, options.publicKey, {
          algorithms: ['ES256'],
          typ: CONSOLE_TYP,
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
          clockTolerance: 5,
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw new UnauthenticatedError(error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid');
      }
      const { sub, jti, exp, iat, role, iat_ms: iatMs } = payload;
      if (
        typeof sub !== 'string' ||
        sub === '' ||
        typeof jti !== 'string' ||
        typeof role !== 'string' ||
        typeof exp !== 'number' ||
        typeof iat !== 'number'
      ) {
        throw new UnauthenticatedError('invalid');
      }
      const issuedAt = typeof iatMs === 'number' && Math.floor(iatMs / 1000) === iat ? iatMs : iat * 1000;
      return { user: sub, role, jti, issuedAt, expiresAt: exp * 1000 };
    },
  };
}
