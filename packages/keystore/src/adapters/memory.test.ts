import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSessionStore } from '../session-store.js';
import { runSessionStoreConformance, testKeyring, testRecord } from '../testing.js';
import { memoryDriver } from './memory.js';

runSessionStoreConformance({ name: 'memory', createDriver: () => memoryDriver() });

describe('memoryDriver', () => {
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

  it('refuses a new session when full of live ones, instead of evicting one', async () => {
    const store = createSessionStore({ driver: memoryDriver({ max: 2 }), keyring: testKeyring() });
    await store.put('a', { record: testRecord(), privateKey });
    await store.put('b', { record: testRecord(), privateKey });
    await expect(store.put('c', { record: testRecord(), privateKey })).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      status: 503,
      reason: 'cache-full',
    });
    await store.put('a', { record: testRecord(), privateKey }); // replacing a held session still works
    expect(await store.getRecord('a')).not.toBeNull();
    expect(await store.getRecord('b')).not.toBeNull();
  });

  it('makes room once sessions have expired, on its injected clock', async () => {
    let clock = 1_000;
    const store = createSessionStore({
      driver: memoryDriver({ max: 1, monotonicNowMs: () => clock }),
      keyring: testKeyring(),
    });
    await store.put('a', { record: testRecord(), privateKey, ttlSeconds: 10 });
    clock = 10_000;
    expect(await store.getRecord('a')).not.toBeNull();
    clock = 11_001;
    expect(await store.getRecord('a')).toBeNull();
    await store.put('b', { record: testRecord(), privateKey, ttlSeconds: 10 });
    expect(await store.getRecord('b')).not.toBeNull();
  });

  it('reclaims the expired session when full, keeping a touched one that outlived its first TTL', async () => {
    let clock = 0;
    const driver = memoryDriver({ max: 2, monotonicNowMs: () => clock });
    await driver.write('a', 'ra', 'ka', 10);
    await driver.write('b', 'rb', 'kb', 10);
    expect(await driver.touch('a', 100)).toBe(true);
    clock = 20_000; // b expired, a lives until 100 s
    await driver.write('c', 'rc', 'kc', 10);
    expect(await driver.read('a', 'record')).toBe('ra');
    expect(await driver.read('b', 'record')).toBeNull();
    expect(await driver.read('c', 'key')).toBe('kc');
    await expect(driver.write('d', 'rd', 'kd', 10)).rejects.toMatchObject({ code: 'CAPACITY_EXHAUSTED' });
  });

  it('scans every session once in insertion order, page by page, and skips deleted or expired ones', async () => {
    let clock = 0;
    const driver = memoryDriver({ monotonicNowMs: () => clock });
    for (let i = 0; i < 10; i++) await driver.write(`s${i}`, 'r', 'k', i === 3 ? 1 : 60);
    await driver.delete('s5');
    clock = 2_000; // s3 expired
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await driver.scan(cursor, 3);
      expect(page.sessionIds.length).toBeLessThanOrEqual(3);
      seen.push(...page.sessionIds);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(['s0', 's1', 's2', 's4', 's6', 's7', 's8', 's9']);
  });

  it('resumes a scan after the session its cursor names was deleted, and returns ones added meanwhile', async () => {
    const driver = memoryDriver();
    for (const id of ['a', 'b', 'c', 'd']) await driver.write(id, 'r', 'k', 60);
    const first = await driver.scan(null, 2);
    expect(first.sessionIds).toEqual(['a', 'b']);
    await driver.delete('b');
    await driver.write('e', 'r', 'k', 60);
    const rest = await driver.scan(first.cursor, 10);
    expect(rest).toEqual({ sessionIds: ['c', 'd', 'e'], cursor: null });
  });

  it('throws TypeError for a bad max, clock or cursor', async () => {
    expect(() => memoryDriver({ max: 0 })).toThrow(TypeError);
    expect(() => memoryDriver({ monotonicNowMs: 5 as never })).toThrow(TypeError);
    await expect(memoryDriver().scan('0|x|0', 10)).rejects.toThrow(TypeError);
  });
});
