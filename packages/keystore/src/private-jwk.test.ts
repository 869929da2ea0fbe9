import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasP256PrivateJwkShape, isP256PrivateJwk, privateJwkText } from './private-jwk.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = privateKey.export({ format: 'jwk' }) as {
  kty: string;
  crv: string;
  x: string;
  y: string;
  d: string;
};
const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');
// p and n of P-256: a coordinate equal to p, or a scalar equal to n, is out of range.
const P = b64('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
const N = b64('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
// Known-answer point: the P-256 base point G, on the curve by definition.
const G = {
  x: b64('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'),
  y: b64('4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5'),
};

describe('isP256PrivateJwk', () => {
  it('accepts the private JWK Node exports for a P-256 key, and the base point G with d = 1', () => {
    expect(isP256PrivateJwk(jwk)).toBe(true);
    expect(isP256PrivateJwk({ kty: 'EC', crv: 'P-256', ...G, d: b64(`${'00'.repeat(31)}01`) })).toBe(true);
  });

  it.each([
    ['an extra member', { ...jwk, alg: 'ES256' }],
    ['key_ops', { ...jwk, key_ops: ['sign'] }],
    ['a missing d (a public key)', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }],
    ['another kty', { ...jwk, kty: 'RSA' }],
    ['another curve', { ...jwk, crv: 'P-384' }],
    ['a non-string member', { ...jwk, d: 42 }],
    ['padding', { ...jwk, x: `${jwk.x}=` }],
    ['31 bytes', { ...jwk, x: b64('11'.repeat(31)) }],
    ['33 bytes', { ...jwk, d: b64('11'.repeat(33)) }],
    ['standard base64', { ...jwk, x: `+${jwk.x.slice(1)}` }],
    ['non-zero unused bits', { ...jwk, y: `${jwk.y.slice(0, 42)}B` }],
    ['x = p', { ...jwk, x: P }],
    ['y = p', { ...jwk, y: P }],
    ['d = 0', { ...jwk, d: b64('00'.repeat(32)) }],
    ['d = n', { ...jwk, d: N }],
    ['an array', [jwk]],
    ['null', null],
    ['a string', JSON.stringify(jwk)],
  ])('refuses %s, as does the shape check', (_, value) => {
    expect(isP256PrivateJwk(value)).toBe(false);
    expect(hasP256PrivateJwkShape(value)).toBe(false);
  });

  it('refuses a point off the curve, which the shape check alone lets through', () => {
    const offCurve = { ...jwk, y: jwk.x };
    expect(isP256PrivateJwk(offCurve)).toBe(false);
    expect(hasP256PrivateJwkShape(offCurve)).toBe(true);
  });

  it('reads only own members', () => {
    expect(isP256PrivateJwk(Object.create(jwk))).toBe(false);
  });
});

describe('privateJwkText', () => {
  it('writes a JWK as its five members in a fixed order, the same key once imported', () => {
    const text = privateJwkText({ ...jwk });
    expect(Object.keys(JSON.parse(text))).toEqual(['kty', 'crv', 'x', 'y', 'd']);
    const imported = createPrivateKey({ key: JSON.parse(text), format: 'jwk' });
    expect(imported.export({ format: 'jwk' })).toEqual(jwk);
  });

  it('exports a private KeyObject', () => {
    expect(JSON.parse(privateJwkText(privateKey))).toEqual(jwk);
  });

  it('throws TypeError for a public key, a bad JWK or something else', () => {
    expect(() => privateJwkText(publicKey)).toThrow(TypeError);
    expect(() => privateJwkText({ ...jwk, x: P })).toThrow(TypeError);
    expect(() => privateJwkText({ kty: 'EC' })).toThrow(TypeError);
    expect(() => privateJwkText(null as never)).toThrow(TypeError);
    expect(() => privateJwkText('key' as never)).toThrow(TypeError);
  });

  it('never puts key material in its error messages', () => {
    const bad = { ...jwk, alg: 'ES256' };
    try {
      privateJwkText(bad);
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain(jwk.d);
      expect(String(error)).not.toContain(jwk.x);
      expect(error).toBeInstanceOf(TypeError);
    }
  });
});
