import {
  FLAVORS,
  sendCommand,
  startCluster,
  startServer,
  type TestCluster,
  type TestServer,
} from '@latchkey/testkit';
import { Redis as Ioredis, Cluster as IoredisCluster } from 'ioredis';
import { Redis as Iovalkey, Cluster as IovalkeyCluster } from 'iovalkey';
import { describe } from 'vitest';
import { redisReplayGuard } from '../../src/adapters/redis.js';
import {
  createMemoryReplayGuard,
  type ReplayGuardBackend,
  runReplayGuardConformance,
} from '../../src/testing.js';

const TIMEOUT_MS = 500;
type Client = Ioredis | Iovalkey | IoredisCluster | IovalkeyCluster;

const pauseAll = async (ports: readonly number[]): Promise<() => Promise<void>> => {
  // WRITE, not ALL: SET waits, while CLIENT UNPAUSE (not a write) still gets through.
  for (const port of ports) await sendCommand(port, ['CLIENT', 'PAUSE', '10000', 'WRITE']);
  return async () => {
    for (const port of ports) await sendCommand(port, ['CLIENT', 'UNPAUSE']);
  };
};

const memory: ReplayGuardBackend = {
  name: 'memory',
  createGuard: () => createMemoryReplayGuard({ max: 10_000 }),
};

function standalone(flavor: (typeof FLAVORS)[number]): ReplayGuardBackend {
  let server: TestServer;
  let client: Client;
  return {
    name: `${flavor} standalone`,
    timeoutMs: TIMEOUT_MS,
    async setup() {
      server = await startServer({ flavor });
      client =
        flavor === 'redis'
          ? new Ioredis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 })
          : new Iovalkey(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    },
    createGuard: (prefix) => redisReplayGuard(client, { prefix, timeoutMs: TIMEOUT_MS }),
    pause: () => pauseAll([server.port]),
    async teardown() {
      client?.disconnect();
      await server?.stop();
    },
  };
}

function cluster(flavor: (typeof FLAVORS)[number]): ReplayGuardBackend {
  let nodes: TestCluster;
  let client: Client;
  return {
    name: `${flavor} 3-master cluster`,
    timeoutMs: TIMEOUT_MS,
    async setup() {
      nodes = await startCluster({ flavor, masters: 3 });
      const startup = [...nodes.startupNodes];
      client = flavor === 'redis' ? new IoredisCluster(startup) : new IovalkeyCluster(startup);
    },
    createGuard: (prefix) => redisReplayGuard(client, { prefix, timeoutMs: TIMEOUT_MS }),
    pause: async () => pauseAll((await nodes.masters()).map((node) => node.port)),
    async teardown() {
      client?.disconnect();
      await nodes?.stop();
    },
  };
}

describe.each([memory, ...FLAVORS.map(standalone), ...FLAVORS.map(cluster)])('$name', (backend) =>
  runReplayGuardConformance(backend),
);
