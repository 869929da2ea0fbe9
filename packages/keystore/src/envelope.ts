import { randomFillSync } from 'node:crypto';
import { DecryptFailedError } from '@latchkey/errors';
import { aeadOpen, aeadSealInto, IV_BYTES, type PreparedCipher, prepareCipher, TAG_BYTES } from './aead.js';
import { cipherKeyOf, type Keyring } from './keyring.js';
import { assertSessionId } from './session-id.js';

/** The only envelope version this package writes and reads. */
export const ENVELOPE_VERSION = 1;

/** Longest stored value accepted, in characters: anything longer is refused before decoding. */
const MAX_TEXT_LENGTH = 65_536;
const MAX_KID_BYTES = 64;
const KID_BYTES = /^[A-Za-z0-9._-]+$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** An envelope's parsed header. */
interface Header {
  readonly kid: string;
  /** version, kid length and kid: the bytes bound into the AAD. */
  readonly header: Uint8Array;
}

/** AAD = header bytes ‖ session id length (1 byte) ‖ session id (ASCII). */
function additionalData(header: Uint8Array, sessionId: string): Uint8Array {
  const aad = Buffer.allocUnsafe(header.byteLength + 1 + sessionId.length);
  aad.set(header, 0);
  aad[header.byteLength] = sessionId.length;
  aad.write(sessionId, header.byteLength + 1, 'latin1');
  return aad;
}

function encodeHeader(kid: string): Uint8Array {
  const header = new Uint8Array(2 + kid.length);
  header[0] = ENVELOPE_VERSION;
  header[1] = kid.length;
  Buffer.from(header.buffer, header.byteOffset, header.byteLength).write(kid, 2, 'latin1');
  return header;
}

// The header is a pure function of the key id, and writes all use `keyring.current`: keep the last one.
let lastKid = '';
let lastHeader: Uint8Array = new Uint8Array(0);

function headerOf(kid: string): Uint8Array {
  if (kid !== lastKid) {
    lastHeader = encodeHeader(kid);
    lastKid = kid;
  }
  return lastHeader;
}

/** Strict base64url: the alphabet only, no padding, and the canonical encoding of its bytes. */
function decodeText(text: unknown): Buffer {
  if (
    typeof text !== 'string' ||
    text.length > MAX_TEXT_LENGTH ||
    !BASE64URL.test(text) ||
    text.length % 4 === 1
  ) {
    throw new DecryptFailedError('malformed');
  }
  const bytes = Buffer.from(text, 'base64url');
  // Non-zero trailing bits would let two texts decode to one value: refuse anything non-canonical.
  if (bytes.toString('base64url') !== text) throw new DecryptFailedError('malformed');
  return bytes;
}

function parseHeader(bytes: Uint8Array): Header {
  if (bytes.byteLength < 2) throw new DecryptFailedError('too-short');
  if (bytes[0] !== ENVELOPE_VERSION) throw new DecryptFailedError('unknown-version');
  const kidLength = bytes[1] ?? 0;
  if (kidLength === 0 || kidLength > MAX_KID_BYTES) throw new DecryptFailedError('malformed');
  if (bytes.byteLength < 2 + kidLength + IV_BYTES + TAG_BYTES) throw new DecryptFailedError('too-short');
  const kid = Buffer.from(bytes.buffer, bytes.byteOffset + 2, kidLength).toString('latin1');
  if (!KID_BYTES.test(kid)) throw new DecryptFailedError('malformed');
  return { kid, header: bytes.subarray(0, 2 + kidLength) };
}

// IVs come from a pool filled by the CSPRNG 4 KiB at a time and consumed 12 bytes at a time, never
// reused: one randomFillSync per 341 seals instead of a randomBytes call (and allocation) per seal.
const IV_POOL_BYTES = IV_BYTES * 341;
const ivPool = Buffer.alloc(IV_POOL_BYTES);
let ivOffset = IV_POOL_BYTES;

function pooledIv(size: number): Uint8Array {
  if (ivOffset + size > IV_POOL_BYTES) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + size);
  ivOffset += size;
  return iv;
}

