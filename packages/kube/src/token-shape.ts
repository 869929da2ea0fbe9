/** Service-account tokens are about 1 KiB; anything much larger is refused before it costs a review. */
export const MAX_TOKEN_BYTES = 8192;

const BASE64URL_PART = /^[A-Za-z0-9_-]+$/;

/** What the cheap pre-check learned about a token. */
export type TokenShape =
  | { readonly ok: true; readonly expSeconds: number | undefined }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'expired' };

/**
 * The cheap check that runs before any network call: three non-empty base64url parts, at most
 * {@link MAX_TOKEN_BYTES}, and, when the payload is readable JSON with a numeric `exp`, an `exp` not
 * in the past. Nothing here is trusted for identity: the API server verifies the token. `exp` is only
 * used to refuse early and to shorten how long a positive review is reused, both of which can only
 * make the answer stricter.
 *
 * @example
 * ```ts
 * const shape = checkTokenShape(token, Date.now());
 * if (!shape.ok) throw new UnauthenticatedError(shape.reason);
 * ```
 */
export function checkTokenShape(token: string, nowMs: number): TokenShape {
  if (token.length === 0) return { ok: false, reason: 'missing' };
  if (token.length > MAX_TOKEN_BYTES) return { ok: false, reason: 'malformed' };
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1)
    return { ok: false, reason: 'malformed' };
  if (token.indexOf('.', second + 1) !== -1) return { ok: false, reason: 'malformed' };
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (!BASE64URL_PART.test(header) || !BASE64URL_PART.test(payload) || !BASE64URL_PART.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  const expSeconds = readExpSeconds(payload);
  if (expSeconds !== undefined && expSeconds * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, expSeconds };
}

function readExpSeconds(payload: string): number | undefined {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const exp = (claims as { exp?: unknown }).exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
}
