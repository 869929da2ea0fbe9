import {
  FLAVORS,
  freePort,
  startCluster,
  startServer,
  type TestCluster,
  type TestServer,
} from '@latchkey/testkit';
import { Cluster as IoredisCluster, Redis as IoredisRedis } from 'ioredis';
import { Cluster as IovalkeyCluster, Redis as IovalkeyRedis } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type RedisBusClient,
  type RedisBusSubscriber,
  redisRevocationBus,
} from '../../src/adapters/redis.js';
import { createRegistry, type Registry } from '../../src/index.js';

const TTL = 60_000;

interface Connection {
  readonly client: RedisBusClient;
  readonly subscriber: RedisBusSubscriber;
  close(): Promise<void>;
}

type Connect = () => Connection;

function standalone(flavor: 'redis' | 'valkey', port: number): Connect {
  // ioredis against Redis, iovalkey against Valkey: both clients and both servers are covered.
  return () => {
    const options = { port, host: '127.0.0.1' };
    const client = flavor === 'redis' ? new IoredisRedis(options) : new IovalkeyRedis(options);
    const subscriber = client.duplicate();
    return {
      client,
      subscriber,
      async close() {
        client.disconnect();
        subscriber.disconnect();
      },
    };
  };
}

function cluster(flavor: 'redis' | 'valkey', test: TestCluster): Connect {
  return () => {
    const nodes = test.startupNodes.map(({ host, port }) => ({ host, port }));
    const client = flavor === 'redis' ? new IoredisCluster(nodes) : new IovalkeyCluster(nodes);
    // iovalkey 0.4's Cluster sends SSUBSCRIBE to one random node (MOVED elsewhere), so the subscriber is an
    // ioredis Cluster with `shardedSubscribers` on both flavours; the publisher follows the flavour.
    const subscriber = new IoredisCluster(nodes, { shardedSubscribers: true });
    return {
      client,
      subscriber,
      async close() {
        client.disconnect();
        subscriber.disconnect();
      },
    };
  };
}

function instance(connect: Connect, prefix: string): { registry: Registry; connection: Connection } {
  const connection = connect();
  const bus = redisRevocationBus({ ...connection, watermarkTtlMs: TTL, prefix, timeoutMs: 5_000 });
  return { registry: createRegistry({ watermarkTtlMs: TTL, maxWatermarks: 64, bus }), connection };
}

function behavesAsABus(
  name: string,
  setup: () => Promise<{ connect: Connect; stop: () => Promise<void> }>,
): void {
  describe(name, () => {
    let connect: Connect;
    let stop: () => Promise<void> = async () => {};
    const opened: Array<{ registry: Registry; connection: Connection }> = [];
    let run = 0;
    const pair = async () => {
      const prefix = `test${run++}:${Date.now()}:`;
      const a = instance(connect, prefix);
      const b = instance(connect, prefix);
      opened.push(a, b);
      await Promise.all([a.registry.ready, b.registry.ready]);
      return { a: a.registry, b: b.registry, prefix };
    };

    beforeAll(async () => {
      ({ connect, stop } = await setup());
    });
    afterAll(async () => {
      for (const { registry, connection } of opened) {
        await registry.close().catch(() => {});
        await connection.close();
      }
      await stop();
    });

    it('a logout on A aborts B’s leases of that user within 1 s and leaves other users alone', async () => {
      const { a, b } = await pair();
      const issuedAt = Date.now() - 1_000;
      const alice = await Promise.all(
        [0, 1, 2].map(() => b.registerAsync('alice', { kind: 'events', issuedAt })),
      );
      const bob = await b.registerAsync('bob', { kind: 'events', issuedAt });
      const aliceOnA = await a.registerAsync('alice', { kind: 'exec', issuedAt });
      const started = performance.now();
      expect(await a.revokeUser('alice')).toBe(1);
      expect(aliceOnA.signal.aborted).toBe(true);
      await vi.waitFor(() => expect(alice.every((lease) => lease.signal.aborted)).toBe(true), {
        timeout: 1_000,
        interval: 5,
      });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(alice[0]?.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
      expect(bob.signal.aborted).toBe(false);
      expect(b.count('alice')).toBe(0);
      expect(b.count('bob')).toBe(1);
    });

    it('an instance that missed the message refuses an old credential from the stored watermark', async () => {
      const { a, prefix } = await pair();
      const issuedAt = Date.now() - 1_000;
      await a.revokeUser('carol');
      // The watermark is stored with the TTL (PX), so it cannot outlive the credentials it refuses.
      const probe = connect();
      const ttl = await (probe.client as unknown as { pttl(key: string): Promise<number> }).pttl(
        `${prefix}watermark:carol`,
      );
      await probe.close();
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TTL);
      // Subscribes after the logout: it never sees the message.
      const late = instance(connect, prefix);
      opened.push(late);
      await expect(late.registry.registerAsync('carol', { kind: 'events', issuedAt })).rejects.toMatchObject({
        code: 'SESSION_REVOKED',
        status: 401,
        reason: 'issued-before-revocation',
      });
      const fresh = await late.registry.registerAsync('carol', { kind: 'events', issuedAt: Date.now() + 1 });
      expect(fresh.signal.aborted).toBe(false);
      await expect(late.registry.registerAsync('dave', { kind: 'events', issuedAt })).resolves.toMatchObject({
        userId: 'dave',
      });
    });
  });
}

for (const flavor of FLAVORS) {
  behavesAsABus(`redisRevocationBus on a standalone ${flavor} server`, async () => {
    const server: TestServer = await startServer({ flavor });
    return { connect: standalone(flavor, server.port), stop: () => server.stop() };
  });
  behavesAsABus(`redisRevocationBus on a 3-master ${flavor} cluster (sharded pub/sub)`, async () => {
    const test = await startCluster({ flavor, masters: 3 });
    return { connect: cluster(flavor, test), stop: () => test.stop() };
  });
}

describe('redisRevocationBus when the server dies', () => {
  it('fails closed: registerAsync and revokeUser reject with STORE_UNAVAILABLE, local leases still end', async () => {
    const server = await startServer({ flavor: 'redis' });
    const client = new IoredisRedis({ port: server.port, host: '127.0.0.1' });
    const subscriber = client.duplicate();
    client.on('error', () => {});
    subscriber.on('error', () => {});
    try {
      const bus = redisRevocationBus({ client, subscriber, watermarkTtlMs: TTL, timeoutMs: 500 });
      const registry = createRegistry({ watermarkTtlMs: TTL, maxWatermarks: 16, bus });
      await registry.ready;
      const lease = await registry.registerAsync('alice', { kind: 'events', issuedAt: Date.now() - 1_000 });
      await server.kill();
      await expect(
        registry.registerAsync('bob', { kind: 'events', issuedAt: Date.now() }),
      ).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      await expect(registry.revokeUser('alice')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
      expect(registry.count()).toBe(0);
    } finally {
      client.disconnect();
      subscriber.disconnect();
      await server.stop();
    }
  });
});

describe('redisRevocationBus without a reachable store', () => {
  it('fails closed: registerAsync rejects with STORE_UNAVAILABLE', async () => {
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
    const registry = createRegistry({ watermarkTtlMs: TTL, maxWatermarks: 16, bus, onError: () => {} });
    try {
      await expect(
        registry.registerAsync('alice', { kind: 'events', issuedAt: Date.now() }),
      ).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      expect(registry.count()).toBe(0);
    } finally {
      client.disconnect();
      subscriber.disconnect();
    }
  });
});
