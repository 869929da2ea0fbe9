import { type HeaderSource, headerValue } from './headers.js';

/** Where a credential came from, in the order they are tried. */
export type CredentialSource = 'header' | 'cookie' | 'query';

/** A well-formed credential found in a request. Whether it is *valid* is for `verify` to say. */
export interface Credential {
  readonly source: CredentialSource;
  readonly token: string;
}

/** The parts of a request credential extraction reads: a Fetch `Request` or a node `IncomingMessage` fits. */
export interface CredentialRequest {
  readonly headers: HeaderSource;
  /** Absolute (Fetch) or origin-form (`/path?query`, node:http). Read only when `allowQuery` is set. */
  readonly url?: string | undefined;
  /**
   * node:http's raw header list (`[name, value, name, value, …]`). node keeps only the first
   * `Authorization` in `headers`; this list (or `headersDistinct`) shows a second one, which is refused.
   */
  readonly rawHeaders?: readonly string[] | undefined;
  /** node:http's header lists by lower-case name, read when `rawHeaders` is absent. */
  readonly headersDistinct?: Readonly<Record<string, readonly string[] | undefined>> | undefined;
}

/** Where to look for a credential. */
export interface CredentialOptions {
  /** Name of the cookie that may carry the credential (e.g. `latchkey_auth`). No cookie is read without it. */
  readonly cookieName?: string | undefined;
  /** Read the credential from the query string too. Opt in per route (e.g. `EventSource` streams only). */
  readonly allowQuery?: boolean | undefined;
  /** Query parameter name, `token` by default. */
  readonly queryParam?: string | undefined;
  /** Credentials longer than this (in characters) are malformed, before any verification. Default 8192. */
  readonly maxTokenLength?: number | undefined;
}

/** Ordered, well-formed candidates, plus the sources that were present but not well formed. */
export interface CredentialExtraction {
  /** Header, then cookie, then query (when allowed); duplicates of an earlier token are dropped. */
  readonly candidates: readonly Credential[];
  /** Sources that carried something unusable: `Basic …`, `Bearer` alone, bad characters, too long. */
  readonly malformed: readonly CredentialSource[];
  /**
   * The request carried more than one `Authorization` field (DESIGN.md: 401). Then `candidates` is
   * empty and `malformed` is `['header']`: no other source is tried, since which header a proxy or
   * framework would have kept is anybody's guess.
   */
  readonly duplicateAuthorization: boolean;
}

/** Default cap on a credential's length, matching the 8 KiB token cap of DESIGN.md. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". Every source is held
// to it, so a cookie or query value can never smuggle spaces, commas, quotes or control characters.
// One native regex search for a character outside the set is several times faster than a JS loop.
const OUTSIDE_TOKEN = /[^A-Za-z0-9\-._~+/=]/;
const EQUALS = 61;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;

function isToken(value: string, max: number): boolean {
  const length = value.length;
  if (length === 0 || length > max || OUTSIDE_TOKEN.test(value)) return false;
  // Padding only at the end, after at least one other character.
  const eq = value.indexOf('=');
  if (eq === -1) return true;
  if (eq === 0) return false;
  for (let i = eq + 1; i < length; i++) if (value.charCodeAt(i) !== EQUALS) return false;
  return true;
}

const isOws = (code: number): boolean => code === SPACE || code === TAB;

/**
 * The token of an `Authorization: Bearer <token>` value, or `undefined` when the value is absent
 * (`undefined`, `null`, any non-string: pass `req.headers.authorization` as it is) or anything else
 * than one bearer credential (`Basic …`, `Bearer` alone, two tokens, characters outside RFC 6750's
 * b64token, longer than `maxTokenLength`). The scheme is case-insensitive (RFC 9110 §11.1); one or
 * more spaces separate it from the token; surrounding whitespace is ignored, as HTTP field values
 * exclude it. Never throws.
 *
 * @example
 * ```ts
 * parseBearer('bearer   abc.def.ghi'); // 'abc.def.ghi'
 * parseBearer('Basic dXNlcjpwYXNz'); // undefined
 * parseBearer(undefined); // undefined
 * ```
 */
