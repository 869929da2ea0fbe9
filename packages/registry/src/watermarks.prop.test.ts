import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createWatermarkTable } from './watermarks.js';

const TTL = 1_000;
const T0 = 1_000_000;

describe('createWatermarkTable properties', () => {
  test.prop([
    fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 100 })), {
      maxLength: 40,
    }),
    fc.integer({ min: 1, max: 4 }),
  ])(
    'never accepts a credential issued at or before a live logout, however small the table',
    (logouts, max) => {
      let now = T0;
      const table = createWatermarkTable({ ttlMs: TTL, max, now: () => now });
      const latest = new Map<string, number>();
      for (const [user, step] of logouts) {
        now += step;
        table.record(user, now);
        latest.set(user, now);
      }
      for (const [user, at] of latest) {
        if (now - at > TTL) continue;
        // Either the exact watermark or the floor refuses it; never accepted.
        expect(() => table.check(user, at)).toThrow(expect.objectContaining({ status: expect.any(Number) }));
        let code: unknown;
        try {
          table.check(user, at);
        } catch (error) {
          code = (error as { code?: unknown }).code;
        }
        expect(['SESSION_REVOKED', 'CAPACITY_EXHAUSTED']).toContain(code);
      }
    },
  );

  test.prop([fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 20 })])(
    'a user’s watermark is the highest recorded value',
    (values) => {
      const table = createWatermarkTable({ ttlMs: TTL, max: 4, now: () => T0 });
      for (const value of values) table.record('alice', value);
      expect(table.get('alice')).toBe(Math.max(...values));
    },
  );
});
