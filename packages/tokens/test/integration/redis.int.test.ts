import { FLAVORS, startCluster, startServer, type TestCluster, type TestServer } from '@latchkey/testkit';
import { Redis as Ioredis, Cluster as IoredisCluster } from 'ioredis';
import { Redis as Iovalkey, Cluster as IovalkeyCluster } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisReplayClient, redisReplayGuard } from '../../src/adapters/redis.js';
import { createSessionTokenVerifier } from '../../src/session-token.js';
import { AUDIENCE, ec, forge, ISSUER, SESSION_HEADER, sessionClaims } from '../helpers.js';

const CLIENTS = {
  ioredis: (port: number) => new Ioredis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false }),
  iovalkey: (port: number) =>
    new Iovalkey(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false }),
} as const;

function uniqueJti(): string {
  return `jti-${Math.random().toString(36).slice(2)}-${Date.now()}`;
}

async function exactlyOneOf100(client: RedisReplayClient): Promise<void> {
  const guard = redisReplayGuard(client, { prefix: 'test:jti:' });
  const jti = uniqueJti();
  const results = await Promise.all(Array.from({ length: 100 }, () => guard.claim(jti, Date.now() + 30_000)));
  expect(results.filter((first) => first === true)).toHaveLength(1);
}

describe.each(FLAVORS)('redisReplayGuard on a standalone %s server', (flavor) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ flavor });
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(Object.keys(CLIENTS) as Array<keyof typeof CLIENTS>)('through %s', (library) => {
    it('lets exactly one of 100 concurrent claims of one jti win', async () => {
      const client = CLIENTS[library](server.port);
      try {
        await exactlyOneOf100(client);
      } finally {
        client.disconnect();
      }
    });

    it('keeps a claimed jti until its expiry, then releases it', async () => {
      const client = CLIENTS[library](server.port);
      try {
        const guard = redisReplayGuard(client);
        const jti = uniqueJti();
        expect(await guard.claim(jti, Date.now() + 300)).toBe(true);
        expect(await guard.claim(jti, Date.now() + 300)).toBe(false);
        const ttl = await client.pttl(`latchkey:jti:${jti}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await guard.claim(jti, Date.now() + 300)).toBe(true);
      } finally {
        client.disconnect();
      }
    });

    it('accepts a session token once through a verifier', async () => {
      const client = CLIENTS[library](server.port);
      try {
        const nowS = Math.floor(Date.now() / 1000);
        const verifier = createSessionTokenVerifier({
          publicKey: ec.publicKey,
          issuer: ISSUER,
          audience: AUDIENCE,
          replayGuard: redisReplayGuard(client),
        });
        const token = forge(
          SESSION_HEADER,
          sessionClaims({ iat: nowS, exp: nowS + 60, jti: uniqueJti() }),
          ec.privateKey,
        );
        await expect(verifier.verify(token)).resolves.toBeDefined();
        await expect(verifier.verify(token)).rejects.toMatchObject({
          code: 'INVALID_SESSION_TOKEN',
          reason: 'replayed',
        });
      } finally {
        client.disconnect();
      }
    });
  });
});

describe.each(FLAVORS)('redisReplayGuard on a %s cluster', (flavor) => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ flavor, masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['ioredis', () => new IoredisCluster([...cluster.startupNodes])],
    ['iovalkey', () => new IovalkeyCluster([...cluster.startupNodes])],
  ] as const)(
    'lets exactly one of 100 concurrent claims win through a %s Cluster client, for ids on every slot',
    async (_name, make) => {
      const client = make();
      try {
        for (let i = 0; i < 5; i++) await exactlyOneOf100(client);
      } finally {
        client.disconnect();
      }
    },
  );
});

describe.each(FLAVORS)('redisReplayGuard when the %s server is down', (flavor) => {
  it('fails closed with STORE_UNAVAILABLE, never accepting', async () => {
    const server = await startServer({ flavor });
    const client = new Ioredis(server.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    try {
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      const guard = redisReplayGuard(client, { timeoutMs: 1000 });
      expect(await guard.claim(uniqueJti(), Date.now() + 10_000)).toBe(true);
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(guard.claim(uniqueJti(), Date.now() + 10_000)).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        status: 503,
      });
      // A client that queues commands while disconnected is cut off by the guard's timeout.
      const queueing = new Iovalkey(server.port, '127.0.0.1', { retryStrategy: () => 50 });
      queueing.on('error', () => undefined);
      try {
        await expect(
          redisReplayGuard(queueing, { timeoutMs: 300 }).claim(uniqueJti(), Date.now() + 10_000),
        ).rejects.toMatchObject({
          code: 'STORE_UNAVAILABLE',
          reason: 'timeout',
        });
      } finally {
        queueing.disconnect();
      }
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
