/**
 * Keys of the bootstrap issuer: the creator of sessions signs bootstrap tokens with the private key,
 * every sandbox verifies them with the public key. Both come from configuration (PEM or JWK text).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { keyFitsAlgorithm, type SignatureAlgorithm } from './signature.js';

/** Algorithms a bootstrap token may be signed with. `RS256` is the default. */
export type BootstrapAlgorithm = SignatureAlgorithm;

// Members that only a private (or secret) JWK carries.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function toJwk(input: string | object): Record<string, unknown> | undefined {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function isPem(input: string | object): input is string {
  return typeof input === 'string' && input.trimStart().startsWith('-----');
}

function checkJwkMetadata(jwk: Record<string, unknown>, algorithm: BootstrapAlgorithm): void {
  if (jwk.alg !== undefined && jwk.alg !== algorithm)
    throw new TypeError('the JWK alg does not match the algorithm');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new TypeError('the JWK is not a signing key');
}

function checkFits(key: KeyObject, algorithm: BootstrapAlgorithm): KeyObject {
  if (!keyFitsAlgorithm(key, algorithm)) {
    throw new TypeError(`the key does not fit ${algorithm} (key type, curve, or RSA under 2048 bits)`);
  }
  return key;
}

/**
 * Imports the key that verifies bootstrap tokens: an SPKI PEM, or a public JWK (object or JSON text).
 * Throws `TypeError` for private material, a key that does not fit `algorithm` (RSA under 2048 bits,
 * wrong curve or family) or a JWK whose `alg`/`use` disagree.
 *
 * @example
 * ```ts
 * const publicKey = importBootstrapPublicKey(process.env.LATCHKEY_BOOTSTRAP_PUBLIC_KEY ?? '', 'RS256');
 * ```
 */
export function importBootstrapPublicKey(
  input: string | object,
  algorithm: BootstrapAlgorithm = 'RS256',
): KeyObject {
  let key: KeyObject;
  if (isPem(input)) {
    // createPublicKey would quietly derive a public key from a private PEM: refuse private PEMs instead.
    if (!input.trimStart().startsWith('-----BEGIN PUBLIC KEY-----'))
      throw new TypeError('expected an SPKI public key');
    try {
      key = createPublicKey({ key: input, format: 'pem' });
    } catch {
      throw new TypeError('expected an SPKI public key');
    }
  } else {
    const jwk = toJwk(input);
    if (jwk === undefined) throw new TypeError('expected a PEM or JWK public key');
    if (PRIVATE_MEMBERS.some((member) => member in jwk))
      throw new TypeError('expected a public key, got private material');
    checkJwkMetadata(jwk, algorithm);
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new TypeError('expected a PEM or JWK public key');
    }
  }
  return checkFits(key, algorithm);
}

/**
 * Imports the key that signs bootstrap tokens: a PKCS#8 PEM, or a private JWK (object or JSON text).
 * Throws `TypeError` for a key that does not fit `algorithm`.
 *
 * @example
 * ```ts
 * const privateKey = importBootstrapPrivateKey(process.env.LATCHKEY_BOOTSTRAP_PRIVATE_KEY ?? '', 'RS256');
 * ```
 */
export function importBootstrapPrivateKey(
  input: string | object,
  algorithm: BootstrapAlgorithm = 'RS256',
): KeyObject {
  let key: KeyObject;
  try {
    if (isPem(input)) key = createPrivateKey({ key: input, format: 'pem' });
    else {
      const jwk = toJwk(input);
      if (jwk === undefined) throw new TypeError('expected a PEM or JWK private key');
      checkJwkMetadata(jwk, algorithm);
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    }
  } catch (error) {
    if (error instanceof TypeError && !('code' in error)) throw error;
    throw new TypeError('expected a PEM or JWK private key');
  }
  if (key.type !== 'private') throw new TypeError('expected a private key');
  return checkFits(key, algorithm);
}
