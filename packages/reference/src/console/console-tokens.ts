import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import {
  type AccessClaims,
  type AccessTokenIssuer,
  type AccessTokenVerifier,
  createAccessTokenIssuer,
  createAccessTokenVerifier,
} from '@latchkey/tokens';

/** The roles of the console's ladder, lowest first. */
export const CONSOLE_ROLES = ['viewer', 'editor', 'admin'] as const;
/** One of {@link CONSOLE_ROLES}. */
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** The console's custom claim: the role the user logged in with. */
// A type, not an interface: the issuer's `Custom` needs an index-signature-compatible shape.
export type ConsoleClaims = { readonly role: ConsoleRole };

/** A verified console access token. */
export type ConsoleIdentity = AccessClaims<ConsoleClaims>;

/** Issues and verifies the console's access tokens. */
export interface ConsoleTokens {
  readonly issuer: AccessTokenIssuer<ConsoleClaims>;
  readonly verifier: AccessTokenVerifier<ConsoleClaims>;
}

const ISSUER = 'latchkey-console';
const AUDIENCE = 'latchkey-console';

const isRole = (value: unknown): value is ConsoleRole =>
  typeof value === 'string' && (CONSOLE_ROLES as readonly string[]).includes(value);

/**
 * The console's access tokens on `@latchkey/tokens` (DESIGN "Token formats": ES256, `typ`
 * `latchkey-access+jwt`, `iat_ms`, 128-bit `jti`, compact serialization without padding), with the
 * `role` custom claim checked on every verify (a token with an unknown role is refused).
 *
 * @example
 * ```ts
 * const { issuer, verifier } = createConsoleTokens({ privateKey });
 * const { token } = await issuer.issue('alice', { role: 'editor' });
 * ```
 */
export function createConsoleTokens(options: {
  readonly privateKey: KeyObject;
  /** Default 3600 s. */
  readonly ttlSeconds?: number;
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}): ConsoleTokens {
  const common = {
    issuer: ISSUER,
    audience: AUDIENCE,
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  return {
    issuer: createAccessTokenIssuer<ConsoleClaims>({
      ...common,
      privateKey: options.privateKey,
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    }),
    verifier: createAccessTokenVerifier<ConsoleClaims>({
      ...common,
      publicKey: createPublicKey(options.privateKey),
      validateCustom: (custom) => {
        if (!isRole(custom.role)) throw new TypeError('unknown role');
        return { role: custom.role };
      },
    }),
  };
}
