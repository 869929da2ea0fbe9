import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  derToJose,
  derToJoseBase64url,
  joseToDer,
  keyFitsAlgorithm,
  type SignatureAlgorithm,
  signES256,
  verifyES256Sync,
  verifySignature,
} from './signature.js';

const VECTORS = new URL('../../../test-vectors/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');
const json = <T>(path: string): T => JSON.parse(text(path)) as T;

function publicFromJwk(jwk: Record<string, unknown>): KeyObject {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return createPublicKey({ key: rest as JsonWebKey, format: 'jwk' });
}

function splitCompact(compact: string): { input: Buffer; signature: Buffer } {
  const last = compact.lastIndexOf('.');
  return {
    input: Buffer.from(compact.slice(0, last), 'ascii'),
    signature: Buffer.from(compact.slice(last + 1), 'base64url'),
  };
}

function flipped(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[10] = (copy[10] ?? 0) ^ 0x01;
  return copy;
}

describe('verifySignature: RFC 7515 and RFC 7520 known answers', () => {
  it.each([
    ['RFC 7515 A.2', 'RS256', 'jose-cookbook/rfc7515/rfc7515_A.2'],
    ['RFC 7515 A.3', 'ES256', 'jose-cookbook/rfc7515/rfc7515_A.3'],
  ] as const)('%s verifies as %s, and not with one bit flipped', async (_name, alg, base) => {
    const key = publicFromJwk(json(`${base}.jwk`));
    const { input, signature } = splitCompact(text(`${base}.jwsc`).trim());
    expect(await verifySignature(alg, key, input, signature)).toBe(true);
    expect(await verifySignature(alg, key, input, flipped(signature))).toBe(false);
    expect(await verifySignature(alg, key, flipped(input), signature)).toBe(false);
  });

  it('RFC 7520 §4.1 (RS256) verifies with the cookbook RSA key and with the embedded key', async () => {
    const vector = json<{ input: { key: Record<string, unknown> }; output: { compact: string } }>(
      'jose-cookbook/rfc7520/jws/4_1.rsa_v15_signature.json',
    );
    const { input, signature } = splitCompact(vector.output.compact);
    expect(await verifySignature('RS256', publicFromJwk(vector.input.key), input, signature)).toBe(true);
    expect(
      await verifySignature(
        'RS256',
        publicFromJwk(json('jose-cookbook/rfc7520/jwk/3_3.rsa_public_key.json')),
        input,
        signature,
      ),
    ).toBe(true);
    expect(await verifySignature('RS256', publicFromJwk(vector.input.key), input, flipped(signature))).toBe(
      false,
    );
  });

  it('RFC 7520 §4.3 is ES512 on P-521 only: the ES256-only layer refuses it', async () => {
    const vector = json<{ input: { key: Record<string, unknown> }; output: { compact: string } }>(
      'jose-cookbook/rfc7520/jws/4_3.ecdsa_signature.json',
    );
    const key = publicFromJwk(vector.input.key);
    const { input, signature } = splitCompact(vector.output.compact);
    expect(keyFitsAlgorithm(key, 'ES256')).toBe(false);
    expect(await verifySignature('ES256', key, input, signature)).toBe(false);
  });

  it('refuses RFC 7515 A.1 (HS256), A.4 (ES512) and A.5 (alg none)', async () => {
    const a1 = splitCompact(text('jose-cookbook/rfc7515/rfc7515_A.1.jwsc').trim());
    const a4 = splitCompact(text('jose-cookbook/rfc7515/rfc7515_A.4.jwsc').trim());
    const a5 = splitCompact(text('jose-cookbook/rfc7515/rfc7515_A.5.jwsc').trim());
    const es = publicFromJwk(json('jose-cookbook/rfc7515/rfc7515_A.3.jwk'));
    expect(await verifySignature('HS256' as SignatureAlgorithm, es, a1.input, a1.signature)).toBe(false);
    expect(
      await verifySignature(
        'ES256',
        publicFromJwk(json('jose-cookbook/rfc7515/rfc7515_A.4.jwk')),
        a4.input,
        a4.signature,
      ),
    ).toBe(false);
    expect(await verifySignature('ES256', es, a5.input, a5.signature)).toBe(false);
  });
});

