import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startCluster, startServer, type TestCluster } from '@latchkey/testkit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSessionDriver } from '../../src/adapters/redis.js';
import { envelopeKeyId } from '../../src/envelope.js';
import { createKeyring } from '../../src/keyring.js';
import { createSessionStore } from '../../src/session-store.js';
import { testKeyring, testRecord } from '../../src/testing.js';
import { close, countKeys } from './helpers.js';

describe('SessionStore.rewrap on a redis cluster under live traffic', () => {
  let cluster: TestCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ flavor: 'redis', masters: 3 });
    client = new Cluster([...cluster.startupNodes]);
  });
  afterAll(async () => {
    await close(client);
    await cluster?.stop();
  });

  it('keeps every entry readable before, during and after, and never resurrects a deleted one', async () => {
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const prefix = 'rewrap';
    const driver = redisSessionDriver(client, { prefix });
    const old = createSessionStore({
      driver,
      keyring: createKeyring({ current: 'old', keys: { old: oldKey } }),
    });
    const rotated = createSessionStore({
      driver,
      keyring: createKeyring({ current: 'new', keys: { new: newKey, old: oldKey } }),
    });
    const ids = Array.from({ length: 300 }, (_, i) => `rw-${i}`);
    await Promise.all(ids.map((id) => old.put(id, { record: testRecord(), privateKey })));
    const deleted = new Set(ids.filter((_, i) => i % 10 === 0));

    const readAll = async (): Promise<void> => {
      for (const id of ids) {
        if (deleted.has(id)) continue;
        const key = await rotated.getPrivateKey(id);
        expect(key === null ? null : JSON.stringify(key.export({ format: 'jwk' }))).toBe(jwk);
      }
    };
    await readAll();

    let done = false;
    const traffic = (async () => {
      let rounds = 0;
      while (!done || rounds === 0) {
        await readAll();
        rounds++;
      }
      return rounds;
    })();
    const deletions = (async () => {
      for (const id of deleted) {
        await rotated.delete(id);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    let cursor: string | null = null;
    let rewrapped = 0;
    do {
      const page = await rotated.rewrap({ cursor, batch: 16, concurrency: 8 });
      expect(page.failed).toBe(0);
      rewrapped += page.rewrapped;
      cursor = page.cursor;
    } while (cursor !== null);
    await deletions;
    done = true;
    expect(await traffic).toBeGreaterThan(0);
    expect(rewrapped).toBeGreaterThanOrEqual(ids.length - deleted.size);

    await readAll();
    for (const id of deleted) expect(await rotated.getRecord(id)).toBeNull();
    for (const id of ids.filter((id) => !deleted.has(id))) {
      const stored = await driver.read(id, 'key');
      expect(stored === null ? null : envelopeKeyId(stored)).toBe('new');
    }
    expect(await countKeys(client, prefix)).toBe((ids.length - deleted.size) * 2);
  });
});

describe('redisSessionDriver', () => {
  it('writes through EVALSHA and loads its scripts again after the server forgot them', async () => {
    const server = await startServer({ flavor: 'redis' });
    const client = new Redis(server.port, '127.0.0.1');
    try {
      const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const driver = redisSessionDriver(client, { prefix: 'noscript' });
      const store = createSessionStore({ driver, keyring: testKeyring() });
      await store.put('s1', { record: testRecord(), privateKey }); // first use: NOSCRIPT, then EVAL
      await client.script('FLUSH');
      await store.put('s2', { record: testRecord(), privateKey });
      await store.put('s3', { record: testRecord(), privateKey }); // now cached: EVALSHA alone
      for (const id of ['s1', 's2', 's3']) expect(await store.getPrivateKey(id)).not.toBeNull();
      expect(await client.ttl('noscript:{s3}:rec')).toBeGreaterThan(3_000);
      expect(await client.ttl('noscript:{s3}:key')).toBeGreaterThan(3_000);
      await client.script('FLUSH');
      expect(await driver.swapKey('s1', 'not the value', 'x')).toBe(false);
    } finally {
      await close(client);
      await server.stop();
    }
  });

  it('throws TypeError for a client without the needed methods or a bad prefix', () => {
    expect(() => redisSessionDriver({} as never)).toThrow(TypeError);
    const client = new Redis({ lazyConnect: true });
    expect(() => redisSessionDriver(client, { prefix: 'a*' })).toThrow(TypeError);
    expect(() => redisSessionDriver(client, { prefix: 'a{b' })).toThrow(TypeError);
    client.disconnect();
  });
});
