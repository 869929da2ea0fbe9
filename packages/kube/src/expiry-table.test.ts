import { describe, expect, it } from 'vitest';
import { createExpiryTable } from './expiry-table.js';

describe('createExpiryTable', () => {
  it('returns a value until its absolute expiry, then drops it', () => {
    const table = createExpiryTable<string>(10);
    table.set('k', 'v', 1_000);
    expect(table.get('k', 999)).toBe('v');
    expect(table.get('k', 1_000)).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('never extends an entry on read', () => {
    const table = createExpiryTable<string>(10);
    table.set('k', 'v', 1_000);
    for (let t = 0; t < 1_000; t += 100) expect(table.get('k', t)).toBe('v');
    expect(table.get('k', 1_000)).toBeUndefined();
  });

  it('evicts the oldest insertion beyond maxEntries', () => {
    const table = createExpiryTable<number>(3);
    for (let i = 0; i < 5; i++) table.set(`k${i}`, i, 10_000);
    expect(table.size).toBe(3);
    expect(table.get('k0', 0)).toBeUndefined();
    expect(table.get('k1', 0)).toBeUndefined();
    expect(table.get('k4', 0)).toBe(4);
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    expect(() => createExpiryTable(0)).toThrow(TypeError);
  });
});
