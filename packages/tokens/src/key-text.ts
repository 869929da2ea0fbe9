/**
 * The one reader of key text from configuration: a PKCS#8 / SPKI PEM, or a JWK as JSON text. Bootstrap
 * keys, session keys and the reference servers' settings all go through it, so every key enters with
 * the same rules: the right half (a public reader never derives a public key from private material),
 * strict JSON (no duplicate members), JWK `use`/`alg` agreeing with the algorithm, and a key that fits
 * a JWS algorithm (RSA ≥ 2048 bits, EC P-256, Ed25519). Errors are `TypeError`s that never echo the text.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseJsonObject } from './json.js';
import { keyFitsAlgorithm, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './signature.js';

const SPKI_PEM = '-----BEGIN PUBLIC KEY-----';
const PKCS8_PEM = '-----BEGIN PRIVATE KEY-----';

// Members that only a private (or secret) JWK carries.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Parses JWK JSON text strictly; `undefined` for anything that is not one JSON object. */
export function parseJwkText(text: string): Record<string, unknown> | undefined {
  const parsed = parseJsonObject(Buffer.from(text, 'utf8'));
  return typeof parsed === 'string' ? undefined : parsed;
}

/** Whether a JWK carries private (or secret) members. */
export function hasPrivateMembers(jwk: Readonly<Record<string, unknown>>): boolean {
  return PRIVATE_MEMBERS.some((member) => member in jwk);
}

function checkJwkMetadata(
  jwk: Readonly<Record<string, unknown>>,
  algorithm: SignatureAlgorithm | undefined,
): void {
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new TypeError('the JWK is not a signing key');
  if (algorithm !== undefined && jwk.alg !== undefined && jwk.alg !== algorithm)
    throw new TypeError('the JWK alg does not match the algorithm');
}

function checkFits(key: KeyObject, algorithm: SignatureAlgorithm | undefined): KeyObject {
  if (algorithm !== undefined) {
    if (!keyFitsAlgorithm(key, algorithm))
      throw new TypeError(`the key does not fit ${algorithm} (key type, curve, or RSA under 2048 bits)`);
  } else if (!SIGNATURE_ALGORITHMS.some((alg) => keyFitsAlgorithm(key, alg))) {
    throw new TypeError('the key fits no supported algorithm (RSA ≥ 2048 bits, EC P-256, Ed25519)');
  }
  return key;
}

function pemKind(text: string): 'spki' | 'pkcs8' | 'other' | undefined {
  if (!text.startsWith('-----')) return undefined;
  if (text.startsWith(SPKI_PEM)) return 'spki';
  if (text.startsWith(PKCS8_PEM)) return 'pkcs8';
  return 'other';
}

/**
 * Reads a public key from text: an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or a public JWK as JSON.
 * With `algorithm`, the key must fit it (and a JWK's `alg`, if any, must name it); without, it must fit
 * one of ES256, RS256/PS256, EdDSA. Throws `TypeError` for private material of any form, any other PEM,
 * malformed or duplicate-member JSON, and a JWK whose `use` is not `sig`.
 *
 * @example
 * ```ts
 * const publicKey = importPublicKeyText(process.env.LATCHKEY_BOOTSTRAP_PUBLIC_KEY ?? '', 'RS256');
 * ```
 */
export function importPublicKeyText(text: string, algorithm?: SignatureAlgorithm): KeyObject {
  if (typeof text !== 'string') throw new TypeError('expected key text (a PEM or JWK JSON)');
  const trimmed = text.trim();
  const pem = pemKind(trimmed);
  let key: KeyObject;
  if (pem !== undefined) {
    // createPublicKey would quietly derive a public key from a private PEM: refuse it instead.
    if (pem !== 'spki') throw new TypeError('expected an SPKI public key PEM');
    try {
      key = createPublicKey({ key: trimmed, format: 'pem' });
    } catch {
      throw new TypeError('expected an SPKI public key PEM');
    }
  } else {
    const jwk = parseJwkText(trimmed);
    if (jwk === undefined) throw new TypeError('expected an SPKI PEM or a public JWK (JSON)');
    if (hasPrivateMembers(jwk)) throw new TypeError('expected a public key, got private material');
    checkJwkMetadata(jwk, algorithm);
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new TypeError('expected an SPKI PEM or a public JWK (JSON)');
    }
  }
  if (key.type !== 'public') throw new TypeError('expected a public key');
  return checkFits(key, algorithm);
}

/**
 * Reads a private key from text: a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or a private JWK as
 * JSON. With `algorithm`, the key must fit it (and a JWK's `alg`, if any, must name it). Throws
 * `TypeError` for a public key, any other PEM (PKCS#1, SEC1, encrypted), malformed or duplicate-member
 * JSON, and a key that fits no supported algorithm.
 *
 * @example
 * ```ts
 * const privateKey = importPrivateKeyText(process.env.LATCHKEY_CONSOLE_KEY ?? '', 'ES256');
 * ```
 */
export function importPrivateKeyText(text: string, algorithm?: SignatureAlgorithm): KeyObject {
  if (typeof text !== 'string') throw new TypeError('expected key text (a PEM or JWK JSON)');
  const trimmed = text.trim();
  const pem = pemKind(trimmed);
  let key: KeyObject;
  if (pem !== undefined) {
    if (pem !== 'pkcs8') throw new TypeError('expected a PKCS#8 private key PEM');
    try {
      key = createPrivateKey({ key: trimmed, format: 'pem' });
    } catch {
      throw new TypeError('expected a PKCS#8 private key PEM');
    }
  } else {
    const jwk = parseJwkText(trimmed);
    if (jwk === undefined) throw new TypeError('expected a PKCS#8 PEM or a private JWK (JSON)');
    if (jwk.kty === 'oct') throw new TypeError('expected an asymmetric private key');
    checkJwkMetadata(jwk, algorithm);
    try {
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new TypeError('expected a PKCS#8 PEM or a private JWK (JSON)');
    }
  }
  if (key.type !== 'private') throw new TypeError('expected a private key');
  return checkFits(key, algorithm);
}
