/**
 * Keys of the bootstrap issuer: the creator of sessions signs bootstrap tokens with the private key,
 * every sandbox verifies them with the public key. Both come from configuration (PEM or JWK) and are
 * read by the one key-text reader (`key-text.ts`), held to the bootstrap algorithm.
 */
import type { KeyObject } from 'node:crypto';
import { importPrivateKeyText, importPublicKeyText } from './key-text.js';
import type { SignatureAlgorithm } from './signature.js';

/** Algorithms a bootstrap token may be signed with. `RS256` is the default. */
export type BootstrapAlgorithm = SignatureAlgorithm;

function toText(input: string | object): string {
  if (typeof input === 'string') return input;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new TypeError('expected a PEM or a JWK');
  return JSON.stringify(input);
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
  return importPublicKeyText(toText(input), algorithm);
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
  return importPrivateKeyText(toText(input), algorithm);
}
