import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { createExpiryQueue } from './expiry-queue.js';

test.prop([
  fc.array(
    fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 1000 }) }), fc.record({ shift: fc.constant(true) })),
    { maxLength: 300 },
  ),
])('always gives back the earliest expiry held, like a sorted list', (operations) => {
  const queue = createExpiryQueue();
  const model: number[] = [];
  let id = 0;
  const atOf = new Map<string, number>();
  for (const operation of operations) {
    if ('push' in operation) {
      const key = `k${id++}`;
      atOf.set(key, operation.push);
      queue.push(operation.push, key);
      model.push(operation.push);
      model.sort((a, b) => a - b);
    } else {
      expect(queue.peek()).toBe(model[0] ?? Number.POSITIVE_INFINITY);
      const key = queue.shift();
      const expected = model.shift();
      expect(key === undefined ? undefined : atOf.get(key)).toBe(expected);
    }
    expect(queue.size).toBe(model.length);
  }
});
