// Two app instances of one adapter on one real redis-server (@latchkey/testkit): each with its own
// ioredis connections, registry and Redis revocation bus, sharing the token keys, as two replicas of a
// service behind a load balancer would.

import { redisRevocationBus } from '@latchkey/registry/redis';
import { type StartServerOptions, startServer, type TestServer } from '@latchkey/testkit';
import { Redis } from 'ioredis';
import { createKit, generateKeys, type Kit } from './kit.js';

export interface TwoInstances {
  readonly server: TestServer;
  readonly a: Kit;
  readonly b: Kit;
  close(): Promise<void>;
}

const STALE_AFTER_MS = 500;

export async function twoInstances(flavor: StartServerOptions['flavor'] = 'redis'): Promise<TwoInstances> {
  const server = await startServer({ flavor });
  const keys = generateKeys();
  const clients: Redis[] = [];
  // SIGSTOP: the store stops answering, as a paused or wedged server does; the subscription goes
  // quiet, so after STALE_AFTER_MS each registry's view is stale and must read the store.
  const pauseStore = async (): Promise<void> => {
    process.kill(server.pid as number, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, STALE_AFTER_MS + 300));
  };
  const resumeStore = async (): Promise<void> => {
    process.kill(server.pid as number, 'SIGCONT');
  };
  const instance = async (): Promise<Kit> => {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    const subscriber = client.duplicate();
    clients.push(client, subscriber);
    const bus = redisRevocationBus({
      client,
      subscriber,
      watermarkTtlMs: 3_600_000,
      heartbeatMs: 100,
      timeoutMs: 300,
    });
    return createKit({ keys, bus, pauseStore, resumeStore, staleAfterMs: STALE_AFTER_MS });
  };
  const a = await instance();
  const b = await instance();
  return {
    server,
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      for (const client of clients) client.disconnect();
      await server.stop();
    },
  };
}
