/** What a redacted value is replaced with. */
export const REDACTED = 'REDACTED';

/**
 * `url` with the value of every query parameter named in `params` replaced by `REDACTED`, for logs.
 * Names match case-insensitively and after form-decoding (so `t%6Fken=` is caught too); the rest of
 * the URL is kept byte for byte. Works on absolute URLs and on node's origin-form `req.url`. Total.
 *
 * @example
 * ```ts
 * redactUrl('/api/events?token=eyJ…&since=5', ['token']); // '/api/events?token=REDACTED&since=5'
 * ```
 */
export function redactUrl(url: string, params: readonly string[] = ['token']): string {
  const hash = url.indexOf('#');
  const end = hash === -1 ? url.length : hash;
  const question = url.indexOf('?');
  // A `?` inside the fragment starts no query.
  if (question === -1 || question > end) return url;
  const names = new Set(params.map((param) => param.toLowerCase()));
  const parts = url.slice(question + 1, end).split('&');
  const redacted = parts.map((part) => {
    const eq = part.indexOf('=');
    if (eq === -1) return part;
    // Decode the name exactly as URLSearchParams (and so extractCredentials) would.
    const name = new URLSearchParams(`${part.slice(0, eq)}=`).keys().next().value ?? '';
    return names.has(name.toLowerCase()) ? `${part.slice(0, eq)}=${REDACTED}` : part;
  });
  return `${url.slice(0, question + 1)}${redacted.join('&')}${url.slice(end)}`;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization']);
const COOKIE_HEADERS = new Set(['cookie', 'set-cookie']);

function redactCookies(value: string): string {
  return value
    .split(';')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
    })
    .join(';');
}

function redactValue(name: string, value: string): string {
  if (CREDENTIAL_HEADERS.has(name)) {
    // Keep the scheme: "Bearer" vs "Basic" is useful in a log, the credential is not.
    const space = value.trim().indexOf(' ');
    return space === -1 ? REDACTED : `${value.trim().slice(0, space)} ${REDACTED}`;
  }
  if (COOKIE_HEADERS.has(name)) return redactCookies(value);
  return value;
}

/**
 * A plain copy of request or response headers that is safe to log: `Authorization` and
 * `Proxy-Authorization` keep only their scheme, and every cookie value in `Cookie` / `Set-Cookie` is
 * replaced by `REDACTED` (names kept). Names come out in lower case; repeated values are joined
 * with `, `.
 *
 * @example
 * ```ts
 * redactHeaders(request.headers); // { authorization: 'Bearer REDACTED', cookie: 'latchkey_auth=REDACTED', … }
 * ```
 */
export function redactHeaders(
  headers:
    | Iterable<readonly [string, string]>
    | Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: Iterable<readonly [string, unknown]> =
    Symbol.iterator in headers
      ? (headers as Iterable<readonly [string, string]>)
      : Object.entries(headers as Readonly<Record<string, unknown>>);
  for (const [rawName, rawValue] of entries) {
    const name = rawName.toLowerCase();
    const values = Array.isArray(rawValue) ? rawValue : [rawValue];
    for (const value of values) {
      if (typeof value !== 'string') continue;
      const safe = redactValue(name, value);
      out[name] = out[name] === undefined ? safe : `${out[name]}, ${safe}`;
    }
  }
  return out;
}