export function parseBearer(
  value: string | null | undefined,
  maxTokenLength: number = DEFAULT_MAX_TOKEN_LENGTH,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  // `x | 0x20` lower-cases an ASCII letter and maps no other character onto one.
  if (
    end - start < 8 ||
    (value.charCodeAt(start) | 0x20) !== 98 || // b
    (value.charCodeAt(start + 1) | 0x20) !== 101 || // e
    (value.charCodeAt(start + 2) | 0x20) !== 97 || // a
    (value.charCodeAt(start + 3) | 0x20) !== 114 || // r
    (value.charCodeAt(start + 4) | 0x20) !== 101 || // e
    (value.charCodeAt(start + 5) | 0x20) !== 114 || // r
    value.charCodeAt(start + 6) !== SPACE
  ) {
    return undefined;
  }
  let tokenStart = start + 7;
  while (tokenStart < end && value.charCodeAt(tokenStart) === SPACE) tokenStart++;
  if (end - tokenStart > maxTokenLength) return undefined;
  const token = value.slice(tokenStart, end);
  return isToken(token, maxTokenLength) ? token : undefined;
}

/** Result of looking a cookie up: absent, present but unusable, or its token. */
type Lookup = undefined | null | string;

/**
 * The first cookie named `name` in a `Cookie` header (RFC 6265 §4.2.1 / §5.2 parsing: pairs split on
 * `;`, optional whitespace trimmed, one pair of surrounding double quotes removed, no percent-decoding).
 * Returns `undefined` when absent, `null` when present but not a well-formed token.
 */
function lookupCookie(header: string, name: string, max: number): Lookup {
  const length = header.length;
  let pos = 0;
  while (pos < length) {
    let end = header.indexOf(';', pos);
    if (end === -1) end = length;
    let nameStart = pos;
    while (nameStart < end && isOws(header.charCodeAt(nameStart))) nameStart++;
    const eq = header.indexOf('=', nameStart);
    if (eq !== -1 && eq < end) {
      let nameEnd = eq;
      while (nameEnd > nameStart && isOws(header.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd - nameStart === name.length && header.startsWith(name, nameStart)) {
        let valueStart = eq + 1;
        let valueEnd = end;
        while (valueStart < valueEnd && isOws(header.charCodeAt(valueStart))) valueStart++;
        while (valueEnd > valueStart && isOws(header.charCodeAt(valueEnd - 1))) valueEnd--;
        if (
          valueEnd - valueStart >= 2 &&
          header.charCodeAt(valueStart) === QUOTE &&
          header.charCodeAt(valueEnd - 1) === QUOTE
        ) {
          valueStart++;
          valueEnd--;
        }
        if (valueEnd - valueStart > max) return null;
        const value = header.slice(valueStart, valueEnd);
        return isToken(value, max) ? value : null;
      }
    }
    pos = end + 1;
  }
  return undefined;
}

/**
 * The value of cookie `name` in a `Cookie` header, or `undefined` when it is absent or not a
 * well-formed token. The first pair with that exact (case-sensitive) name wins; values are not
 * percent-decoded.
 *
 * @example
 * ```ts
 * readCookie('theme=dark; latchkey_auth="abc.def"', 'latchkey_auth'); // 'abc.def'
 * ```
 */
export function readCookie(
  header: string,
  name: string,
  maxTokenLength: number = DEFAULT_MAX_TOKEN_LENGTH,
): string | undefined {
  return lookupCookie(header, name, maxTokenLength) ?? undefined;
}

/** The first value of query parameter `name` in `url` (form-decoded, as `URLSearchParams` reads it). */
function lookupQuery(url: string, name: string, max: number): Lookup {
  const question = url.indexOf('?');
  const hash = url.indexOf('#');
  const end = hash === -1 ? url.length : hash;
  // A `?` inside the fragment starts no query.
  if (question === -1 || question > end) return undefined;
  const value = new URLSearchParams(url.slice(question + 1, end)).get(name);
  if (value === null) return undefined;
  return isToken(value, max) ? value : null;
}

// RFC 9110 token: what a cookie name may be.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// The last cookie name that passed validation: routes reuse one name, so the regex runs once.
let knownCookieName = '';

function checkOptions(options: CredentialOptions): void {
  const { cookieName, queryParam, maxTokenLength } = options;
  if (cookieName !== undefined && cookieName !== knownCookieName) {
    if (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName)) {
      throw new TypeError('cookieName must be an RFC 6265 cookie name');
    }
    knownCookieName = cookieName;
  }
  if (queryParam !== undefined && (typeof queryParam !== 'string' || queryParam.length === 0)) {
    throw new TypeError('queryParam must be a non-empty string');
  }
  if (maxTokenLength !== undefined && !(Number.isSafeInteger(maxTokenLength) && maxTokenLength > 0)) {
    throw new TypeError('maxTokenLength must be a positive integer');
  }
}

