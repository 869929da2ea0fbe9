/**
 * The signature layer: JWS algorithms on `node:crypto`, used by the session-token path and checked
 * against the RFC 7515/7520 and Wycheproof known-answer vectors.
 *
 * ES256 signatures travel in the JOSE form (`r || s`, 64 bytes). They are converted to and from DER by
 * hand and the KeyObject is passed to `crypto.sign`/`crypto.verify` directly: on Node 24 passing an
 * options object (`{ key, dsaEncoding: 'ieee-p1363' }`) is markedly slower, on Node 20 both are equal.
 * The callback forms run on the libuv threadpool, so crypto never blocks the event loop.
 */
import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** JWS algorithms this package signs and verifies. */
export type SignatureAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** Every algorithm of {@link SignatureAlgorithm}. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA'];

/** Smallest RSA modulus accepted, in bits (RFC 7518 §3.3 and NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048;

/** Whether `key` is a key `algorithm` may use (family, curve, RSA size); public or private. */
export function keyFitsAlgorithm(key: KeyObject, algorithm: SignatureAlgorithm): boolean {
  if (key.type === 'secret') return false;
  const details = key.asymmetricKeyDetails;
  switch (algorithm) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'PS256':
      return (
        (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        (details?.modulusLength ?? 0) >= MIN_RSA_BITS
      );
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    default:
      return false;
  }
}

const P256_SIZE = 32;
const ES256_SIGNATURE_SIZE = 64;

/** Writes one DER INTEGER holding the unsigned big-endian 32 bytes of `value` at `from`; returns the next offset. */
function writeDerInteger(out: Buffer, offset: number, value: Buffer, from: number): number {
  let start = from;
  const end = from + P256_SIZE;
  while (start < end - 1 && value[start] === 0) start++;
  const pad = ((value[start] ?? 0) & 0x80) === 0 ? 0 : 1;
  const length = end - start + pad;
  out[offset] = 0x02;
  out[offset + 1] = length;
  if (pad === 1) out[offset + 2] = 0;
  // Buffer#copy, not set(subarray()): no view object per call on the hot path.
  value.copy(out, offset + 2 + pad, start, end);
  return offset + 2 + length;
}

/** JOSE ES256 signature (`r || s`, 64 bytes) → DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function joseToDer(signature: Uint8Array): Buffer {
  const value = Buffer.isBuffer(signature)
    ? signature
    : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  // At most 2 × (2 + 33) + 2 = 72 bytes: short-form lengths throughout.
  const out = Buffer.allocUnsafe(72);
  out[0] = 0x30;
  let offset = writeDerInteger(out, 2, value, 0);
  offset = writeDerInteger(out, offset, value, P256_SIZE);
  out[1] = offset - 2;
  return out.subarray(0, offset);
}

/** DER ECDSA signature → JOSE form (`r || s`, 64 bytes). Throws on anything that is not such a DER value. */
export function derToJose(signature: Uint8Array): Buffer {
  const der = Buffer.isBuffer(signature)
    ? signature
    : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  const out = Buffer.allocUnsafe(ES256_SIGNATURE_SIZE);
  if (der[0] !== 0x30) throw new TypeError('not a DER ECDSA signature');
  let offset = der[1] === 0x81 ? 3 : 2;
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) throw new TypeError('not a DER ECDSA signature');
    let length = der[offset + 1] ?? 0;
    let start = offset + 2;
    offset = start + length;
    while (length > P256_SIZE && der[start] === 0) {
      start++;
      length--;
    }
    if (length > P256_SIZE || offset > der.length) throw new TypeError('not a DER ECDSA signature');
    // allocUnsafe: zero the left padding of a short integer before copying it in.
    const target = part * P256_SIZE + P256_SIZE - length;
    out.fill(0, part * P256_SIZE, target);
    der.copy(out, target, start, start + length);
  }
  return out;
}

