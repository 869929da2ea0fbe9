import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCacheKeyer } from './cache-key.js';

const KEY = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 128);

describe('createCacheKeyer', () => {
  it('computes standard HMAC-SHA256 of the UTF-8 message', () => {
    const keyOf = createCacheKeyer({ key: KEY });
    for (const message of ['', 'a', 'eyJhbGciOi.x.y\u0000latchkey', 'é∂ unicode ✓', 'x'.repeat(5000)]) {
      expect(keyOf(message)).toBe(createHmac('sha256', KEY).update(message, 'utf8').digest('base64url'));
    }
  });

  it('gives different keys under different per-process keys', () => {
    expect(createCacheKeyer()('token')).not.toBe(createCacheKeyer()('token'));
  });

  it('is stable for one keyer', () => {
    const keyOf = createCacheKeyer();
    expect(keyOf('token')).toBe(keyOf('token'));
  });

  it('refuses a key of the wrong length or with a byte of 0x80 or more', () => {
    expect(() => createCacheKeyer({ key: new Uint8Array(32) })).toThrow(TypeError);
    expect(() => createCacheKeyer({ key: new Uint8Array(64).fill(0x80) })).toThrow(TypeError);
  });
});
