import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { createExpiryTable } from './expiry-table.js';

const op = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.integer({ min: 0, max: 7 }),
    ttl: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30 }) }),
);

test.prop([fc.array(op, { maxLength: 200 })])(
  'a value is returned exactly while now < its absolute expiry, however often it is read',
  (ops) => {
    const table = createExpiryTable<number>(100);
    const model = new Map<number, { value: number; expiresAtMs: number }>();
    let nowMs = 0;
    let value = 0;
    for (const step of ops) {
      if (step.kind === 'tick') nowMs += step.ms;
      else if (step.kind === 'set') {
        value++;
        table.set(String(step.key), value, nowMs + step.ttl);
        model.set(step.key, { value, expiresAtMs: nowMs + step.ttl });
      } else {
        const entry = model.get(step.key);
        const expected = entry !== undefined && nowMs < entry.expiresAtMs ? entry.value : undefined;
        expect(table.get(String(step.key), nowMs)).toBe(expected);
      }
    }
  },
);

test.prop([fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 300 })])(
  'never holds more than maxEntries, and the newest insertion is always present',
  (maxEntries, keys) => {
    const table = createExpiryTable<number>(maxEntries);
    for (const key of keys) {
      table.set(String(key), key, 1_000);
      expect(table.size).toBeLessThanOrEqual(maxEntries);
      expect(table.get(String(key), 0)).toBe(key);
    }
  },
);
