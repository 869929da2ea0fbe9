// The framework-free order of checks every latchkey adapter runs (DESIGN's console): authentication
// (401) → revocation (401, or 503 while the view is stale) → Origin (403) → route policy (403). It only
// calls the primitives and decides nothing itself; `@latchkey/express`, `@latchkey/fastify` and
// `@latchkey/hono` add the framework glue. The ports are structural, so this package imports neither
// `@latchkey/tokens`, `@latchkey/registry` nor `@latchkey/guards`.
import { type Authenticated, authenticate } from './authenticate.js';
import type { HeaderSource } from './headers.js';
import { assertOrigin } from './origin.js';

/**
 * Who a verified credential belongs to, with what the revocation check needs. `AccessClaims` from
 * `@latchkey/tokens` fits.
 *
 * @example
 * ```ts
 * const identity: RevocableIdentity = { userId: 'ada', issuedAtMs: Date.now() };
 * ```
 */
export interface RevocableIdentity {
  /** The user the token was issued to (`sub`). */
  readonly userId: string;
  /** When the token was issued, in milliseconds since the epoch (`iat_ms`). */
  readonly issuedAtMs: number;
}

/**
 * Verifies one token; `createAccessTokenVerifier(…)` from `@latchkey/tokens` fits.
 *
 * @example
 * ```ts
 * const verifier: IdentityVerifier<AccessClaims> = createAccessTokenVerifier({ publicKey, issuer, audience });
 * ```
 */
export interface IdentityVerifier<Identity> {
  /** Returns the token's identity, or throws a 401 `LatchkeyError` (`UNAUTHENTICATED`, …) for a bad token. */
  verify(token: string): Identity | Promise<Identity>;
}

/**
 * The revocation check on every request; `createRegistry(…)` from `@latchkey/registry` fits. Throws
 * `UNAUTHENTICATED` (401) for a token issued at or before its user's last logout, `STORE_UNAVAILABLE`
 * (503) while its view of logouts may be stale.
 *
 * @example
 * ```ts
 * const revocation: RevocationCheck = createRegistry({ bus, watermarkTtlMs: 900_000 });
 * ```
 */
export interface RevocationCheck {
  assertNotRevoked(userId: string, issuedAtMs: number): Promise<void>;
}

/**
 * What the route policy reads: an object whose own `role` is the caller's role. The same shape as
 * `@latchkey/guards`' `Identity`, declared here so that this package does not depend on guards.
 *
 * @example
 * ```ts
 * const subject: PolicySubject = { role: 'editor' };
 * ```
 */
export interface PolicySubject {
  readonly role?: unknown;
}

/**
 * What is applied to the method and full path of every authenticated request; `createRoutePolicy(…)`
 * from `@latchkey/guards` fits. Throws the `LatchkeyError` to answer (`FORBIDDEN`, 403).
 *
 * @example
 * ```ts
 * const policy: RequestPolicy = createRoutePolicy([{ method: 'GET', path: '/api/me', minRole: 'viewer' }]);
 * ```
 */
export interface RequestPolicy {
  assert(method: string, path: string, identity: PolicySubject | null | undefined): void;
}

/**
 * Options of {@link createRequestAuthorizer}, and of the Express, Fastify and Hono adapters.
 *
 * @example
 * ```ts
 * const options: RequestAuthorizerOptions<AccessClaims> = {
 *   verifier, revocation: registry, policy, queryTokenPaths: ['/api/events'],
 * };
 * ```
 */
export interface RequestAuthorizerOptions<Identity extends RevocableIdentity = RevocableIdentity> {
  /** Verifies a token (`createAccessTokenVerifier`). */
  readonly verifier: IdentityVerifier<Identity>;
  /** Refuses tokens issued before their user's last logout (`createRegistry`). Required: logout must end every token. */
  readonly revocation: RevocationCheck;
  /** The route policy applied to the method and full path of every authenticated request (`createRoutePolicy`). */
  readonly policy: RequestPolicy;
  /** The cookie tried after the header (T8). Default `latchkey_auth`; `false` reads no cookie. */
  readonly cookieName?: string | false | undefined;
  /** Full paths (exact, no query) on which `?token=` is read too, e.g. `['/api/events']`. Default none. */
  readonly queryTokenPaths?: readonly string[] | undefined;
  /** The query parameter read on `queryTokenPaths`. Default `token`. */
  readonly queryParam?: string | undefined;
  /** Origins allowed besides the server's own for cookie- and query-authenticated mutations (`parseAllowedOrigins`). */
  readonly allowedOrigins?: ReadonlySet<string> | readonly string[] | undefined;
  /**
   * What the route policy reads the role from: an object with an own `role`. Default: the identity's
   * `custom` claims when it has them (an access token's `{ role }`), else the identity itself.
   */
  readonly subjectOf?: ((identity: Identity) => PolicySubject | null | undefined) | undefined;
}

