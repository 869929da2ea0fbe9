import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importBootstrapPrivateKey, importBootstrapPublicKey } from './bootstrap-keys.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const pkcs8 = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicJwk = rsa.publicKey.export({ format: 'jwk' });
const privateJwk = rsa.privateKey.export({ format: 'jwk' });

describe('importBootstrapPublicKey', () => {
  it('imports an SPKI PEM, a JWK object and JWK text', () => {
    expect(importBootstrapPublicKey(spki).equals(rsa.publicKey)).toBe(true);
    expect(importBootstrapPublicKey(publicJwk).equals(rsa.publicKey)).toBe(true);
    expect(
      importBootstrapPublicKey(JSON.stringify({ ...publicJwk, alg: 'RS256', use: 'sig' })).equals(
        rsa.publicKey,
      ),
    ).toBe(true);
  });

  it('refuses private material, in PEM or JWK', () => {
    expect(() => importBootstrapPublicKey(pkcs8)).toThrow(TypeError);
    expect(() => importBootstrapPublicKey(privateJwk)).toThrow(TypeError);
  });

  it('refuses RSA under 2048 bits and keys that do not fit the algorithm', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => importBootstrapPublicKey(small)).toThrow(TypeError);
    expect(() => importBootstrapPublicKey(spki, 'ES256')).toThrow(TypeError);
    expect(() => importBootstrapPublicKey({ ...publicJwk, alg: 'PS256' }, 'RS256')).toThrow(TypeError);
    expect(() => importBootstrapPublicKey({ ...publicJwk, use: 'enc' })).toThrow(TypeError);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(importBootstrapPublicKey(ed, 'EdDSA').asymmetricKeyType).toBe('ed25519');
    expect(() => importBootstrapPublicKey('garbage')).toThrow(TypeError);
  });
});

describe('importBootstrapPrivateKey', () => {
  it('imports PKCS#8 PEM and private JWKs, and refuses public or unfit keys', () => {
    expect(importBootstrapPrivateKey(pkcs8).equals(rsa.privateKey)).toBe(true);
    expect(importBootstrapPrivateKey(JSON.stringify(privateJwk), 'PS256').equals(rsa.privateKey)).toBe(true);
    expect(() => importBootstrapPrivateKey(publicJwk)).toThrow(TypeError);
    expect(() => importBootstrapPrivateKey(pkcs8, 'EdDSA')).toThrow(TypeError);
    expect(() =>
      importBootstrapPrivateKey('-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----'),
    ).toThrow(TypeError);
  });
});
