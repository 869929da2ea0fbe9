import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aeadOpen, aeadSeal } from './aead.js';

interface WycheproofCase {
  readonly tcId: number;
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofGroup {
  readonly keySize: number;
  readonly ivSize: number;
  readonly tagSize: number;
  readonly tests: readonly WycheproofCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test-vectors/wycheproof/aes_gcm_test.json', import.meta.url), 'utf8'),
) as { testGroups: readonly WycheproofGroup[] };
const hex = (text: string): Uint8Array => Buffer.from(text, 'hex');
// The layer accepts exactly AES-256, a 96-bit IV and a 128-bit tag: every Wycheproof case with those sizes.
const cases = vectors.testGroups
  .filter((group) => group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128)
  .flatMap((group) => group.tests);

describe('aeadOpen / aeadSeal (Wycheproof aes_gcm_test.json, 256-bit key, 96-bit IV, 128-bit tag)', () => {
  it('covers the vectors the layer accepts', () => {
    expect(cases.length).toBe(66);
  });

  it.each(cases.map((c) => [c.tcId, c] as const))('case %i gives its expected result', (_, c) => {
    const opened = aeadOpen(hex(c.key), hex(c.iv), hex(c.ct), hex(c.tag), hex(c.aad));
    if (c.result === 'valid') {
      expect(opened === null ? null : Buffer.from(opened).toString('hex')).toBe(c.msg);
      const sealed = aeadSeal(hex(c.key), hex(c.iv), hex(c.msg), hex(c.aad));
      expect(Buffer.from(sealed.ciphertext).toString('hex')).toBe(c.ct);
      expect(Buffer.from(sealed.tag).toString('hex')).toBe(c.tag);
    } else {
      expect(opened).toBeNull();
    }
  });
});

describe('aeadOpen', () => {
  const key = new Uint8Array(32).fill(7);
  const iv = new Uint8Array(12).fill(1);
  const sealed = aeadSeal(key, iv, Buffer.from('secret'), Buffer.from('aad'));

  it('refuses a truncated tag', () => {
    expect(aeadOpen(key, iv, sealed.ciphertext, sealed.tag.subarray(0, 12), Buffer.from('aad'))).toBeNull();
    expect(aeadOpen(key, iv, sealed.ciphertext, sealed.tag.subarray(0, 4), Buffer.from('aad'))).toBeNull();
  });

  it('refuses other AAD', () => {
    expect(aeadOpen(key, iv, sealed.ciphertext, sealed.tag, Buffer.from('aae'))).toBeNull();
  });

  it('throws TypeError for key or IV sizes other than 256 and 96 bits', () => {
    expect(() => aeadOpen(new Uint8Array(16), iv, sealed.ciphertext, sealed.tag, new Uint8Array())).toThrow(
      TypeError,
    );
    expect(() => aeadSeal(new Uint8Array(24), iv, new Uint8Array(), new Uint8Array())).toThrow(TypeError);
    expect(() => aeadSeal(key, new Uint8Array(16), new Uint8Array(), new Uint8Array())).toThrow(TypeError);
  });
});
