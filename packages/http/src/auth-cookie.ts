/** The cookie name DESIGN.md gives the console's access token. */
export const DEFAULT_AUTH_COOKIE_NAME = 'latchkey_auth';

/** Where the auth cookie lives; shared by {@link serializeAuthCookie} and {@link clearAuthCookie}. */
export interface AuthCookieScope {
  /** Cookie name, an RFC 9110 token. Default `latchkey_auth`. */
  readonly name?: string | undefined;
  /** Send `Secure` (HTTPS only). Default `true`; `false` only for plain-HTTP development on loopback. */
  readonly secure?: boolean | undefined;
  /**
   * Prefix the name with `__Host-`: the browser then accepts the cookie only with `Secure`, `Path=/`
   * and no `Domain`, so no sibling subdomain can set or shadow it. Default `false`.
   */
  readonly hostPrefix?: boolean | undefined;
  /** `Path`. Default `/` (the only value `__Host-` allows). */
  readonly path?: string | undefined;
  /** `Domain`. Default none (host-only, the safest); refused with `__Host-`. */
  readonly domain?: string | undefined;
}

/** Options of {@link serializeAuthCookie}: the scope plus the token's lifetime (exactly one of the two). */
export interface AuthCookieOptions extends AuthCookieScope {
  /** The cookie's lifetime in seconds (`Max-Age`), e.g. the access token's `ttlSeconds`. */
  readonly maxAgeSeconds?: number | undefined;
  /** The token's `exp` (epoch seconds): `Max-Age` is the time left until then, at least 0. */
  readonly expiresAtSeconds?: number | undefined;
  /** Clock in epoch milliseconds, read with `expiresAtSeconds`. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

// RFC 9110 token: what a cookie name may be.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 §4.1.1 cookie-octet: visible ASCII but `"`, `,`, `;`, `\`. A token is never quoted.
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
// A path-value: any CHAR but CTLs and `;` (RFC 6265 §4.1.1), starting with `/`.
const PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;
// A host name (letters, digits, hyphens, dots), optionally with the legacy leading dot.
const DOMAIN =
  /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Browsers drop a cookie whose name and value together exceed 4096 bytes (RFC 6265 §6.1): refuse it loudly. */
const MAX_COOKIE_BYTES = 4096;

/** The `name=…; attributes` tail shared by setting and clearing, validated once. */
function scope(options: AuthCookieScope, caller: string): { name: string; attributes: string } {
  const { hostPrefix = false, path = '/', domain } = options;
  let name = options.name ?? DEFAULT_AUTH_COOKIE_NAME;
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new TypeError(`${caller}: name must be an RFC 9110 token`);
  }
  if (hostPrefix === true && !name.startsWith('__Host-')) name = `__Host-${name}`;
  // Browsers match the prefixes case-insensitively: a `__HOST-` name gets the same rules.
  const lower = name.toLowerCase();
  const host = lower.startsWith('__host-');
  const secure = options.secure ?? true;
  if (typeof secure !== 'boolean') throw new TypeError(`${caller}: secure must be a boolean`);
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new TypeError(`${caller}: path must start with / and hold no ; or control characters`);
  }
  if (domain !== undefined && (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain))) {
    throw new TypeError(`${caller}: domain must be a host name`);
  }
  if (host && (!secure || path !== '/' || domain !== undefined)) {
    throw new TypeError(`${caller}: a __Host- cookie needs Secure, Path=/ and no Domain`);
  }
  if (lower.startsWith('__secure-') && !secure) {
    throw new TypeError(`${caller}: a __Secure- cookie needs Secure`);
  }
  const attributes = `; Path=${path}${domain === undefined ? '' : `; Domain=${domain}`}; HttpOnly${
    secure ? '; Secure' : ''
  }; SameSite=Strict`;
  return { name, attributes };
}

function maxAgeOf(options: AuthCookieOptions): number {
  const { maxAgeSeconds, expiresAtSeconds } = options;
  if ((maxAgeSeconds === undefined) === (expiresAtSeconds === undefined)) {
    throw new TypeError('serializeAuthCookie: give exactly one of maxAgeSeconds and expiresAtSeconds');
  }
  if (maxAgeSeconds !== undefined) {
    if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
      throw new TypeError('serializeAuthCookie: maxAgeSeconds must be an integer >= 0');
    }
    return maxAgeSeconds;
  }
  if (!Number.isSafeInteger(expiresAtSeconds)) {
    throw new TypeError('serializeAuthCookie: expiresAtSeconds must be an integer (epoch seconds)');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('serializeAuthCookie: now must be a function');
  const nowMs = now();
  if (!Number.isFinite(nowMs))
    throw new TypeError('serializeAuthCookie: now() must return epoch milliseconds');
  // Floor the time left: the cookie never outlives the token.
  return Math.max(0, (expiresAtSeconds as number) - Math.ceil(nowMs / 1000));
}

/**
 * A `Set-Cookie` value carrying an auth token with safe defaults: `HttpOnly` (no script reads it),
 * `SameSite=Strict` (no cross-site request carries it: T11), `Path=/`, `Secure` unless
 * `secure: false`, and `Max-Age` from the token's lifetime — `maxAgeSeconds`, or the time left until
 * `expiresAtSeconds` (the token's `exp`), so the cookie never outlives the token. `hostPrefix: true`
 * names it `__Host-<name>` (Secure, `Path=/`, no `Domain`, enforced).
 *
 * Throws `TypeError` for a value or name that is not cookie-safe (RFC 6265 cookie-octets, an RFC 9110
 * token name), for a cookie over 4096 bytes (browsers drop it silently), and for contradicting options.
 *
 * @example
 * ```ts
 * const { token, claims } = await issuer.issue(userId);
 * const setCookie = serializeAuthCookie(token, { expiresAtSeconds: claims.expiresAtSeconds });
 * // 'latchkey_auth=eyJ…; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict'
 * ```
 */
export function serializeAuthCookie(token: string, options: AuthCookieOptions): string {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('serializeAuthCookie: options with maxAgeSeconds or expiresAtSeconds are required');
  }
  const { name, attributes } = scope(options, 'serializeAuthCookie');
  if (typeof token !== 'string' || !COOKIE_VALUE.test(token)) {
    throw new TypeError('serializeAuthCookie: token must be a non-empty string of cookie-safe characters');
  }
  if (name.length + 1 + token.length > MAX_COOKIE_BYTES) {
    throw new TypeError('serializeAuthCookie: name and token exceed the 4096 bytes browsers keep');
  }
  return `${name}=${token}; Max-Age=${maxAgeOf(options)}${attributes}`;
}

/**
 * A `Set-Cookie` value that removes the auth cookie (empty value, `Max-Age=0`), for logout. Give it the
 * same `name`, `hostPrefix`, `path` and `domain` as when setting: a browser removes only the cookie
 * with that exact name, path and domain.
 *
 * @example
 * ```ts
 * response.headers.append('set-cookie', clearAuthCookie({ hostPrefix: true }));
 * // '__Host-latchkey_auth=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'
 * ```
 */
export function clearAuthCookie(options: AuthCookieScope = {}): string {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('clearAuthCookie: options must be an object');
  const { name, attributes } = scope(options, 'clearAuthCookie');
  return `${name}=; Max-Age=0${attributes}`;
}