/** Options of {@link sealEnvelope}. */
export interface SealOptions {
  /** Source of the 96-bit IV; default the CSPRNG (`crypto.randomFillSync`). Injected in tests only. */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/**
 * Encrypts `plaintext` for `sessionId` under the keyring's current key: AES-256-GCM, 96-bit random IV,
 * 128-bit tag, AAD binding the version, the key id and the session id. Returns base64url text (see
 * the README for the exact layout).
 *
 * @example
 * ```ts
 * const stored = sealEnvelope(keyring, 's1', new TextEncoder().encode('{"kty":"EC",…}'));
 * ```
 */
export function sealEnvelope(
  keyring: Keyring,
  sessionId: string,
  plaintext: Uint8Array,
  options: SealOptions = {},
): string {
  assertSessionId(sessionId);
  const kid = keyring.current;
  const key = cipherKeyOf(keyring, kid);
  if (key === undefined) throw new TypeError('keyring has no current key');
  const header = headerOf(kid);
  // A spare cipher made for this key after the previous seal carries its own fresh IV; used once.
  let prepared: PreparedCipher | undefined;
  if (options.randomBytes === undefined && spare !== undefined && spare.key === key) {
    prepared = spare;
    spare = undefined;
  }
  const iv = prepared?.iv ?? (options.randomBytes ?? pooledIv)(IV_BYTES);
  // header ‖ IV ‖ ciphertext ‖ tag, written into one buffer and encoded once.
  const out = Buffer.allocUnsafe(header.byteLength + IV_BYTES + plaintext.byteLength + TAG_BYTES);
  out.set(header, 0);
  out.set(iv, header.byteLength);
  aeadSealInto(
    key,
    iv,
    plaintext,
    additionalData(header, sessionId),
    out,
    header.byteLength + IV_BYTES,
    prepared,
  );
  return out.toString('base64url');
}

// At most one spare cipher, for the key of the last `prepareSeal`.
let spare: PreparedCipher | undefined;

/**
 * Makes the cipher of the next {@link sealEnvelope} under `keyring.current` now, with its own fresh IV
 * from the CSPRNG pool, so that seal does only the AAD, the data and the tag. The store calls it right
 * after handing a put to its driver, while the request is on the wire: about half of the seal's CPU
 * moves off the put's critical path. A spare for another key is replaced; each spare (and its IV) is
 * used at most once.
 *
 * @example
 * ```ts
 * const written = driver.write(sessionId, record, sealed, ttl);
 * prepareSeal(keyring);
 * ```
 */
export function prepareSeal(keyring: Keyring): void {
  const key = cipherKeyOf(keyring, keyring.current);
  if (key === undefined || spare?.key === key) return;
  spare = prepareCipher(key, pooledIv(IV_BYTES));
}

/**
 * The key id an envelope names, without decrypting it (for rewrap decisions only: nothing read this
 * way is trusted).
 *
 * @throws DecryptFailedError (`malformed`, `too-short`, `unknown-version`) for anything that is not an envelope.
 * @example
 * ```ts
 * if (envelopeKeyId(stored) !== keyring.current) await rewrapOne(stored);
 * ```
 */
export function envelopeKeyId(text: string): string {
  return parseHeader(decodeText(text)).kid;
}

/**
 * Decrypts an envelope written by {@link sealEnvelope} for the same session id. Every failure is a
 * `DecryptFailedError` (`DECRYPT_FAILED`, 500) whose `reason` is one of `malformed`, `too-short`,
 * `unknown-version`, `unknown-key-id`, `authentication-failed`; nothing is ever returned unauthenticated.
 *
 * @example
 * ```ts
 * const jwkBytes = openEnvelope(keyring, 's1', stored);
 * ```
 */
export function openEnvelope(keyring: Keyring, sessionId: string, text: string): Uint8Array {
  assertSessionId(sessionId);
  const bytes = decodeText(text);
  const { kid, header } = parseHeader(bytes);
  const key = cipherKeyOf(keyring, kid);
  if (key === undefined) throw new DecryptFailedError('unknown-key-id');
  const ivStart = header.byteLength;
  const tagStart = bytes.byteLength - TAG_BYTES;
  const plaintext = aeadOpen(
    key,
    bytes.subarray(ivStart, ivStart + IV_BYTES),
    bytes.subarray(ivStart + IV_BYTES, tagStart),
    bytes.subarray(tagStart),
    additionalData(header, sessionId),
  );
  if (plaintext === null) throw new DecryptFailedError('authentication-failed');
  return plaintext;
}
