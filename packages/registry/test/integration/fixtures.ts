import {
  type ServerFlavor,
  startCluster,
  startServer,
  type TestCluster,
  type TestServer,
} from '@latchkey/testkit';
import { Cluster as IoredisCluster, Redis as IoredisRedis } from 'ioredis';
import { Cluster as IovalkeyCluster, Redis as IovalkeyRedis } from 'iovalkey';
import { redisRevocationBus } from '../../src/adapters/redis.js';
import type { RevocationBusFixture } from '../../src/testing.js';
import { createMemoryRevocationBus } from '../../src/testing.js';

export const TTL_MS = 60_000;
export const HEARTBEAT_MS = 100;

type Closable = { disconnect(): void; on(event: 'error', listener: () => void): unknown };

/** Every bus flavour the conformance suite runs on. */
export interface Flavour {
  readonly name: string;
  make(): Promise<RevocationBusFixture>;
}

/** A standalone client: ioredis against Redis (RESP2, so CLIENT KILL TYPE pubsub reaches it), iovalkey against Valkey. */
export function standaloneClient(flavor: ServerFlavor, port: number): IoredisRedis | IovalkeyRedis {
  const options = { port, host: '127.0.0.1', retryStrategy: () => 50 };
  const client =
    flavor === 'redis' ? new IoredisRedis({ ...options, protocol: 2 }) : new IovalkeyRedis(options);
  client.on('error', () => {}); // killed connections and paused servers report errors; expected here
  return client;
}

/** Kills every subscriber connection on the node (RESP2 or RESP3) by id. */
async function killSubscribers(admin: IoredisRedis): Promise<number> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  let killed = 0;
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string]));
    const subscribed = Number(fields.sub ?? 0) + Number(fields.ssub ?? 0) + Number(fields.psub ?? 0);
    if (subscribed > 0 && fields.id !== undefined) {
      killed += Number(await admin.call('CLIENT', 'KILL', 'ID', fields.id));
    }
  }
  return killed;
}

function pause(pids: readonly (number | undefined)[]): () => Promise<void> {
  const stopped = pids.filter((pid): pid is number => pid !== undefined);
  for (const pid of stopped) process.kill(pid, 'SIGSTOP');
  return async () => {
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
  };
}

function standalone(flavor: ServerFlavor): Flavour {
  return {
    name: `${flavor === 'redis' ? 'Redis 7' : 'Valkey 8'} standalone`,
    async make() {
      const server: TestServer = await startServer({ flavor });
      const admin = new IoredisRedis({ port: server.port, host: '127.0.0.1' });
      const opened: Closable[] = [admin];
      const prefix = `conformance:${Date.now()}:`;
      return {
        heartbeatMs: HEARTBEAT_MS,
        async connect() {
          const client = standaloneClient(flavor, server.port);
          const subscriber = standaloneClient(flavor, server.port);
          opened.push(client, subscriber);
          await client.get(`${prefix}warm-up`);
          return redisRevocationBus({
            client,
            subscriber,
            watermarkTtlMs: TTL_MS,
            prefix,
            timeoutMs: 1_000,
            heartbeatMs: HEARTBEAT_MS,
          });
        },
        async interruptSubscribers() {
          await killSubscribers(admin);
        },
        async pauseStore() {
          return pause([server.pid]);
        },
        async close() {
          for (const client of opened) client.disconnect();
          await server.stop();
        },
      };
    },
  };
}

function cluster(flavor: ServerFlavor): Flavour {
  return {
    name: `${flavor === 'redis' ? 'Redis 7' : 'Valkey 8'} 3-master cluster (sharded pub/sub)`,
    async make() {
      const test: TestCluster = await startCluster({ flavor, masters: 3 });
      const nodes = test.startupNodes.map(({ host, port }) => ({ host, port }));
      const admins = nodes.map(({ host, port }) => new IoredisRedis({ host, port }));
      const opened: Closable[] = [...admins];
      const prefix = `conformance:${Date.now()}:`;
      return {
        heartbeatMs: HEARTBEAT_MS,
        async connect() {
          const client = flavor === 'redis' ? new IoredisCluster(nodes) : new IovalkeyCluster(nodes);
          // iovalkey 0.4's Cluster sends SSUBSCRIBE to one random node (MOVED elsewhere), so the subscriber
          // is an ioredis Cluster with `shardedSubscribers` on both flavours.
          const subscriber = new IoredisCluster(nodes, { shardedSubscribers: true });
          for (const each of [client, subscriber]) each.on('error', () => {});
          opened.push(client, subscriber);
          // Connected before the suite's deadlines start counting: a cluster client's first command
          // waits for the slot map, which on a loaded 2-core machine can exceed them.
          await client.get(`${prefix}warm-up`);
          return redisRevocationBus({
            client,
            subscriber,
            watermarkTtlMs: TTL_MS,
            prefix,
            timeoutMs: 1_000,
            heartbeatMs: HEARTBEAT_MS,
          });
        },
        async interruptSubscribers() {
          for (const admin of admins) await killSubscribers(admin);
        },
        async pauseStore() {
          return pause(test.nodes.map((node) => node.pid));
        },
        async close() {
          for (const client of opened) client.disconnect();
          await test.stop();
        },
      };
    },
  };
}

function memory(): Flavour {
  return {
    name: 'memory',
    async make() {
      const bus = createMemoryRevocationBus({ heartbeatMs: HEARTBEAT_MS, keepMs: TTL_MS + 5_000 });
      return {
        heartbeatMs: HEARTBEAT_MS,
        connect: () => bus,
        async interruptSubscribers() {
          bus.interrupt();
          // As a client's reconnect would, a moment later.
          setTimeout(() => bus.restore(), 50).unref();
        },
        async pauseStore() {
          bus.pause();
          return async () => bus.unpause();
        },
        async close() {},
      };
    },
  };
}

export const FLAVOURS: readonly Flavour[] = [
  memory(),
  standalone('redis'),
  standalone('valkey'),
  cluster('redis'),
  cluster('valkey'),
];

export { IoredisRedis, startServer };
