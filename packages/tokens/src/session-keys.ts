/**
 * Per-session P-256 key pairs. Keys cross the public API as `node:crypto` KeyObjects; they are stored
 * and shipped as JWKs, which Node 20 imports about 7× faster than PKCS#8 (what a signing-key cache that
 * loads many sessions cares about).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { isCanonicalBase64url } from './base64url.js';
import { importPrivateKeyText, importPublicKeyText, parseJwkText } from './key-text.js';

/** A public EC P-256 JWK with exactly the members a session key needs. */
export interface SessionPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/** A private EC P-256 JWK (the storage form of a session private key). */
export interface SessionPrivateJwk extends SessionPublicJwk {
  readonly d: string;
}

/** A freshly generated session key pair. */
export interface SessionKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: SessionPublicJwk;
  /**
   * The private JWK of `privateKey` (frozen), exported once at generation: the form a session store
   * writes without an import/export per put (`@latchkey/keystore` takes it as `privateKey`). A secret:
   * it is non-enumerable, so spreading, `JSON.stringify` or logging the pair never carries it.
   */
  readonly privateJwk: SessionPrivateJwk;
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y'] as const;
const PRIVATE_MEMBERS = ['kty', 'crv', 'x', 'y', 'd'] as const;

// 32 bytes → 43 base64url characters; canonical spelling only.
function isCoordinate(value: unknown): boolean {
  return typeof value === 'string' && value.length === 43 && isCanonicalBase64url(value);
}

/**
 * Whether `value` is a P-256 JWK with exactly `members` (any extra member — `d`, `alg`, `kid`, … — is
 * a rejection, not silently dropped), `kty: EC`, `crv: P-256` and canonical 32-byte coordinates.
 */
function isExactP256Jwk(value: unknown, members: readonly string[]): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const jwk = value as Record<string, unknown>;
  const keys = Object.keys(jwk);
  if (keys.length !== members.length || !members.every((member) => Object.hasOwn(jwk, member))) return false;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return false;
  for (let i = 2; i < members.length; i++) if (!isCoordinate(jwk[members[i] as string])) return false;
  return true;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Parses a `session_public_key` value: a public P-256 JWK with `kty`, `crv`, `x`, `y` and nothing else,
 * whose point is on the curve. Returns `undefined` for anything else (the caller picks the error).
 */
export function parseSessionPublicJwk(value: unknown): { key: KeyObject; jwk: SessionPublicJwk } | undefined {
  if (!isExactP256Jwk(value, PUBLIC_MEMBERS)) return undefined;
  const jwk: SessionPublicJwk = { kty: 'EC', crv: 'P-256', x: value.x as string, y: value.y as string };
  try {
    // Node refuses a point that is not on the curve (ERR_CRYPTO_INVALID_JWK).
    const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    return isP256(key) ? { key, jwk } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Generates a session key pair on P-256 (off the event loop), with its public JWK and, non-enumerable,
 * its private JWK (exported here once, where it costs ~2% of the key generation, rather than on every
 * store write).
 *
 * @example
 * ```ts
 * const { privateKey, publicJwk, privateJwk } = await generateSessionKeyPair();
 * const bootstrap = await issuer.issue({ sessionId, sessionPublicKey: publicJwk });
 * await sessions.put(sessionId, { record, privateKey: privateJwk });
 * ```
 */
export function generateSessionKeyPair(): Promise<SessionKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'P-256' }, (error, publicKey, privateKey) => {
      if (error) {
        reject(error);
        return;
      }
      try {
        // One export gives both halves: the public JWK is the private one without `d`.
        const privateJwk = Object.freeze(exportSessionPrivateJwk(privateKey));
        const publicJwk: SessionPublicJwk = { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y };
        const pair = { privateKey, publicKey, publicJwk };
        // Non-enumerable: a logged, spread or serialised pair must not carry the private key.
        Object.defineProperty(pair, 'privateJwk', { value: privateJwk, enumerable: false });
        resolve(pair as SessionKeyPair);
      } catch (cause) {
        reject(cause);
      }
    });
  });
}

/**
 * The public JWK (`kty`, `crv`, `x`, `y` only) of a P-256 key; given a private key, of its public half.
 * Throws `TypeError` for any other key.
 *
 * @example
 * ```ts
 * const jwk = exportSessionPublicJwk(privateKey); // { kty: 'EC', crv: 'P-256', x, y }
 * ```
 */
export function exportSessionPublicJwk(key: KeyObject): SessionPublicJwk {
  if (!isP256(key)) throw new TypeError('expected a P-256 key');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string' || typeof y !== 'string') throw new TypeError('expected a P-256 key');
  return { kty: 'EC', crv: 'P-256', x, y };
}

/**
 * The private JWK of a P-256 private key (`kty`, `crv`, `x`, `y`, `d`): the fast-import storage form,
 * and the form `@latchkey/keystore` writes without re-exporting. Handle it as a secret. A pair from
 * {@link generateSessionKeyPair} already carries it as `privateJwk`.
 *
 * @example
 * ```ts
 * await sessions.put(sessionId, { record, privateKey: exportSessionPrivateJwk(privateKey) });
 * ```
 */
export function exportSessionPrivateJwk(key: KeyObject): SessionPrivateJwk {
  if (key.type !== 'private' || !isP256(key)) throw new TypeError('expected a P-256 private key');
  const { x, y, d } = key.export({ format: 'jwk' });
  if (typeof x !== 'string' || typeof y !== 'string' || typeof d !== 'string') {
    throw new TypeError('expected a P-256 private key');
  }
  return { kty: 'EC', crv: 'P-256', x, y, d };
}

/**
 * Imports a session public key from a public JWK (object or JSON text; `kty`, `crv`, `x`, `y` only) or
 * an SPKI PEM. Throws `TypeError` for other curves, private material, extra JWK members or a point off
 * the curve.
 *
 * @example
 * ```ts
 * const publicKey = importSessionPublicKey({ kty: 'EC', crv: 'P-256', x, y });
 * ```
 */
export function importSessionPublicKey(input: SessionPublicJwk | string): KeyObject {
  if (typeof input === 'string' && input.trimStart().startsWith('-----')) {
    return importPublicKeyText(input, 'ES256');
  }
  const parsed = parseSessionPublicJwk(typeof input === 'string' ? parseJwkText(input) : input);
  if (parsed === undefined) throw new TypeError('expected a public P-256 JWK with kty, crv, x and y only');
  return parsed.key;
}

/**
 * Imports a session private key from a private JWK (object or JSON text; `kty`, `crv`, `x`, `y`, `d`
 * only) or a PKCS#8 PEM. Throws `TypeError` for anything that is not a P-256 private key.
 *
 * @example
 * ```ts
 * const privateKey = importSessionPrivateKey(JSON.parse(stored));
 * ```
 */
export function importSessionPrivateKey(input: SessionPrivateJwk | string): KeyObject {
  if (typeof input === 'string' && input.trimStart().startsWith('-----')) {
    return importPrivateKeyText(input, 'ES256');
  }
  const jwk = typeof input === 'string' ? parseJwkText(input) : input;
  if (!isExactP256Jwk(jwk, PRIVATE_MEMBERS)) throw new TypeError('expected a private P-256 JWK');
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string, d: jwk.d as string },
      format: 'jwk',
    });
  } catch {
    throw new TypeError('expected a P-256 private key');
  }
  if (key.type !== 'private' || !isP256(key)) throw new TypeError('expected a P-256 private key');
  return key;
}
