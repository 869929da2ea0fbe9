import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryDriver } from './adapters/memory.js';
import type { SessionStoreDriver } from './driver.js';
import { envelopeKeyId } from './envelope.js';
import { createKeyring } from './keyring.js';
import { createSessionStore } from './session-store.js';
import { testRecord } from './testing.js';

const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

async function rotatedStores(count: number, driver: SessionStoreDriver) {
  const oldKey = randomBytes(32);
  const old = createSessionStore({
    driver,
    keyring: createKeyring({ current: 'old', keys: { old: oldKey } }),
  });
  for (let i = 0; i < count; i++) await old.put(`s${i}`, { record: testRecord(), privateKey });
  const keyring = createKeyring({ current: 'new', keys: { new: randomBytes(32), old: oldKey } });
  return keyring;
}

describe('SessionStore.rewrap', () => {
  it('keeps at most `concurrency` store calls of a page in flight', async () => {
    const base = memoryDriver();
    const keyring = await rotatedStores(40, base);
    let inFlight = 0;
    let most = 0;
    const track =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        try {
          return await call(...args);
        } finally {
          inFlight--;
        }
      };
    const driver: SessionStoreDriver = {
      ...base,
      read: track(base.read),
      swapKey: track(base.swapKey),
    };
    const store = createSessionStore({ driver, keyring });
    const page = await store.rewrap({ batch: 40, concurrency: 5 });
    expect(page).toEqual({ cursor: null, scanned: 40, rewrapped: 40, skipped: 0, failed: 0 });
    expect(most).toBe(5);
    for (let i = 0; i < 40; i++) expect(envelopeKeyId((await base.read(`s${i}`, 'key')) ?? '')).toBe('new');
  });

  it('skips entries already under the current key on a second pass', async () => {
    const driver = memoryDriver();
    const keyring = await rotatedStores(5, driver);
    const store = createSessionStore({ driver, keyring });
    expect((await store.rewrap()).rewrapped).toBe(5);
    expect(await store.rewrap()).toEqual({ cursor: null, scanned: 5, rewrapped: 0, skipped: 5, failed: 0 });
  });

  it('stops the page at the first store failure, as STORE_UNAVAILABLE', async () => {
    const base = memoryDriver();
    const keyring = await rotatedStores(10, base);
    let reads = 0;
    const driver: SessionStoreDriver = {
      ...base,
      read: (sessionId, part) =>
        ++reads === 3 ? Promise.reject(new Error('Connection is closed.')) : base.read(sessionId, part),
    };
    const store = createSessionStore({ driver, keyring });
    await expect(store.rewrap({ concurrency: 1 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'closed',
    });
    expect(reads).toBe(3);
  });

  it('throws TypeError for a bad batch or concurrency', async () => {
    const store = createSessionStore({
      driver: memoryDriver(),
      keyring: createKeyring({ current: 'k', keys: { k: randomBytes(32) } }),
    });
    await expect(store.rewrap({ batch: 0 })).rejects.toThrow(TypeError);
    await expect(store.rewrap({ concurrency: 0 })).rejects.toThrow(TypeError);
    await expect(store.rewrap({ concurrency: 1.5 })).rejects.toThrow(TypeError);
  });
});