/**
 * One request, as every framework can describe it.
 *
 * @example
 * ```ts
 * const facts: RequestFacts = {
 *   headers: req.headers, url: req.originalUrl, method: req.method, path: pathOf(req.originalUrl),
 *   origin: req.headers.origin, host: req.headers.host,
 * };
 * ```
 */
export interface RequestFacts {
  readonly headers: HeaderSource;
  /** Origin-form (`/path?query`) or absolute URL: read for `?token=` only. */
  readonly url: string;
  readonly method: string;
  /** The full path, from the server's root (mount points and prefixes included), without the query. */
  readonly path: string;
  readonly origin: string | undefined;
  readonly host: string | undefined;
}

/**
 * Runs the checks for one request and returns who it is, or throws the `LatchkeyError` to answer.
 *
 * @example
 * ```ts
 * const { identity, source } = await authorize(facts); // source: 'header' | 'cookie' | 'query'
 * ```
 */
export type RequestAuthorizer<Identity> = (request: RequestFacts) => Promise<Authenticated<Identity>>;

const EMPTY: PolicySubject = Object.freeze({});

function defaultSubject(identity: unknown): PolicySubject {
  const custom = (identity as { custom?: unknown }).custom;
  if (typeof custom === 'object' && custom !== null) return custom as PolicySubject;
  return typeof identity === 'object' && identity !== null ? (identity as PolicySubject) : EMPTY;
}

/**
 * Checks the options once (a missing port or a bad `queryTokenPaths` entry is a `TypeError`) and
 * returns the per-request checks, in DESIGN's order: authentication (`Authorization: Bearer`, then the
 * cookie, then `?token=` on `queryTokenPaths`; a revoked token counts as a rejected credential) →
 * revocation (`STORE_UNAVAILABLE`, 503, propagates at once) → Origin (403 for a cookie- or
 * query-authenticated mutation from a foreign origin) → the route policy on the full path (403).
 *
 * @example
 * ```ts
 * const authorize = createRequestAuthorizer({ verifier, revocation: registry, policy });
 * const { identity } = await authorize({
 *   headers: req.headers, url: req.url, method: req.method, path: pathOf(req.url),
 *   origin: req.headers.origin, host: req.headers.host,
 * });
 * ```
 */
export function createRequestAuthorizer<Identity extends RevocableIdentity>(
  options: RequestAuthorizerOptions<Identity>,
): RequestAuthorizer<Identity> {
  if (typeof options !== 'object' || options === null) throw new TypeError('latchkey: options are required');
  const { verifier, revocation, policy } = options;
  if (typeof verifier?.verify !== 'function')
    throw new TypeError('latchkey: verifier.verify must be a function');
  if (typeof revocation?.assertNotRevoked !== 'function') {
    throw new TypeError('latchkey: revocation.assertNotRevoked must be a function');
  }
  if (typeof policy?.assert !== 'function') throw new TypeError('latchkey: policy.assert must be a function');
  const queryPaths = new Set<string>();
  for (const path of options.queryTokenPaths ?? []) {
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) {
      throw new TypeError('latchkey: queryTokenPaths are full paths starting with / and without a query');
    }
    queryPaths.add(path);
  }
  const cookieName = options.cookieName === false ? undefined : (options.cookieName ?? 'latchkey_auth');
  const subjectOf = options.subjectOf ?? defaultSubject;
  const allowedOrigins = options.allowedOrigins;

  // The revocation check runs inside `verify`: a revoked token is a rejected credential (401), so a
  // fresh cookie still wins over a stale header (T8), while STORE_UNAVAILABLE propagates at once.
  const verify = async (token: string): Promise<Identity> => {
    const identity = await verifier.verify(token);
    await revocation.assertNotRevoked(identity.userId, identity.issuedAtMs);
    return identity;
  };
  const base = {
    verify,
    queryParam: options.queryParam,
    ...(cookieName === undefined ? {} : { cookieName }),
  };
  const withoutQuery = { ...base, allowQuery: false };
  const withQuery = { ...base, allowQuery: true };

  return async (request) => {
    const authenticated = await authenticate(
      request,
      queryPaths.has(request.path) ? withQuery : withoutQuery,
    );
    assertOrigin({
      origin: request.origin,
      host: request.host,
      source: authenticated.source,
      method: request.method,
      allowedOrigins,
    });
    policy.assert(request.method, request.path, subjectOf(authenticated.identity));
    return authenticated;
  };
}

/**
 * The path part of an origin-form or absolute URL, without query or fragment.
 *
 * @example
 * ```ts
 * pathOf('/api/events?token=abc#x'); // '/api/events'
 * ```
 */
export function pathOf(url: string): string {
  let end = url.length;
  const question = url.indexOf('?');
  if (question !== -1) end = question;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  return end === url.length ? url : url.slice(0, end);
}
