import { once } from 'node:events';
import { FLAVORS, startServer, type TestServer } from '@latchkey/testkit';
import { Redis as IoredisRedis } from 'ioredis';
import { Redis as IovalkeyRedis } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisRevocationBus } from '../../src/adapters/redis.js';
import { createRegistry, type Registry } from '../../src/index.js';

// Leases must not outlive a logout whose message this instance missed: the subscriber is disconnected by
// the server for real (CLIENT KILL), the logout lands in the gap, and reconcile has to catch up.

const TTL = 60_000;
// How long A's subscriber waits before reconnecting: the window in which the logout message is lost.
const GAP_MS = 400;

type Client = IoredisRedis | IovalkeyRedis;

function connect(flavor: 'redis' | 'valkey', port: number, retryMs?: number): Client {
  const host = '127.0.0.1';
  const retryStrategy = retryMs === undefined ? undefined : () => retryMs;
  // RESP2: Redis and Valkey count a RESP3 subscriber as a "normal" client, so `CLIENT KILL TYPE pubsub`
  // would not reach it. ioredis 6 defaults to RESP3; iovalkey 0.4 speaks RESP2.
  const client =
    flavor === 'redis'
      ? new IoredisRedis({ port, host, protocol: 2, ...(retryStrategy && { retryStrategy }) })
      : new IovalkeyRedis({ port, host, ...(retryStrategy && { retryStrategy }) });
  client.on('error', () => {}); // the killed connection reports ECONNRESET; expected here
  return client;
}

for (const flavor of FLAVORS) {
  describe(`reconcile on a standalone ${flavor} server`, () => {
    let server: TestServer;
    let admin: Client;
    const clients: Client[] = [];
    const registries: Registry[] = [];
    let run = 0;

    /** A client and a subscriber connection, as one instance holds them. */
    const instance = (subscriberRetryMs?: number): { client: Client; subscriber: Client } => {
      const client = connect(flavor, server.port);
      const subscriber = connect(flavor, server.port, subscriberRetryMs);
      clients.push(client, subscriber);
      return { client, subscriber };
    };
    const registryOn = (
      connection: { client: Client; subscriber: Client },
      prefix: string,
      reconcileIntervalMs: number,
      onError: (error: unknown) => void = () => {},
    ): Registry => {
      const bus = redisRevocationBus({
        ...connection,
        watermarkTtlMs: TTL,
        prefix,
        timeoutMs: 5_000,
        heartbeatMs: 100,
      });
      const registry = createRegistry({
        watermarkTtlMs: TTL,
        bus,
        reconcileIntervalMs,
        onError,
        staleAfterMs: 400,
      });
      registries.push(registry);
      return registry;
    };

    beforeAll(async () => {
      server = await startServer({ flavor });
      admin = connect(flavor, server.port);
    });
    afterAll(async () => {
      for (const registry of registries) await registry.close().catch(() => {});
      for (const client of [...clients, admin]) client.disconnect();
      await server.stop();
    });

    it('a logout published while A’s subscriber was disconnected ends A’s lease once it is back', async () => {
      const prefix = `gap${run++}:${Date.now()}:`;
      const onError = vi.fn();
      // No periodic reconcile: only the bus noticing the gap can end the lease.
      const connA = instance(GAP_MS);
      const a = registryOn(connA, prefix, 0, onError);
      const b = registryOn(instance(), prefix, 0);
      await Promise.all([a.ready, b.ready]);
      const issuedAtMs = Date.now() - 1_000;
      const u = await a.register('u', { kind: 'events', issuedAtMs });
      const other = await a.register('v', { kind: 'events', issuedAtMs });
      const later = await a.register('w', { kind: 'events', issuedAtMs });

      const closed = once(connA.subscriber, 'close');
      const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      expect(killed).toBeGreaterThanOrEqual(1);
      await closed;
      const back = once(connA.subscriber, 'ready');
      await b.revoke('u');
      // Published into the gap: A cannot have received it.
      expect(connA.subscriber.status).not.toBe('ready');
      expect(u.signal.aborted).toBe(false);

      await back;
      const resumedAt = performance.now();
      await vi.waitFor(() => expect(u.signal.aborted).toBe(true), { timeout: 2_000, interval: 5 });
      expect(performance.now() - resumedAt).toBeLessThan(2_000);
      expect(u.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', status: 401, reason: 'logout' });
      expect(other.signal.aborted).toBe(false);
      expect(a.count('u')).toBe(0);
      expect(a.count('v')).toBe(1);
      expect(onError).not.toHaveBeenCalled();

      // The subscription itself is live again: the next logout arrives as a message.
      await b.revoke('w');
      await vi.waitFor(() => expect(later.signal.aborted).toBe(true), { timeout: 1_000, interval: 5 });
      expect(other.signal.aborted).toBe(false);
    });

    it('a watermark stored without any message ends A’s lease at the next periodic reconcile', async () => {
      const prefix = `quiet${run++}:${Date.now()}:`;
      const a = registryOn(instance(), prefix, 100);
      await a.ready;
      const issuedAtMs = Date.now() - 1_000;
      const u = await a.register('u', { kind: 'events', issuedAtMs });
      const fresh = await a.register('u', { kind: 'exec', issuedAtMs: issuedAtMs + 500 });
      const other = await a.register('v', { kind: 'events', issuedAtMs });

      // As another instance's bus writes it, minus the publish: the message that was lost.
      await admin.set(`${prefix}watermark:u`, String(issuedAtMs + 100), 'PX', TTL);
      await vi.waitFor(() => expect(u.signal.aborted).toBe(true), { timeout: 2_000, interval: 5 });
      expect(u.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', status: 401, reason: 'logout' });
      // Issued after the stored logout: a later login, not ended.
      expect(fresh.signal.aborted).toBe(false);
      expect(other.signal.aborted).toBe(false);
      expect(a.count()).toBe(2);
    });
  });
}