/**
 * DER ECDSA signature → the base64url JOSE form, as it goes into a token. In the common case (r and s
 * both a full 32 bytes) it moves s next to r inside the DER buffer and encodes that slice, allocating
 * nothing; `der` must be a buffer the caller owns (as `crypto.sign` returns).
 */
export function derToJoseBase64url(der: Buffer): string {
  if (der[0] === 0x30 && der[1] !== 0x81 && der[2] === 0x02) {
    const rLength = der[3] ?? 0;
    const rEnd = 4 + rLength;
    const rStart = rLength === 33 && der[4] === 0 ? 5 : 4;
    const sLength = der[rEnd + 1] ?? 0;
    const sStart = rEnd + 2 + (sLength === 33 && der[rEnd + 2] === 0 ? 1 : 0);
    if (
      rEnd - rStart === P256_SIZE &&
      der[rEnd] === 0x02 &&
      rEnd + 2 + sLength === der.length &&
      der.length - sStart === P256_SIZE
    ) {
      der.copyWithin(rStart + P256_SIZE, sStart, sStart + P256_SIZE);
      return der.toString('base64url', rStart, rStart + ES256_SIGNATURE_SIZE);
    }
  }
  return derToJose(der).toString('base64url');
}

/**
 * Signs `data` with ES256 on the threadpool and returns the JOSE form (64 bytes).
 *
 * @example
 * ```ts
 * const signature = await signES256(privateKey, Buffer.from(signingInput, 'latin1'));
 * ```
 */
export function signES256(privateKey: KeyObject, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    cryptoSign('sha256', data, privateKey, (error, der) => {
      if (error) reject(error);
      else resolve(derToJose(der));
    });
  });
}

/** {@link signES256}, synchronously on the calling thread. */
export function signES256Sync(privateKey: KeyObject, data: Uint8Array): Buffer {
  return derToJose(cryptoSign('sha256', data, privateKey));
}

/**
 * Verifies an ES256 signature in JOSE form on the threadpool. Resolves `false` for a signature that is
 * not exactly 64 bytes, that does not verify, or that makes OpenSSL fail (fail closed); never rejects.
 */
export function verifyES256(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== ES256_SIGNATURE_SIZE) return Promise.resolve(false);
  const der = joseToDer(signature);
  return new Promise((resolve) => {
    cryptoVerify('sha256', data, publicKey, der, (error, valid) => resolve(error === null && valid === true));
  });
}

/** {@link verifyES256}, synchronously on the calling thread. */
export function verifyES256Sync(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ES256_SIGNATURE_SIZE) return false;
  try {
    return cryptoVerify('sha256', data, publicKey, joseToDer(signature));
  } catch {
    return false;
  }
}

/**
 * Verifies a JWS signature (`signature` as it travels in the token, already base64url-decoded) for
 * `algorithm` over `signingInput`. Resolves `false` on any failure, including a key that does not fit
 * the algorithm (wrong family, wrong curve, RSA under 2048 bits); never rejects.
 *
 * @example
 * ```ts
 * const [header, payload, signature] = token.split('.');
 * const ok = await verifySignature('RS256', publicKey, Buffer.from(`${header}.${payload}`), Buffer.from(signature, 'base64url'));
 * ```
 */
export function verifySignature(
  algorithm: SignatureAlgorithm,
  publicKey: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (!keyFitsAlgorithm(publicKey, algorithm)) return Promise.resolve(false);
  if (algorithm === 'ES256') return verifyES256(publicKey, signingInput, signature);
  return new Promise((resolve) => {
    const done = (error: Error | null, valid: boolean): void => resolve(error === null && valid === true);
    try {
      if (algorithm === 'RS256') cryptoVerify('sha256', signingInput, publicKey, signature, done);
      else if (algorithm === 'PS256') {
        cryptoVerify(
          'sha256',
          signingInput,
          { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
          done,
        );
      } else cryptoVerify(null, signingInput, publicKey, signature, done);
    } catch {
      resolve(false);
    }
  });
}
