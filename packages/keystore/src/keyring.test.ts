import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createKeyring, deriveKey } from './keyring.js';

const key32 = Buffer.alloc(32, 5);

describe('createKeyring', () => {
  it('takes keys as bytes, base64 or base64url', () => {
    const keyring = createKeyring({
      current: 'a',
      keys: { a: key32, b: key32.toString('base64'), c: Buffer.alloc(32, 0xfb).toString('base64url') },
    });
    expect(keyring.current).toBe('a');
    expect(keyring.keyIds).toEqual(['a', 'b', 'c']);
    expect(Buffer.from(keyring.key('b') ?? [])).toEqual(key32);
    expect(Buffer.from(keyring.key('c') ?? [])).toEqual(Buffer.alloc(32, 0xfb));
    expect(keyring.key('z')).toBeUndefined();
  });

  it('keeps a private copy of the key bytes', () => {
    const bytes = Buffer.alloc(32, 1);
    const keyring = createKeyring({ current: 'a', keys: { a: bytes } });
    bytes.fill(0);
    expect(keyring.key('a')?.[0]).toBe(1);
  });

  it('never prints key bytes', () => {
    const keyring = createKeyring({ current: 'a', keys: { a: key32 } });
    expect(JSON.stringify(keyring)).toBe('{"current":"a","keyIds":["a"]}');
  });

  it.each([
    ['a key that is not 256 bits', { current: 'a', keys: { a: Buffer.alloc(16) } }],
    ['a 31-byte base64 key', { current: 'a', keys: { a: Buffer.alloc(31).toString('base64') } }],
    ['a key that is not base64', { current: 'a', keys: { a: 'not base64!' } }],
    ['a PEM', { current: 'a', keys: { a: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' } }],
    ['a current id not in keys', { current: 'b', keys: { a: key32 } }],
    ['a key id with braces', { current: '{a}', keys: { '{a}': key32 } }],
    ['an empty keyring', { current: 'a', keys: {} }],
  ])('throws TypeError for %s', (_, input) => {
    expect(() => createKeyring(input as Parameters<typeof createKeyring>[0])).toThrow(TypeError);
  });
});

interface HkdfCase {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
  readonly result: string;
}
const hkdf = JSON.parse(
  readFileSync(new URL('../../../test-vectors/wycheproof/hkdf_sha256_test.json', import.meta.url), 'utf8'),
) as {
  testGroups: ReadonlyArray<{ tests: readonly HkdfCase[] }>;
};
// deriveKey yields 32 bytes from a master of at least 32 and a non-empty info: the cases that fit.
// HKDF output is a prefix-stable stream, so the first 32 bytes of a longer OKM are the expected key.
const hkdfCases = hkdf.testGroups
  .flatMap((group) => group.tests)
  .filter((c) => c.result === 'valid' && c.ikm.length >= 64 && c.size >= 32 && c.info.length > 0);

describe('deriveKey', () => {
  it('matches Wycheproof HKDF-SHA-256 vectors', () => {
    expect(hkdfCases.length).toBe(24);
    for (const c of hkdfCases) {
      const derived = deriveKey(
        Buffer.from(c.ikm, 'hex'),
        Buffer.from(c.info, 'hex'),
        Buffer.from(c.salt, 'hex'),
      );
      expect(Buffer.from(derived).toString('hex')).toBe(c.okm.slice(0, 64));
    }
  });

  it('derives distinct keys per info and accepts base64 text', () => {
    const master = Buffer.alloc(32, 9).toString('base64');
    expect(deriveKey(master, 'a')).not.toEqual(deriveKey(master, 'b'));
    expect(deriveKey(master, 'a')).toEqual(deriveKey(Buffer.alloc(32, 9), 'a'));
  });

  it('refuses a PEM, a short master and an empty info with TypeError', () => {
    expect(() => deriveKey('-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----', 'a')).toThrow(
      TypeError,
    );
    expect(() => deriveKey(Buffer.alloc(16), 'a')).toThrow(TypeError);
    expect(() => deriveKey(Buffer.alloc(32), '')).toThrow(TypeError);
  });
});
