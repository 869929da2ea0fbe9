import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  exportSessionPrivateJwk,
  exportSessionPublicJwk,
  generateSessionKeyPair,
  importSessionPrivateKey,
  importSessionPublicKey,
} from './session-keys.js';

describe('generateSessionKeyPair', () => {
  it('generates a P-256 pair whose public JWK has kty, crv, x and y only', async () => {
    const pair = await generateSessionKeyPair();
    expect(pair.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Object.keys(pair.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(importSessionPublicKey(pair.publicJwk).equals(pair.publicKey)).toBe(true);
  });

  it('carries the private JWK of its private key, frozen, with kty, crv, x, y and d only', async () => {
    const pair = await generateSessionKeyPair();
    expect(pair.privateJwk).toEqual(exportSessionPrivateJwk(pair.privateKey));
    expect(Object.keys(pair.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    expect(Object.isFrozen(pair.privateJwk)).toBe(true);
    expect(importSessionPrivateKey(pair.privateJwk).equals(pair.privateKey)).toBe(true);
  });

  it('keeps the private JWK out of a spread, serialised or inspected pair', async () => {
    const pair = await generateSessionKeyPair();
    const { d } = pair.privateJwk;
    expect(Object.keys(pair).sort()).toEqual(['privateKey', 'publicJwk', 'publicKey']);
    expect({ ...pair }).not.toHaveProperty('privateJwk');
    expect(JSON.stringify(pair)).not.toContain(d);
    expect(inspect(pair, { depth: 5 })).not.toContain(d);
  });
});

describe('exportSessionPublicJwk / exportSessionPrivateJwk', () => {
  it('round-trip through the importers, from JWK objects, JSON text and PEM', async () => {
    const pair = await generateSessionKeyPair();
    const privateJwk = exportSessionPrivateJwk(pair.privateKey);
    expect(importSessionPrivateKey(privateJwk).equals(pair.privateKey)).toBe(true);
    expect(importSessionPrivateKey(JSON.stringify(privateJwk)).equals(pair.privateKey)).toBe(true);
    const pkcs8 = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(importSessionPrivateKey(pkcs8).equals(pair.privateKey)).toBe(true);
    expect(exportSessionPublicJwk(pair.privateKey)).toEqual(pair.publicJwk);
    const spki = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(importSessionPublicKey(spki).equals(pair.publicKey)).toBe(true);
    expect(importSessionPublicKey(JSON.stringify(pair.publicJwk)).equals(pair.publicKey)).toBe(true);
  });

  it('refuse keys that are not P-256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => exportSessionPublicJwk(p384.publicKey)).toThrow(TypeError);
    expect(() => exportSessionPrivateJwk(p384.privateKey)).toThrow(TypeError);
    expect(() =>
      exportSessionPrivateJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
    ).toThrow(TypeError);
  });
});

describe('importSessionPublicKey', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = exportSessionPublicJwk(publicKey);

  it('refuses private members, extra members, other curves and points off the curve', () => {
    const d = privateKey.export({ format: 'jwk' }).d;
    const y = Buffer.from(jwk.y, 'base64url');
    y[0] = (y[0] ?? 0) ^ 0x80;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    for (const bad of [
      { ...jwk, d },
      { ...jwk, kid: 'x' },
      { ...jwk, crv: 'P-384' },
      p384.publicKey.export({ format: 'jwk' }),
      { ...jwk, y: y.toString('base64url') },
      { ...jwk, x: `${jwk.x}=` },
      { kty: 'EC', crv: 'P-256', x: jwk.x },
      'not json',
    ]) {
      expect(() => importSessionPublicKey(bad as typeof jwk)).toThrow(TypeError);
    }
  });

  it('refuses a private PEM and a PEM on another curve', () => {
    expect(() =>
      importSessionPublicKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
    ).toThrow(TypeError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => importSessionPublicKey(p384)).toThrow(TypeError);
  });
});

describe('importSessionPrivateKey', () => {
  it('refuses public JWKs, other curves and RSA', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => importSessionPrivateKey(exportSessionPublicJwk(pair.publicKey) as never)).toThrow(TypeError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => importSessionPrivateKey(p384)).toThrow(TypeError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => importSessionPrivateKey(rsa)).toThrow(TypeError);
  });
});
