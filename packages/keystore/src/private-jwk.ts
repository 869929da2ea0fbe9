import type { KeyObject } from 'node:crypto';

/**
 * The storage form of a session private key: the text of its JWK, as sealed into the `:key` entry.
 *
 * Why there is a fast path: a caller that holds the private JWK already (from `generateSessionKeyPair`)
 * would otherwise pay an import into a `KeyObject` (~100 µs on Node 20) and an export back out
 * (~5 µs) per put, more than the round trip the put makes. A P-256 private JWK is instead checked
 * structurally (members, alphabet, lengths, ranges: well under 1 µs), then written from a template: only
 * the five members, in a fixed order, so nothing the caller added ever reaches the store. The curve
 * equation is left to the import on read: in BigInt arithmetic it cost more wall time per put than the
 * rest of the check (measured 10–20 µs against a cold cache on the bench machine).
 */

/**
 * A private EC P-256 JWK, the fast form of a session private key for `put` (structurally the same as
 * `SessionPrivateJwk` from `@latchkey/tokens`). Exactly these five members; see {@link isP256PrivateJwk}.
 *
 * @example
 * ```ts
 * const jwk: P256PrivateJwk = (await generateSessionKeyPair()).privateJwk;
 * ```
 */
export interface P256PrivateJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
}

/**
 * A JSON Web Key as `KeyObject.export({ format: 'jwk' })` returns it, for `put`'s `privateKey`. Defined
 * here rather than imported: `node:crypto`'s `JsonWebKey` type is gone from `@types/node` 25 (TS2305).
 *
 * @example
 * ```ts
 * const jwk: JsonWebKeyInput = privateKey.export({ format: 'jwk' });
 * ```
 */
export type JsonWebKeyInput = {
  readonly kty?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly d?: string;
};

// P-256 (secp256r1) domain parameters, FIPS 186-4 §D.1.2.3.
const P_HEX = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';
const N_HEX = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
const P = BigInt(`0x${P_HEX}`);
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const P_BYTES = Buffer.from(P_HEX, 'hex');
const N_BYTES = Buffer.from(N_HEX, 'hex');
const ZERO = Buffer.alloc(32);

// 32 bytes are 43 base64url characters; the last one carries 2 unused bits, which must be zero for the
// one canonical spelling (so two texts never name the same key).
const COORDINATE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const MEMBERS = ['kty', 'crv', 'x', 'y', 'd'] as const;

function isKeyObject(value: object): value is KeyObject {
  return typeof (value as KeyObject).export === 'function' && typeof (value as KeyObject).type === 'string';
}

const ZERO_TEXT = ZERO.toString('base64url');

/** Canonical base64url of 32 big-endian bytes below `limit` (and, with `nonZero`, above 0). */
function isBelow(text: unknown, limit: Buffer, nonZero: boolean): text is string {
  if (typeof text !== 'string' || !COORDINATE.test(text)) return false;
  if (nonZero && text === ZERO_TEXT) return false;
  // p and n both start with the bytes ff ff ff, spelled `____` in base64url: a value whose first four
  // characters are anything else is below either, with no decoding (all but 1 in 2^24 keys).
  if (!text.startsWith('____')) return true;
  return Buffer.from(text, 'base64url').compare(limit) < 0;
}

/**
 * The checks `put` makes on a JWK, all native and cheap: exactly the five members, `kty: "EC"`,
 * `crv: "P-256"`, `x`, `y` below p and `d` in [1, n − 1], each in canonical base64url of 32 bytes.
 */
export function hasP256PrivateJwkShape(value: unknown): value is P256PrivateJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Exactly five own members: `alg`, `use`, `kid`, `key_ops` or anything else is refused, not dropped.
  if (Object.keys(value).length !== MEMBERS.length) return false;
  for (const member of MEMBERS) if (!Object.hasOwn(value, member)) return false;
  const { kty, crv, x, y, d } = value as Record<(typeof MEMBERS)[number], unknown>;
  return (
    kty === 'EC' &&
    crv === 'P-256' &&
    isBelow(x, P_BYTES, false) &&
    isBelow(y, P_BYTES, false) &&
    isBelow(d, N_BYTES, true)
  );
}

function toBigInt(coordinate: string): bigint {
  return BigInt(`0x${Buffer.from(coordinate, 'base64url').toString('hex')}`);
}

/**
 * Whether `value` is a private P-256 JWK: {@link hasP256PrivateJwkShape} and the point `(x, y)` on the
 * curve (y² = x³ − 3x + b mod p). `put` does not make the curve check (see the README's security notes);
 * call this first for a JWK that comes from outside your own key generation. Not checked by either: that
 * `d` is the private half of `(x, y)` (that takes a scalar multiplication; Node's import does not check
 * it either).
 *
 * @example
 * ```ts
 * if (!isP256PrivateJwk(jwk)) throw new TypeError('not a session private key');
 * ```
 */
export function isP256PrivateJwk(value: unknown): value is P256PrivateJwk {
  if (!hasP256PrivateJwkShape(value)) return false;
  const x = toBigInt(value.x);
  const y = toBigInt(value.y);
  return (y * y - (x * x * x - 3n * x + B)) % P === 0n;
}

/**
 * The JWK text to seal for a put's `privateKey`: a private `KeyObject` (exported), or a private P-256 JWK
 * (checked by {@link hasP256PrivateJwkShape}, then written from a template, never imported).
 *
 * @throws TypeError for anything else: the caller built the key, so a bad one is a bug. Nothing is written.
 * @example
 * ```ts
 * const text = privateJwkText(pair.privateJwk); // '{"kty":"EC","crv":"P-256","x":"…","y":"…","d":"…"}'
 * ```
 */
export function privateJwkText(privateKey: KeyObject | P256PrivateJwk | JsonWebKeyInput): string {
  if (typeof privateKey !== 'object' || privateKey === null) {
    throw new TypeError('privateKey must be a private KeyObject or a private P-256 JWK');
  }
  if (isKeyObject(privateKey)) {
    if (privateKey.type !== 'private') throw new TypeError('privateKey must be a private key');
    try {
      return JSON.stringify(privateKey.export({ format: 'jwk' }));
    } catch {
      throw new TypeError('privateKey cannot be exported as a JWK');
    }
  }
  if (!hasP256PrivateJwkShape(privateKey)) {
    throw new TypeError('privateKey must be a private KeyObject or a private P-256 JWK');
  }
  // Every member was checked against a fixed alphabet above: nothing here needs JSON escaping.
  return `{"kty":"EC","crv":"P-256","x":"${privateKey.x}","y":"${privateKey.y}","d":"${privateKey.d}"}`;
}
