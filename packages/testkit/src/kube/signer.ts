import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

/** Signature algorithms the test API server signs service-account tokens with (as kube-apiserver can). */
export type KubeTokenAlg = 'RS256' | 'ES256';

/** A service-account signing key, with the `kid` kube-apiserver derives from it. */
export interface SigningKey {
  readonly alg: KubeTokenAlg;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * A fresh signing key. Like kube-apiserver, the `kid` is the unpadded base64url SHA-256 of the
 * public key's DER (SubjectPublicKeyInfo).
 */
export function generateSigningKey(alg: KubeTokenAlg): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
  return { alg, kid, privateKey, publicKey };
}

/** The public JWK as `/openid/v1/jwks` lists it. */
export function publicJwk(key: SigningKey): Record<string, unknown> {
  const jwk = key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { use: 'sig', ...jwk, kid: key.kid, alg: key.alg };
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` as a compact JWS with header `{ alg, kid }` (kube-apiserver sets no `typ`). */
export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const input = `${encode({ alg: key.alg, kid: key.kid })}.${encode(claims)}`;
  const signature =
    key.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key.privateKey)
      : sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The claims of a token signed by one of `keys`, or `undefined` (malformed, unknown kid, bad signature). */
export function verifyJwt(
  token: string,
  keys: ReadonlyMap<string, SigningKey>,
): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) {
    return undefined;
  }
  const { alg, kid } = header as { alg?: unknown; kid?: unknown };
  const key = typeof kid === 'string' ? keys.get(kid) : undefined;
  if (key === undefined || alg !== key.alg) return undefined;
  const input = Buffer.from(`${headerPart}.${claimsPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const ok =
    key.alg === 'RS256'
      ? verify('sha256', input, key.publicKey, signature)
      : verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  return ok ? (claims as Record<string, unknown>) : undefined;
}
