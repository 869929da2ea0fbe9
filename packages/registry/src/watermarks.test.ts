import { describe, expect, it } from 'vitest';
import { createWatermarkTable, type EvictedWatermark } from './watermarks.js';

describe('createWatermarkTable', () => {
  it('keeps the highest watermark of a user', () => {
    const table = createWatermarkTable({ keepMs: 100, max: 10, now: () => 0, onEvict: () => {} });
    table.record('a', 5);
    table.record('a', 3);
    expect(table.get('a')).toBe(5);
    table.record('a', 7);
    expect(table.get('a')).toBe(7);
    expect(table.get('b')).toBeUndefined();
  });

  it('forgets a watermark keepMs after it was recorded', () => {
    const clock = { now: 0 };
    const table = createWatermarkTable({ keepMs: 100, max: 10, now: () => clock.now, onEvict: () => {} });
    table.record('a', 0);
    clock.now = 99;
    expect(table.get('a')).toBe(0);
    clock.now = 100;
    expect(table.get('a')).toBeUndefined();
  });

  it('drops expired entries from the front without calling onEvict, and evicts the oldest live one when full', () => {
    const clock = { now: 0 };
    const evicted: EvictedWatermark[] = [];
    const table = createWatermarkTable({
      keepMs: 100,
      max: 2,
      now: () => clock.now,
      onEvict: (e) => evicted.push(e),
    });
    table.record('a', 0);
    clock.now = 10;
    table.record('b', 10);
    clock.now = 150; // a and b expired
    table.record('c', 150);
    table.record('d', 150);
    expect(evicted).toEqual([]);
    table.record('e', 150); // full of live entries: the oldest (c) goes
    expect(evicted).toEqual([{ userId: 'c', revokedAtMs: 150, expiresAtMs: 250 }]);
    expect(table.get('c')).toBeUndefined();
    expect(table.get('d')).toBe(150);
    expect(table.size).toBe(2);
  });

  it('a raised watermark moves to the back: eviction order is expiry order', () => {
    const clock = { now: 0 };
    const evicted: string[] = [];
    const table = createWatermarkTable({
      keepMs: 100,
      max: 2,
      now: () => clock.now,
      onEvict: (e) => evicted.push(e.userId),
    });
    table.record('a', 0);
    clock.now = 1;
    table.record('b', 1);
    clock.now = 2;
    table.record('a', 2);
    table.record('c', 2);
    expect(evicted).toEqual(['b']);
  });
});
