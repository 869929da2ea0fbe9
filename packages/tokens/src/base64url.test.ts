import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url, encodeBase64url, isCanonicalBase64url } from './base64url.js';

describe('isCanonicalBase64url', () => {
  it('accepts the canonical spelling only', () => {
    expect(isCanonicalBase64url(encodeBase64url(Uint8Array.from([0xff])))).toBe(true);
    expect(isCanonicalBase64url('_w')).toBe(true);
    expect(isCanonicalBase64url('_x')).toBe(false);
    expect(isCanonicalBase64url('_w==')).toBe(false);
    expect(isCanonicalBase64url('/w')).toBe(false);
    expect(isCanonicalBase64url('a')).toBe(false);
    expect(isCanonicalBase64url('ab c')).toBe(false);
    expect(isCanonicalBase64url('')).toBe(true);
  });

  it('decodes canonical segments and refuses others', () => {
    expect(decodeCanonicalBase64url(encodeBase64url('hello'))?.toString()).toBe('hello');
    expect(decodeCanonicalBase64url('aGVsbG9')).toBeUndefined();
  });
});
