/** Test helpers: hand-built tokens, so every header and claim rule can be hit on its own. */
import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  type KeyPairKeyObjectResult,
  sign,
} from 'node:crypto';

export const NOW_MS = 1_800_000_000_000;
export const NOW: number = NOW_MS / 1000;
export const ISSUER = 'latchkey-router';
export const AUDIENCE = 'latchkey-sandbox';
export const SESSION_ID = 'sess_0123';
export const now = (): number => NOW_MS;

export const rsa: KeyPairKeyObjectResult = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ec: KeyPairKeyObjectResult = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const ec2: KeyPairKeyObjectResult = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** Signs `header.payload` (objects or raw JSON text) with `alg` over `key`, the signature in JOSE form. */
export function forge(
  header: object | string,
  payload: object | string,
  key: KeyObject,
  alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256',
): string {
  const input = `${b64(typeof header === 'string' ? header : JSON.stringify(header))}.${b64(
    typeof payload === 'string' ? payload : JSON.stringify(payload),
  )}`;
  let signature: Buffer;
  if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'RS256') signature = sign('sha256', Buffer.from(input), key);
  else if (alg === 'PS256') {
    signature = sign('sha256', Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
  } else signature = sign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

export function sessionClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: SESSION_ID,
    iat: NOW,
    exp: NOW + 300,
    jti: 'jti-0123456789abcdef',
    ...overrides,
  };
}

export const SESSION_HEADER: { alg: string; typ: string } = { alg: 'ES256', typ: 'latchkey-session+jwt' };
export const BOOTSTRAP_HEADER: { alg: string; typ: string } = { alg: 'RS256', typ: 'latchkey-bootstrap+jwt' };

/** Every claim pattern removed (value undefined) is dropped by JSON.stringify. */
export function without(claims: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...claims };
  delete copy[name];
  return copy;
}

export const ACCESS_HEADER: { alg: string; typ: string } = { alg: 'ES256', typ: 'latchkey-access+jwt' };
export const USER_ID = 'alice@example.com';

export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: USER_ID,
    iat: NOW,
    iat_ms: NOW_MS + 123,
    exp: NOW + 3600,
    jti: 'jti-0123456789abcdefghij',
    ...overrides,
  };
}
