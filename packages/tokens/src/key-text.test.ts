import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importPrivateKeyText, importPublicKeyText } from './key-text.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const pem = (key: typeof ec.publicKey, type: 'spki' | 'pkcs8' | 'pkcs1' | 'sec1'): string =>
  key.export({ format: 'pem', type } as never).toString();
const jwkText = (key: typeof ec.publicKey, extra: object = {}): string =>
  JSON.stringify({ ...key.export({ format: 'jwk' }), ...extra });

describe('importPublicKeyText', () => {
  it('reads SPKI PEM and public JWK JSON (surrounding whitespace allowed) for every key family', () => {
    for (const pair of [ec, rsa, ed]) {
      expect(importPublicKeyText(`\n${pem(pair.publicKey, 'spki')}\n`).equals(pair.publicKey)).toBe(true);
      expect(importPublicKeyText(` ${jwkText(pair.publicKey)} `).equals(pair.publicKey)).toBe(true);
    }
    expect(
      importPublicKeyText(jwkText(ec.publicKey, { alg: 'ES256', use: 'sig', kid: 'k' }), 'ES256').type,
    ).toBe('public');
  });

  it('refuses private material of any form: it never derives a public key', () => {
    expect(() => importPublicKeyText(pem(ec.privateKey, 'pkcs8'))).toThrow(TypeError);
    expect(() => importPublicKeyText(pem(ec.privateKey, 'sec1'))).toThrow(TypeError);
    expect(() => importPublicKeyText(jwkText(ec.privateKey))).toThrow(TypeError);
    expect(() => importPublicKeyText(JSON.stringify({ kty: 'oct', k: 'AAAA' }))).toThrow(TypeError);
  });

  it('holds the key to the algorithm when one is given, and to a supported family otherwise', () => {
    expect(() => importPublicKeyText(pem(rsa.publicKey, 'spki'), 'ES256')).toThrow(TypeError);
    expect(() => importPublicKeyText(jwkText(ec.publicKey, { alg: 'ES384' }), 'ES256')).toThrow(TypeError);
    expect(() => importPublicKeyText(jwkText(ec.publicKey, { use: 'enc' }))).toThrow(TypeError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(() => importPublicKeyText(pem(p384, 'spki'))).toThrow(TypeError);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => importPublicKeyText(pem(small, 'spki'))).toThrow(TypeError);
  });

  it('refuses malformed text, duplicate JWK members and non-strings, never echoing the input', () => {
    const text = jwkText(ec.publicKey).replace(/^\{/, '{"x":"AAAA",');
    for (const bad of [
      '',
      'garbage',
      '[]',
      '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----',
      text,
    ]) {
      expect(() => importPublicKeyText(bad)).toThrow(TypeError);
    }
    expect(() => importPublicKeyText(7 as never)).toThrow(TypeError);
    try {
      importPublicKeyText('secret-looking-text');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });
});

describe('importPrivateKeyText', () => {
  it('reads PKCS#8 PEM and private JWK JSON for every key family', () => {
    for (const pair of [ec, rsa, ed]) {
      expect(importPrivateKeyText(pem(pair.privateKey, 'pkcs8')).equals(pair.privateKey)).toBe(true);
      expect(importPrivateKeyText(jwkText(pair.privateKey)).equals(pair.privateKey)).toBe(true);
    }
    expect(importPrivateKeyText(pem(ec.privateKey, 'pkcs8'), 'ES256').asymmetricKeyType).toBe('ec');
  });

  it('refuses public keys, other PEM encodings, secrets and keys that do not fit the algorithm', () => {
    expect(() => importPrivateKeyText(pem(ec.publicKey, 'spki'))).toThrow(TypeError);
    expect(() => importPrivateKeyText(jwkText(ec.publicKey))).toThrow(TypeError);
    expect(() => importPrivateKeyText(pem(rsa.privateKey, 'pkcs1'))).toThrow(TypeError);
    expect(() => importPrivateKeyText(pem(ec.privateKey, 'sec1'))).toThrow(TypeError);
    expect(() => importPrivateKeyText(JSON.stringify({ kty: 'oct', k: 'AAAA' }))).toThrow(TypeError);
    expect(() => importPrivateKeyText(pem(rsa.privateKey, 'pkcs8'), 'ES256')).toThrow(TypeError);
    expect(() => importPrivateKeyText(jwkText(ec.privateKey, { alg: 'RS256' }), 'ES256')).toThrow(TypeError);
  });
});