interface WycheproofTest {
  readonly tcId: number;
  readonly msg: string;
  readonly sig: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofGroup {
  readonly publicKeyPem: string;
  readonly tests: readonly WycheproofTest[];
}

async function runWycheproof(
  file: string,
  alg: SignatureAlgorithm,
): Promise<{ count: number; mismatches: number[] }> {
  const { testGroups } = json<{ testGroups: readonly WycheproofGroup[] }>(`wycheproof/${file}`);
  const mismatches: number[] = [];
  let count = 0;
  for (const group of testGroups) {
    const key = createPublicKey(group.publicKeyPem);
    for (const test of group.tests) {
      count++;
      const ok = await verifySignature(alg, key, Buffer.from(test.msg, 'hex'), Buffer.from(test.sig, 'hex'));
      if (test.result !== 'acceptable' && ok !== (test.result === 'valid')) mismatches.push(test.tcId);
    }
  }
  return { count, mismatches };
}

describe('verifySignature: Wycheproof', () => {
  it('gives exactly the expected result for all 262 ECDSA P-256 SHA-256 P1363 vectors', async () => {
    expect(await runWycheproof('ecdsa_secp256r1_sha256_p1363_test.json', 'ES256')).toEqual({
      count: 262,
      mismatches: [],
    });
  });

  it('gives exactly the expected result for all 259 RSA PKCS#1 v1.5 2048 SHA-256 vectors', async () => {
    expect(await runWycheproof('rsa_signature_2048_sha256_test.json', 'RS256')).toEqual({
      count: 259,
      mismatches: [],
    });
  });
});

describe('joseToDer and derToJose', () => {
  it('convert node DER signatures both ways, including short r and s', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, privateKey);
      const jose = derToJose(der);
      expect(jose).toHaveLength(64);
      expect(joseToDer(jose).equals(der)).toBe(true);
      expect(verifyES256Sync(publicKey, data, jose)).toBe(true);
    }
    const signature = await signES256(privateKey, Buffer.from('x'));
    expect(verifyES256Sync(publicKey, Buffer.from('x'), signature)).toBe(true);
    expect(joseToDer(Buffer.alloc(64))).toEqual(Buffer.from([0x30, 6, 2, 1, 0, 2, 1, 0]));
  });

  it('derToJoseBase64url gives the same text as derToJose for every signature shape', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let short = 0;
    for (let i = 0; i < 3000; i++) {
      const der = sign('sha256', Buffer.from(`m${i}`), privateKey);
      if (der.length < 70) short++;
      const expected = derToJose(der).toString('base64url');
      expect(derToJoseBase64url(Buffer.from(der))).toBe(expected);
    }
    // About 1 in 128 signatures has a short r or s; the fallback path must have been taken too.
    expect(short).toBeGreaterThan(0);
  });

  it('refuses input that is not a DER signature', () => {
    expect(() => derToJose(Buffer.from([0x31, 0]))).toThrow(TypeError);
    expect(() => derToJose(Buffer.from([0x30, 4, 2, 40, 0, 0]))).toThrow(TypeError);
  });
});

describe('keyFitsAlgorithm', () => {
  it('matches family, curve and RSA size', () => {
    expect(keyFitsAlgorithm(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'RS256')).toBe(
      false,
    );
    expect(keyFitsAlgorithm(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, 'ES256')).toBe(
      false,
    );
    expect(keyFitsAlgorithm(generateKeyPairSync('ed25519').publicKey, 'EdDSA')).toBe(true);
    expect(keyFitsAlgorithm(generateKeyPairSync('ed25519').publicKey, 'ES256')).toBe(false);
  });
});
