import type { KeyObject } from 'node:crypto';
import { type BootstrapAlgorithm, importPrivateKeyText, importPublicKeyText } from '@latchkey/tokens';

/** A parsed key with the algorithm its type implies. */
export interface ParsedKey {
  readonly key: KeyObject;
  readonly alg: BootstrapAlgorithm;
}

/** The algorithm a key's type implies: RSA → RS256, EC P-256 → ES256, Ed25519 → EdDSA. */
function algorithmOf(key: KeyObject): BootstrapAlgorithm | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

function parse(text: string, variable: string, kind: 'public' | 'private'): ParsedKey {
  // The one reader of key text (PKCS#8 / SPKI PEM or JWK JSON; PKCS#1 and SEC1 PEMs refused).
  // Messages name the variable only: never echo key material into logs.
  let key: KeyObject;
  try {
    key = kind === 'public' ? importPublicKeyText(text.trim()) : importPrivateKeyText(text.trim());
  } catch {
    throw new TypeError(`${variable}: not a ${kind} RSA, EC P-256 or Ed25519 key (PEM or JWK)`);
  }
  const alg = algorithmOf(key);
  if (alg === undefined)
    throw new TypeError(`${variable}: not a ${kind} RSA, EC P-256 or Ed25519 key (PEM or JWK)`);
  return { key, alg };
}

/**
 * Parses a bootstrap public key given as SPKI PEM or a public JWK (JSON) with `@latchkey/tokens`, the
 * algorithm inferred from the key type (RSA → RS256, EC P-256 → ES256, Ed25519 → EdDSA).
 *
 * @example
 * ```ts
 * const { key, alg } = parsePublicKey(pem, 'LATCHKEY_BOOTSTRAP_PUBLIC_KEY');
 * ```
 */
export function parsePublicKey(text: string, variable: string): ParsedKey {
  return parse(text, variable, 'public');
}

/**
 * Parses a private key given as PKCS#8 PEM or a private JWK (JSON), the algorithm inferred from the key.
 *
 * @example
 * ```ts
 * const { key, alg } = parsePrivateKey(pem, 'LATCHKEY_BOOTSTRAP_PRIVATE_KEY');
 * ```
 */
export function parsePrivateKey(text: string, variable: string): ParsedKey {
  return parse(text, variable, 'private');
}
