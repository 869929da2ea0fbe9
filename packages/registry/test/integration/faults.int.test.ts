import { once } from 'node:events';
import { freePort, startServer } from '@latchkey/testkit';
import { Redis as IoredisRedis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisRevocationBus } from '../../src/adapters/redis.js';
import { createRegistry } from '../../src/index.js';

const TTL = 60_000;

describe('redisRevocationBus when the server dies', () => {
  it('fails closed: register, assertNotRevoked and revoke reject with STORE_UNAVAILABLE; local leases still end', async () => {
    const server = await startServer({ flavor: 'redis' });
    const client = new IoredisRedis({ port: server.port, host: '127.0.0.1' });
    const subscriber = client.duplicate();
    client.on('error', () => {});
    subscriber.on('error', () => {});
    const bus = redisRevocationBus({ client, subscriber, watermarkTtlMs: TTL, timeoutMs: 500 });
    const registry = createRegistry({ watermarkTtlMs: TTL, bus, storeTimeoutMs: 500, onError: () => {} });
    try {
      await registry.ready;
      const lease = await registry.register('alice', { kind: 'events', issuedAtMs: Date.now() - 1_000 });
      const closed = once(subscriber, 'close');
      await server.kill();
      await closed;
      const started = performance.now();
      // The subscriber's 'close' made the view stale: nothing is answered from it.
      await expect(registry.assertNotRevoked('alice', Date.now())).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      await expect(registry.register('bob', { issuedAtMs: Date.now() })).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(registry.decideRevocation('alice', Date.now())).toBeUndefined();
      await expect(registry.revoke('alice')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
      expect(registry.count()).toBe(0);
    } finally {
      await registry.close();
      client.disconnect();
      subscriber.disconnect();
      await server.stop();
    }
  });
});

describe('redisRevocationBus without a reachable store', () => {
  it('fails closed: register and assertNotRevoked reject with STORE_UNAVAILABLE', async () => {
    const port = await freePort();
    const client = new IoredisRedis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const subscriber = client.duplicate();
    client.on('error', () => {});
    subscriber.on('error', () => {});
    const bus = redisRevocationBus({ client, subscriber, watermarkTtlMs: TTL, timeoutMs: 500 });
    const registry = createRegistry({ watermarkTtlMs: TTL, bus, onError: () => {} });
    try {
      await expect(registry.register('alice', { issuedAtMs: Date.now() })).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      await expect(registry.assertNotRevoked('alice', Date.now())).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
      expect(registry.count()).toBe(0);
    } finally {
      await registry.close();
      client.disconnect();
      subscriber.disconnect();
    }
  });
});
