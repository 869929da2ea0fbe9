import { ForbiddenError } from '@latchkey/errors';
import type { CredentialSource } from './credentials.js';

/**
 * What the Origin rule reads about one request. Header values are passed as received (`undefined` when
 * the header is absent); nothing here parses a URL the client chose beyond its origin.
 */
export interface OriginCheckInput {
  /** The `Origin` header value, or `undefined` when absent. `'null'` is a foreign origin. */
  readonly origin: string | undefined;
  /** The `Host` header value: the server's own origin is `http://` + it. */
  readonly host: string | undefined;
  /** Where the credential that authenticated the request came from. */
  readonly source: CredentialSource;
  /** The request method, compared case-sensitively (`get` is not `GET`, so it is checked). */
  readonly method: string;
  /** Origins allowed besides the server's own, normalized as {@link parseAllowedOrigins} returns them. */
  readonly allowedOrigins?: ReadonlySet<string> | readonly string[] | undefined;
  /** `true` for a WebSocket upgrade: checked whatever the method. */
  readonly isUpgrade?: boolean | undefined;
}

/** The outcome of {@link checkOrigin}, in the house decision shape. */
export type OriginDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'FORBIDDEN'; readonly reason: 'origin' };

const ALLOW: OriginDecision = Object.freeze({ ok: true });
const DENY: OriginDecision = Object.freeze({ ok: false, code: 'FORBIDDEN', reason: 'origin' });

// An origin as browsers serialise it (RFC 6454 §6.1): scheme "://" host [":" port], nothing else. A
// path, query, fragment, userinfo, whitespace or a list (`a, b` from a repeated header) never matches;
// hosts are held to unreserved characters (browsers send IDNs as punycode).
const ORIGIN_SYNTAX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~]+)(?::(\d{1,5}))?$/;
// A Host header (RFC 9110 §7.2): host [":" port].
const HOST_SYNTAX = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~]+)(?::(\d{1,5}))?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

function serialise(scheme: string, host: string, port: string | undefined): string | undefined {
  const lowerScheme = scheme.toLowerCase();
  const lowerHost = host.toLowerCase();
  if (port === undefined || port === '') return `${lowerScheme}://${lowerHost}`;
  const value = Number(port);
  if (value > 65_535) return undefined;
  const canonical = String(value);
  if (DEFAULT_PORTS[lowerScheme] === canonical) return `${lowerScheme}://${lowerHost}`;
  return `${lowerScheme}://${lowerHost}:${canonical}`;
}

/**
 * An origin in canonical form (scheme and host lower-cased, a default port dropped, leading zeros of the
 * port removed), or `undefined` when `value` is not exactly an origin: `null`, a URL with a path, a list,
 * userinfo, a port over 65535. No IDNA or percent-decoding is done: browsers send the ASCII form.
 *
 * @example
 * ```ts
 * normalizeOrigin('HTTPS://Console.Example.com:443'); // 'https://console.example.com'
 * normalizeOrigin('null');                            // undefined
 * ```
 */
export function normalizeOrigin(value: string): string | undefined {
  const match = ORIGIN_SYNTAX.exec(value);
  if (match === null) return undefined;
  return serialise(match[1] as string, match[2] as string, match[3]);
}

/** `http://` + the Host header, normalized; `undefined` when the header is absent or not a host. */
function ownOrigin(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const match = HOST_SYNTAX.exec(host);
  if (match === null) return undefined;
  return serialise('http', match[1] as string, match[2]);
}

/**
 * Parses a comma-separated list of origins (the format of `LATCHKEY_ALLOWED_ORIGINS`) into a frozen set
 * of normalized origins. Blank entries are skipped; `undefined` or a blank string gives an empty set.
 * Throws a `TypeError` naming the position of an entry that is not an origin (`*` and `null` included):
 * a typo in configuration must stop the server, not silently allow nothing or everything.
 *
 * @example
 * ```ts
 * parseAllowedOrigins('https://Console.example.com, http://localhost:8080');
 * // Set { 'https://console.example.com', 'http://localhost:8080' }
 * ```
 */
export function parseAllowedOrigins(list: string | undefined): ReadonlySet<string> {
  const origins = new Set<string>();
  if (list === undefined) return Object.freeze(origins);
  if (typeof list !== 'string') throw new TypeError('allowed origins must be a comma-separated string');
  list.split(',').forEach((entry, index) => {
    const trimmed = entry.trim();
    if (trimmed === '') return;
    const origin = normalizeOrigin(trimmed);
    if (origin === undefined) throw new TypeError(`allowed origin #${index + 1} is not an origin`);
    origins.add(origin);
  });
  return Object.freeze(origins);
}

function isAllowed(origin: string, allowed: OriginCheckInput['allowedOrigins']): boolean {
  if (allowed === undefined) return false;
  return 'has' in allowed ? allowed.has(origin) : allowed.includes(origin);
}

/**
 * The Origin rule (T11: CSRF and cross-site WebSocket hijacking), as a decision. A request whose
 * credential came from the cookie or the query string, and which is a WebSocket upgrade or uses any
 * method but `GET` and `HEAD`, is refused when it carries an `Origin` that is neither the server's own
 * (`http://` + `Host`) nor one of `allowedOrigins`. `Origin: null` is foreign. A request without
 * `Origin` is not a browser's and is not refused for it; one authenticated by the `Authorization`
 * header is never refused for its Origin (a page on another origin cannot set that header).
 *
 * @example
 * ```ts
 * checkOrigin({ origin: 'https://evil.example', host: '127.0.0.1:8080', source: 'cookie', method: 'POST' });
 * // { ok: false, code: 'FORBIDDEN', reason: 'origin' }
 * ```
 */
export function checkOrigin(input: OriginCheckInput): OriginDecision {
  const { origin, source, method } = input;
  if (source !== 'cookie' && source !== 'query') return ALLOW;
  if (input.isUpgrade !== true && (method === 'GET' || method === 'HEAD')) return ALLOW;
  if (origin === undefined) return ALLOW;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return DENY;
  if (normalized === ownOrigin(input.host)) return ALLOW;
  return isAllowed(normalized, input.allowedOrigins) ? ALLOW : DENY;
}

/**
 * {@link checkOrigin} that throws: `ForbiddenError` (403 `FORBIDDEN`, reason `origin`) on a refusal.
 *
 * @example
 * ```ts
 * assertOrigin({ origin: request.headers.get('origin') ?? undefined, host: request.headers.get('host') ?? undefined,
 *   source, method: request.method, allowedOrigins });
 * ```
 */
export function assertOrigin(input: OriginCheckInput): void {
  if (!checkOrigin(input).ok) throw new ForbiddenError('origin');
}
