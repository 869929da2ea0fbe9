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
      driver: memoryDriver({ max: 1, now: () => clock }),
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

  it('throws TypeError for a bad max', () => {
    expect(() => memoryDriver({ max: 0 })).toThrow(TypeError);
  });
});