const NONE: readonly CredentialSource[] = Object.freeze([]);
const NO_OPTIONS: CredentialOptions = Object.freeze({});
const DUPLICATE: CredentialExtraction = Object.freeze({
  candidates: Object.freeze([]) as readonly Credential[],
  malformed: Object.freeze(['header']) as readonly CredentialSource[],
  duplicateAuthorization: true,
});
const AUTHORIZATION = 'authorization';

/**
 * Whether node:http saw a second `Authorization` field, which it drops from `headers` but keeps in
 * `rawHeaders` / `headersDistinct`.
 */
function hasSecondAuthorization(request: CredentialRequest): boolean {
  const raw = request.rawHeaders;
  if (Array.isArray(raw)) {
    let seen = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name: unknown = raw[i];
      // The two usual spellings compare without allocating; anything else of the right length is lower-cased.
      if (
        typeof name === 'string' &&
        name.length === 13 &&
        (name === 'Authorization' || name === AUTHORIZATION || name.toLowerCase() === AUTHORIZATION) &&
        ++seen > 1
      ) {
        return true;
      }
    }
    return false;
  }
  const distinct = request.headersDistinct;
  if (typeof distinct === 'object' && distinct !== null) {
    const values: unknown = distinct[AUTHORIZATION];
    return Array.isArray(values) && values.length > 1;
  }
  return false;
}

/**
 * Every well-formed credential a request carries, in the order they must be tried: the
 * `Authorization: Bearer` header, then the named cookie (the first of that name), then (only when
 * `allowQuery` is set) the query parameter. Two `Authorization` fields (seen through node's
 * `rawHeaders` / `headersDistinct`, or joined with a comma by Fetch) yield no candidate at all
 * (`duplicateAuthorization`), so `authenticate` answers 401 without trying the cookie. Pure,
 * synchronous and total: any header content yields a result, never a throw (bad `options` throw a
 * `TypeError`).
 *
 * @example
 * ```ts
 * const { candidates } = extractCredentials(request, { cookieName: 'latchkey_auth' });
 * // [{ source: 'header', token: '…' }, { source: 'cookie', token: '…' }]
 * ```
 */
export function extractCredentials(
  request: CredentialRequest,
  options: CredentialOptions = NO_OPTIONS,
): CredentialExtraction {
  checkOptions(options);
  const max = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const candidates: Credential[] = [];
  let malformed: CredentialSource[] | undefined;

  const authorization = headerValue(request.headers, AUTHORIZATION, ', ');
  if (authorization !== undefined) {
    const token = parseBearer(authorization, max);
    // A Fetch `Headers` (or a node record holding an array) joins repeated fields with `, `. A bearer
    // token never holds a comma (RFC 6750 b64token) and `Authorization` is a singleton field, so a
    // comma means two fields; parseBearer has refused such a value already, so the happy path pays
    // only for a walk over node's raw list.
    if ((token === undefined && authorization.includes(',')) || hasSecondAuthorization(request))
      return DUPLICATE;
    if (token === undefined) malformed = ['header'];
    else candidates.push({ source: 'header', token });
  }

  const { cookieName } = options;
  if (cookieName !== undefined) {
    const cookies = headerValue(request.headers, 'cookie', '; ');
    if (cookies !== undefined) add(lookupCookie(cookies, cookieName, max), 'cookie');
  }

  if (options.allowQuery === true && typeof request.url === 'string') {
    add(lookupQuery(request.url, options.queryParam ?? 'token', max), 'query');
  }

  return { candidates, malformed: malformed ?? NONE, duplicateAuthorization: false };

  function add(found: Lookup, source: CredentialSource): void {
    if (found === undefined) return;
    if (found === null) {
      malformed ??= [];
      malformed.push(source);
    } else if (!candidates.some((candidate) => candidate.token === found)) {
      // The same token from a second source would verify the same way: try it once.
      candidates.push({ source, token: found });
    }
  }
}
