import { describe, expect, it } from 'vitest';
import { createWatermarkTable, issuedAtOrBefore } from './watermarks.js';

describe('issuedAtOrBefore', () => {
  it('revokes a credential issued at or before the watermark, never without one', () => {
    expect(issuedAtOrBefore(49, 50)).toBe(true);
    expect(issuedAtOrBefore(50, 50)).toBe(true);
    expect(issuedAtOrBefore(51, 50)).toBe(false);
    expect(issuedAtOrBefore(0, undefined)).toBe(false);
  });
});

describe('createWatermarkTable', () => {
  it('keeps the highest watermark of a user', () => {
    const table = createWatermarkTable({ ttlMs: 1_000, max: 10, now: () => 0 });
    table.record('alice', 50);
    table.record('alice', 20);
    expect(table.get('alice')).toBe(50);
    expect(() => table.check('alice', 50)).toThrow(
      expect.objectContaining({ code: 'SESSION_REVOKED', reason: 'issued-before-revocation' }),
    );
    expect(() => table.check('alice', 51)).not.toThrow();
  });

  it('forgets a watermark after its TTL', () => {
    let t = 5_000;
    const table = createWatermarkTable({ ttlMs: 1_000, max: 10, now: () => t });
    table.record('alice', 0);
    t = 6_001;
    expect(table.get('alice')).toBeUndefined();
    expect(() => table.check('alice', 0)).not.toThrow();
  });

  it('folds the oldest watermark into a floor when full instead of forgetting it', () => {
    let t = 5_000;
    const table = createWatermarkTable({ ttlMs: 1_000, max: 2, now: () => t });
    table.record('a', 10);
    table.check('a', 11); // reads do not refresh: 'a' stays the oldest
    table.record('b', 20);
    table.record('c', 30);
    expect(table.size).toBe(2);
    expect(() => table.check('a', 10)).toThrow(
      expect.objectContaining({ code: 'CAPACITY_EXHAUSTED', reason: 'registry-full' }),
    );
    expect(() => table.check('z', 9)).toThrow(
      expect.objectContaining({ code: 'CAPACITY_EXHAUSTED', status: 503 }),
    );
    expect(() => table.check('a', 11)).not.toThrow();
    t = 6_001;
    expect(() => table.check('a', 10)).not.toThrow();
  });
});
