import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ExpiryHeap } from './expiry-heap.js';

describe('ExpiryHeap', () => {
  test.prop([
    fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 200 }),
    fc.integer({ min: 0, max: 200 }),
  ])('pops deadlines in ascending order, after pushes and a rebuild alike', (ats, popsBeforeRebuild) => {
    const heap = new ExpiryHeap<number>();
    for (const [i, at] of ats.entries()) heap.push(at, i);
    const popped: number[] = [];
    for (let n = 0; n < popsBeforeRebuild && heap.size > 0; n++) {
      expect(ats[heap.peekItem() as number]).toBe(heap.peekAt());
      popped.push(heap.peekAt());
      heap.pop();
    }
    const remaining: Array<readonly [number, number]> = [];
    while (heap.size > 0) {
      remaining.push([heap.peekAt(), heap.peekItem() as number]);
      heap.pop();
    }
    heap.rebuild([...remaining].reverse());
    while (heap.size > 0) {
      popped.push(heap.peekAt());
      heap.pop();
    }
    expect(popped).toEqual([...ats].sort((a, b) => a - b));
    expect(heap.peekAt()).toBe(Number.POSITIVE_INFINITY);
  });
});
