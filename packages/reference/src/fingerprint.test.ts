import { describe, expect, it } from 'vitest';
import { createFingerprint, sessionFingerprint } from './fingerprint.js';

describe('createFingerprint', () => {
  it('gives 16 hex characters, stable under one key, different under another, never the id', () => {
    const id = 'Hb2I9ziybxWyRrV5VVatWiHRAPi4f4oz';
    const one = createFingerprint(new Uint8Array(32).fill(1));
    const other = createFingerprint(new Uint8Array(32).fill(2));
    expect(one(id)).toMatch(/^[0-9a-f]{16}$/);
    expect(one(id)).toBe(one(id));
    expect(other(id)).not.toBe(one(id));
    expect(one(`${id}x`)).not.toBe(one(id));
    expect(sessionFingerprint(id)).not.toContain(id);
  });

  it('refuses a key shorter than 16 bytes with a TypeError', () => {
    expect(() => createFingerprint(new Uint8Array(15))).toThrow(TypeError);
  });
});
