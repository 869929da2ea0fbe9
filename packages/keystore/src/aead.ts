import { type CipherGCM, createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';

/** AES-256-GCM parameters, fixed: a layer that accepted other sizes could be talked into a weaker mode. */
export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** Ciphertext and tag of one AES-256-GCM seal. */
export interface Sealed {
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** Raw key bytes, or a secret `KeyObject` of the same bytes (what a keyring hands out). */
export type AeadKey = Uint8Array | KeyObject;

function checkSizes(key: AeadKey, iv: Uint8Array): void {
  const size = key instanceof Uint8Array ? key.byteLength : key.symmetricKeySize;
  if (size !== KEY_BYTES) throw new TypeError('AES-256-GCM takes a 32-byte key');
  if (iv.byteLength !== IV_BYTES) throw new TypeError('AES-256-GCM takes a 12-byte IV here');
}

/**
 * AES-256-GCM encryption with a 96-bit IV and a 128-bit tag. Internal: the envelope is the public
 * surface. The caller supplies the IV (random per seal) so that known-answer vectors can be checked.
 */
export function aeadSeal(key: AeadKey, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Sealed {
  checkSizes(key, iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const ciphertext = tail.byteLength === 0 ? head : Buffer.concat([head, tail]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * A GCM cipher made ahead of use, bound to its key and a fresh IV, not yet given AAD or data. Making one
 * (the key schedule, the GHASH key) is about half of a small seal's CPU; see {@link prepareSeal}.
 */
export interface PreparedCipher {
  readonly key: AeadKey;
  readonly iv: Uint8Array;
  readonly cipher: CipherGCM;
}

/**
 * Makes a cipher for one later {@link aeadSealInto} under `key` and `iv` (the IV is copied). Use it once.
 *
 * @example
 * ```ts
 * const prepared = prepareCipher(key, randomBytes(12));
 * ```
 */
export function prepareCipher(key: AeadKey, iv: Uint8Array): PreparedCipher {
  checkSizes(key, iv);
  const copy = Buffer.from(iv);
  return { key, iv: copy, cipher: createCipheriv('aes-256-gcm', key, copy, { authTagLength: TAG_BYTES }) };
}

/**
 * AES-256-GCM of `plaintext` written into `out` at `offset` as ciphertext ‖ tag, with no intermediate
 * buffers kept. `cipher`, when given, is a {@link prepareCipher} result for this `key` and `iv`.
 *
 * @example
 * ```ts
 * aeadSealInto(key, iv, plaintext, aad, out, 14);
 * ```
 */
export function aeadSealInto(
  key: AeadKey,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  out: Buffer,
  offset: number,
  prepared?: PreparedCipher,
): void {
  let cipher: CipherGCM;
  if (prepared !== undefined && prepared.key === key && prepared.iv === iv) {
    cipher = prepared.cipher;
  } else {
    checkSizes(key, iv);
    cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  }
  cipher.setAAD(aad);
  // GCM is a stream mode: `update` returns every byte and `final` none, so nothing is concatenated.
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  let end = offset + head.copy(out, offset);
  end += tail.copy(out, end);
  cipher.getAuthTag().copy(out, end);
}

/**
 * AES-256-GCM decryption. Returns `null` when authentication fails (wrong key, tag, IV, AAD or a changed
 * byte) and for a tag that is not exactly 16 bytes: `authTagLength: 16` is set because Node 20 would
 * otherwise accept a truncated tag.
 */
export function aeadOpen(
  key: AeadKey,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Uint8Array | null {
  checkSizes(key, iv);
  if (tag.byteLength !== TAG_BYTES) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    return tail.byteLength === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    // The only failure left once sizes are checked is "unable to authenticate data". The partial
    // plaintext in `head` is dropped unread.
    head.fill(0);
    return null;
  }
}
