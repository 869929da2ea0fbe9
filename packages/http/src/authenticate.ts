import { LatchkeyError, UnauthenticatedError } from '@latchkey/errors';
import {
  type CredentialOptions,
  type CredentialRequest,
  type CredentialSource,
  extractCredentials,
} from './credentials.js';

/** Options of {@link authenticate}: where to look, and how to check what was found. */
export interface AuthenticateOptions<Identity> extends CredentialOptions {
  /**
   * Checks one credential and returns who it belongs to. To say "this credential is invalid", throw a
   * `LatchkeyError` with status 401 (`INVALID_SESSION_TOKEN`, `SESSION_REVOKED`, `UNAUTHENTICATED`, …):
   * the next source is tried. Anything else thrown (`STORE_UNAVAILABLE` from a revocation lookup, a
   * bug) propagates at once: an error while checking is a "no", never a reason to try another token.
   */
  readonly verify: (token: string, source: CredentialSource) => Identity | Promise<Identity>;
}

/** Who the request belongs to, and which source proved it. */
export interface Authenticated<Identity> {
  readonly identity: Identity;
  readonly source: CredentialSource;
}

/**
 * Whether `authenticate` reads `error` as "this credential is invalid, try the next one": a
 * `LatchkeyError` (brand check, safe across duplicate installs) whose status is 401.
 *
 * @example
 * ```ts
 * isCredentialRejection(new InvalidSessionTokenError('expired')); // true
 * isCredentialRejection(new StoreUnavailableError('timeout'));    // false: propagates
 * ```
 */
export function isCredentialRejection(error: unknown): boolean {
  return LatchkeyError.is(error) && error.status === 401;
}

/**
 * Authenticates a request from its credentials, tried in order (header, cookie, then query when
 * allowed), calling `verify` on each until one passes. This answers T8: a stale `Authorization`
 * header left behind by a silent refresh does not lock out a user whose cookie is fresh, while a valid
 * header always wins.
 *
 * Throws `UNAUTHENTICATED` (401) with reason `missing` (no credential at all), `malformed` (only
 * unusable ones) or `invalid` (every well-formed one was rejected; the first rejection is the
 * `cause`). Any error of `verify` that is not a 401 `LatchkeyError` propagates unchanged.
 *
 * @example
 * ```ts
 * const { identity, source } = await authenticate(request, {
 *   cookieName: 'latchkey_auth',
 *   allowQuery: url.pathname === '/api/events',
 *   verify: (token) => tokens.verify(token),
 * });
 * ```
 */
export async function authenticate<Identity>(
  request: CredentialRequest,
  options: AuthenticateOptions<Identity>,
): Promise<Authenticated<Identity>> {
  if (typeof options.verify !== 'function') throw new TypeError('verify must be a function');
  const { candidates, malformed } = extractCredentials(request, options);
  let firstRejection: unknown;
  for (const { token, source } of candidates) {
    try {
      return { identity: await options.verify(token, source), source };
    } catch (error) {
      if (!isCredentialRejection(error)) throw error;
      firstRejection ??= error;
    }
  }
  if (candidates.length > 0) throw new UnauthenticatedError('invalid', { cause: firstRejection });
  throw new UnauthenticatedError(malformed.length > 0 ? 'malformed' : 'missing');
}
