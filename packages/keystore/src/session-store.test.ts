import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryDriver } from './adapters/memory.js';
import type { SessionStoreDriver } from './driver.js';
import { createSessionStore, type StoreFailureEvent } from './session-store.js';
import { testKeyring, testRecord } from './testing.js';

const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

/** A port whose every call fails or hangs the way a broken store does (the port, not a client). */
function failingDriver(fail: () => Promise<never>): SessionStoreDriver {
  return { write: fail, read: fail, touch: fail, delete: fail, scan: fail, swapKey: fail };
}

describe('createSessionStore', () => {
  it('throws TypeError for bad options', () => {
    const keyring = testKeyring();
    const driver = memoryDriver();
    // `prefix` moved to the driver (`redisSessionDriver(client, { prefix })`): passing it here is a bug.
    expect(() => createSessionStore({ driver, keyring, prefix: 'app' } as never)).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring, ttlSeconds: 0 })).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring, timeoutMs: 0 })).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring, keyCache: { max: 0, ttlMs: 1 } })).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring: {} as never })).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring, recordCache: { max: -1 } })).toThrow(TypeError);
    expect(() => createSessionStore({ driver, keyring, recordCache: { max: 1.5 } })).toThrow(TypeError);
  });

  it('validates every read with recordCache off, and reports a corrupt record through onFailure', async () => {
    const driver = memoryDriver();
    const events: StoreFailureEvent[] = [];
    const stored = { text: '' };
    // The driver's text for the record is swapped under the store, as a foreign writer would.
    const swapping: SessionStoreDriver = {
      ...driver,
      read: async (sessionId, part) => (part === 'record' ? stored.text : driver.read(sessionId, part)),
    };
    const store = createSessionStore({
      driver: swapping,
      keyring: testKeyring(),
      recordCache: { max: 0 },
      onFailure: (event) => events.push(event),
    });
    const record = testRecord();
    await store.put('s1', { record, privateKey });
    stored.text = (await driver.read('s1', 'record')) as string;
    expect(await store.getRecord('s1')).toEqual(record);
    stored.text = stored.text.replace('"authMode":"', '"authMode":" ');
    await expect(store.getRecord('s1')).rejects.toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(events).toEqual([{ operation: 'getRecord', code: 'INTERNAL', reason: 'unexpected' }]);
  });

  it('answers STORE_UNAVAILABLE (timeout) for a store that hangs, never null', async () => {
    const events: StoreFailureEvent[] = [];
    const store = createSessionStore({
      driver: failingDriver(() => new Promise<never>(() => {})),
      keyring: testKeyring(),
      timeoutMs: 30,
      onFailure: (event) => events.push(event),
    });
    await expect(store.getRecord('s1')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
      reason: 'timeout',
    });
    await expect(store.getPrivateKey('s1')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'timeout',
    });
    await expect(store.touch('s1', 5)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'timeout',
    });
    await expect(store.delete('s1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'timeout' });
    await expect(store.rewrap()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'timeout' });
    expect(events.map((event) => event.operation)).toEqual([
      'getRecord',
      'getPrivateKey',
      'touch',
      'delete',
      'rewrap',
    ]);
  });

  it('maps a refused connection to STORE_UNAVAILABLE (connection)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const store = createSessionStore({
      driver: failingDriver(() => Promise.reject(refused)),
      keyring: testKeyring(),
    });
    await expect(store.put('s1', { record: testRecord(), privateKey })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'connection',
    });
  });

  it('reports a decrypt failure without key material', async () => {
    const events: StoreFailureEvent[] = [];
    const driver = memoryDriver();
    const writer = createSessionStore({ driver, keyring: testKeyring(['a']) });
    const reader = createSessionStore({
      driver,
      keyring: testKeyring(['b']),
      onFailure: (event) => events.push(event),
    });
    await writer.put('s1', { record: testRecord(), privateKey });
    await expect(reader.getPrivateKey('s1')).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
      reason: 'unknown-key-id',
    });
    expect(events).toEqual([
      { operation: 'getPrivateKey', code: 'DECRYPT_FAILED', reason: 'unknown-key-id' },
    ]);
  });

  it('returns null for a record past its expiresAtMs, whatever the TTL', async () => {
    let clock = 1_000_000;
    const store = createSessionStore({ driver: memoryDriver(), keyring: testKeyring(), now: () => clock });
    await store.put('s1', {
      record: testRecord(clock, { expiresAtMs: clock + 5_000 }),
      privateKey,
      ttlSeconds: 3600,
    });
    expect(await store.getRecord('s1')).not.toBeNull();
    clock += 5_000;
    expect(await store.getRecord('s1')).toBeNull();
  });

  it('throws TypeError for a put that is a caller bug', async () => {
    const store = createSessionStore({ driver: memoryDriver(), keyring: testKeyring() });
    await expect(store.put('s1', { record: testRecord(), privateKey: publicKey })).rejects.toThrow(TypeError);
    await expect(store.put('s1', { record: testRecord(), privateKey: { kty: 'EC' } })).rejects.toThrow(
      TypeError,
    );
    await expect(store.put('s1', { record: testRecord(), privateKey, ttlSeconds: 1.5 })).rejects.toThrow(
      TypeError,
    );
    await expect(store.put('s1', { record: testRecord(0, { expiresAtMs: 1 }), privateKey })).rejects.toThrow(
      TypeError,
    );
    expect(await store.getRecord('s1')).toBeNull(); // nothing half-written
  });

  it('reads a stored JWK whose point is off the curve as DECRYPT_FAILED (malformed), never as a key', async () => {
    // put checks a JWK's shape only; the import on read is what refuses the point (see private-jwk.ts).
    const jwk = privateKey.export({ format: 'jwk' }) as { x: string; y: string };
    const store = createSessionStore({ driver: memoryDriver(), keyring: testKeyring() });
    await store.put('s1', { record: testRecord(), privateKey: { ...jwk, y: jwk.x } });
    await expect(store.getPrivateKey('s1')).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
      status: 500,
      reason: 'malformed',
    });
  });

  it('serves a cached key without a store call, and a delete here drops it', async () => {
    const driver = memoryDriver();
    let reads = 0;
    const counting: SessionStoreDriver = {
      ...driver,
      read: (sessionId, part) => {
        reads++;
        return driver.read(sessionId, part);
      },
    };
    const store = createSessionStore({
      driver: counting,
      keyring: testKeyring(),
      keyCache: { max: 10, ttlMs: 60_000 },
    });
    await store.put('s1', { record: testRecord(), privateKey });
    const first = await store.getPrivateKey('s1');
    expect(await store.getPrivateKey('s1')).toBe(first);
    expect(reads).toBe(1);
    await store.delete('s1');
    expect(await store.getPrivateKey('s1')).toBeNull();
  });

  it('does not cache a key whose read raced a delete on this instance', async () => {
    const driver = memoryDriver();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: SessionStoreDriver = {
      ...driver,
      read: async (sessionId, part) => {
        const value = await driver.read(sessionId, part);
        await gate;
        return value;
      },
    };
    const store = createSessionStore({
      driver: slow,
      keyring: testKeyring(),
      keyCache: { max: 10, ttlMs: 60_000 },
      timeoutMs: 1_000,
    });
    await store.put('s1', { record: testRecord(), privateKey });
    const racing = store.getPrivateKey('s1');
    await store.delete('s1');
    release();
    expect(await racing).not.toBeNull(); // read before the delete landed
    expect(await store.getPrivateKey('s1')).toBeNull(); // but not cached
  });
});
