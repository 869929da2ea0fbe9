import { describe, expect, it } from 'vitest';
import { createExpiryQueue } from './expiry-queue.js';

describe('createExpiryQueue', () => {
  it('gives entries back in order of expiry, in-order and out-of-order ones mixed', () => {
    const queue = createExpiryQueue();
    for (const [at, key] of [
      [10, 'a'],
      [20, 'b'],
      [15, 'c'],
      [20, 'd'],
      [5, 'e'],
      [30, 'f'],
      [25, 'g'],
    ] as const) {
      queue.push(at, key);
    }
    expect(queue.size).toBe(7);
    const order: string[] = [];
    let last = Number.NEGATIVE_INFINITY;
    while (queue.size > 0) {
      const at = queue.peek();
      expect(at).toBeGreaterThanOrEqual(last);
      last = at;
      order.push(queue.shift() as string);
    }
    expect(order.slice(0, 3)).toEqual(['e', 'a', 'c']);
    expect(order.slice(-1)).toEqual(['f']);
    expect(queue.peek()).toBe(Number.POSITIVE_INFINITY);
    expect(queue.shift()).toBeUndefined();
  });

  it('keeps order across FIFO compaction', () => {
    const queue = createExpiryQueue();
    for (let i = 0; i < 5000; i++) queue.push(i, `k${i}`);
    for (let i = 0; i < 3000; i++) expect(queue.shift()).toBe(`k${i}`);
    queue.push(2999.5, 'late');
    queue.push(6000, 'last');
    expect(queue.shift()).toBe('late');
    expect(queue.shift()).toBe('k3000');
    expect(queue.size).toBe(2000);
  });
});
