/**
 * Structural checks shared by both token kinds, done before any signature work: size cap, three
 * canonical base64url segments, strict JSON (no duplicate members), and the header rules of RFC 8725
 * (algorithm allow-list, exact `typ`, only `alg`, `typ` and `kid`: no `crit` extension, no key-locating headers).
 */
import type { TokenFailureReason } from '@latchkey/errors';
import { decodeCanonicalBase64url } from './base64url.js';
import { parseJsonObject } from './json.js';
import type { SignatureAlgorithm } from './signature.js';

/** Tokens longer than this (8 KiB) are refused before anything is parsed. */
export const MAX_TOKEN_LENGTH = 8192;

/** `typ` of a bootstrap token. */
export const BOOTSTRAP_TYP = 'latchkey-bootstrap+jwt';
/** `typ` of a session token. */
export const SESSION_TYP = 'latchkey-session+jwt';

/** `typ` of an access token (a logged-in user of a dashboard-like service). */
export const ACCESS_TYP = 'latchkey-access+jwt';

// The only header members any kind accepts. Everything else is refused: `crit`/`b64` as an extension
// this package does not understand, the rest (`jku`, `x5u`, `x5c`, `jwk`, `zip`, …) because a key or a
// transformation is never taken from the token.
const ALLOWED_HEADERS = new Set(['alg', 'typ', 'kid']);

/** The three segments of a compact JWS, as they appear in the token. */
export interface CompactParts {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `header.payload`, the bytes the signature covers. */
  readonly signingInput: string;
}

/** Splits a compact JWS after the size and shape checks; a string is a failure reason. */
export function splitCompact(token: unknown): CompactParts | TokenFailureReason {
  if (typeof token !== 'string' || token.length === 0) return 'missing';
  if (token.length > MAX_TOKEN_LENGTH) return 'too-large';
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return 'malformed';
  const signature = token.slice(second + 1);
  if (first === 0 || second === first + 1 || signature.length === 0) return 'malformed';
  return {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature,
    signingInput: token.slice(0, second),
  };
}

/** A protected header that passed {@link checkHeader}. */
export interface CheckedHeader {
  readonly alg: SignatureAlgorithm;
  /** The `kid` member, when present: it can only pick among keys the verifier was configured with. */
  readonly kid: string | undefined;
}

/**
 * Decodes and checks a protected header: canonical base64url, strict JSON, `alg` on the allow-list,
 * `typ` exactly `typ`, a string `kid` when present, and no other member.
 */
export function checkHeader(
  segment: string,
  typ: string,
  algorithms: readonly SignatureAlgorithm[],
): CheckedHeader | TokenFailureReason {
  const bytes = decodeCanonicalBase64url(segment);
  if (bytes === undefined) return 'non-canonical';
  const header = parseJsonObject(bytes);
  if (typeof header === 'string') return header;
  const { alg, kid } = header;
  if (typeof alg !== 'string') return 'malformed';
  if (!(algorithms as readonly string[]).includes(alg)) return 'alg-not-allowed';
  if (header.typ !== typ) return 'wrong-type';
  for (const name in header) {
    if (ALLOWED_HEADERS.has(name)) continue;
    // No extension is understood, so any `crit` is unknown (RFC 7515 §4.1.11); `b64` only means something with `crit`.
    return name === 'crit' || name === 'b64' ? 'crit' : 'forbidden-header';
  }
  if (kid !== undefined && typeof kid !== 'string') return 'malformed';
  return { alg: alg as SignatureAlgorithm, kid };
}

/** Decodes a claims segment into a JSON object. */
export function decodePayload(segment: string): Record<string, unknown> | TokenFailureReason {
  const bytes = decodeCanonicalBase64url(segment);
  if (bytes === undefined) return 'non-canonical';
  return parseJsonObject(bytes);
}

/** Decodes a signature segment. */
export function decodeSignature(segment: string): Buffer | TokenFailureReason {
  return decodeCanonicalBase64url(segment) ?? 'non-canonical';
}
