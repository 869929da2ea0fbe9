import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SessionNotFoundError, StoreUnavailableError } from '@latchkey/errors';
import { describe, expect, it } from 'vitest';
import { createSigningKeyCache } from './signing-key-cache.js';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

describe('createSigningKeyCache', () => {
  it('loads a session key once for 100 concurrent requests', async () => {
    let loads = 0;
    const cache = createSigningKeyCache({
      max: 10,
      load: async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return key;
      },
    });
    const keys = await Promise.all(Array.from({ length: 100 }, () => cache.get('s1')));
    expect(loads).toBe(1);
    expect(keys.every((k) => k === key)).toBe(true);
    await cache.get('s1');
    expect(loads).toBe(1);
  });

  it('does not remember a failed load, and passes its error through', async () => {
    let calls = 0;
    const cache = createSigningKeyCache({
      max: 10,
      load: async (): Promise<KeyObject> => {
        calls++;
        if (calls === 1) throw new StoreUnavailableError('connection');
        return key;
      },
    });
    await expect(cache.get('s1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    await expect(cache.get('s1')).resolves.toBe(key);
    expect(calls).toBe(2);
  });

  it('stays bounded, evicting the least recently used key', async () => {
    const loaded: string[] = [];
    const cache = createSigningKeyCache({
      max: 2,
      load: async (id) => {
        loaded.push(id);
        return key;
      },
    });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    expect(cache.size).toBe(2);
    await cache.get('a');
    expect(loaded).toEqual(['a', 'b', 'c', 'a']);
  });

  it('forgets a deleted session, including a load in flight', async () => {
    let release: (k: KeyObject) => void = () => undefined;
    let loads = 0;
    const cache = createSigningKeyCache({
      max: 2,
      load: (id) => {
        loads++;
        if (id === 'gone') return Promise.reject(new SessionNotFoundError());
        return new Promise<KeyObject>((resolve) => {
          release = resolve;
        });
      },
    });
    const pending = cache.get('a');
    cache.delete('a');
    release(key);
    await pending;
    expect(cache.size).toBe(0);
    await expect(cache.get('gone')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
    expect(loads).toBe(2);
  });

  it('rejects bad options with TypeError', () => {
    expect(() => createSigningKeyCache({ max: 0, load: async () => key })).toThrow(TypeError);
    expect(() => createSigningKeyCache({ max: 1, ttlMs: 0, load: async () => key })).toThrow(TypeError);
  });
});
