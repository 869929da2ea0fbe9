/**
 * The one conformance suite, unchanged, over every backend — memory, Redis 7, Valkey 8 and a 3-master
 * cluster of each, through every client in the peer range — with each backend's fault case beside it
 * (the server killed and restarted; a master killed and replaced by its replica).
 */
import { generateKeyPairSync } from 'node:crypto';
import { LatchkeyError } from '@latchkey/errors';
import { startCluster, startServer, type TestCluster, type TestServer } from '@latchkey/testkit';
import { Cluster, Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDriver } from '../../src/adapters/memory.js';
import { type RedisSessionClient, redisSessionDriver } from '../../src/adapters/redis.js';
import { generateSessionId } from '../../src/session-id.js';
import { createSessionStore, type SessionStore } from '../../src/session-store.js';
import { runSessionStoreConformance, testKeyring, testRecord } from '../../src/testing.js';
import { close, countKeys, sleep } from './helpers.js';

type Client = RedisSessionClient & {
  quit(): Promise<unknown>;
  disconnect(): void;
  on(e: 'error', f: () => void): unknown;
};

export interface Flavour {
  readonly name: string;
  /** Starts the backend; resolves to a client factory per library label. */
  start(): Promise<{
    readonly libraries: Readonly<Record<string, () => Client>>;
    /** Kills what serves the data and waits until it (or its replacement) is back. */
    fault(store: SessionStore, timeoutMs: number): Promise<void>;
    stop(): Promise<void>;
  }>;
  readonly libraries: readonly string[];
}

const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const TIMEOUT_MS = 300;

/** Retries `op` until it succeeds or `withinMs` passes; every failure on the way must be STORE_UNAVAILABLE. */
async function eventually<T>(op: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await op();
    } catch (error) {
      expect(LatchkeyError.is(error, 'STORE_UNAVAILABLE')).toBe(true);
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function serverGoesAway(server: TestServer, store: SessionStore): Promise<void> {
  await store.put('before', { record: testRecord(), privateKey });
  expect(await store.getRecord('before')).not.toBeNull();
  await server.kill();
  for (const op of [
    () => store.getRecord('before'),
    () => store.getPrivateKey('before'),
    () => store.put('during', { record: testRecord(), privateKey }),
    () => store.touch('before', 60),
    () => store.delete('before'),
    () => store.rewrap(),
  ]) {
    const started = performance.now();
    const error = await op().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 150);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
  }
  await server.restart();
  await eventually(() => store.put('after', { record: testRecord(), privateKey }), 10_000);
  expect(await store.getRecord('after')).not.toBeNull();
  expect(await store.getPrivateKey('after')).not.toBeNull();
  // Commands that timed out while the server was down settle later; none may reject unobserved.
  await sleep(500);
}

async function masterFailsOver(cluster: TestCluster, store: SessionStore): Promise<void> {
  const unexpected: unknown[] = [];
  let successes = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const id = generateSessionId();
      try {
        await store.put(id, { record: testRecord(), privateKey });
        await store.getRecord(id);
        await store.getPrivateKey(id);
        successes++;
      } catch (error) {
        if (!LatchkeyError.is(error, 'STORE_UNAVAILABLE')) unexpected.push(error);
        await sleep(20);
      }
    }
  };
  const loops = Promise.all([loop(), loop(), loop(), loop()]);
  await sleep(300);
  const [victim] = await cluster.masters();
  if (victim === undefined) throw new Error('no master');
  await cluster.killMasterAndAwaitFailover(victim.port);
  running = false;
  await loops;
  expect(unexpected).toEqual([]);
  expect(successes).toBeGreaterThan(0);
  // After the failover: every session works again, on every slot.
  await eventually(() => store.put('probe', { record: testRecord(), privateKey }), 15_000);
  const ids = Array.from({ length: 200 }, () => generateSessionId());
  await eventually(
    () => Promise.all(ids.map((id) => store.put(id, { record: testRecord(), privateKey }))),
    15_000,
  );
  for (const id of ids) {
    expect(await store.getRecord(id)).not.toBeNull();
    expect(await store.getPrivateKey(id)).not.toBeNull();
  }
}

function standalone(flavor: 'redis' | 'valkey'): Flavour {
  const libraries = {
    'ioredis 6': (port: number) => new Redis(port, '127.0.0.1'),
    'ioredis 5': (port: number) => new Redis5(port, '127.0.0.1'),
    iovalkey: (port: number) => new Valkey(port, '127.0.0.1'),
  } as const;
  return {
    name: flavor === 'redis' ? 'Redis 7' : 'Valkey 8',
    libraries: Object.keys(libraries),
    async start() {
      const server = await startServer({ flavor });
      return {
        libraries: Object.fromEntries(
          Object.entries(libraries).map(([label, connect]) => [label, () => connect(server.port) as Client]),
        ),
        fault: (store) => serverGoesAway(server, store),
        stop: () => server.stop(),
      };
    },
  };
}

function clustered(flavor: 'redis' | 'valkey'): Flavour {
  const libraries = {
    ioredis: (nodes: TestCluster['startupNodes']) => new Cluster([...nodes]),
    iovalkey: (nodes: TestCluster['startupNodes']) => new ValkeyCluster([...nodes]),
  } as const;
  return {
    name: `${flavor === 'redis' ? 'Redis 7' : 'Valkey 8'} cluster of 3 masters`,
    libraries: Object.keys(libraries),
    async start() {
      const cluster = await startCluster({ flavor, masters: 3, replicasPerMaster: 1 });
      return {
        libraries: Object.fromEntries(
          Object.entries(libraries).map(([label, connect]) => [
            label,
            () => connect(cluster.startupNodes) as Client,
          ]),
        ),
        fault: (store) => masterFailsOver(cluster, store),
        stop: () => cluster.stop(),
      };
    },
  };
}

const memory: Flavour = {
  name: 'memory',
  libraries: [],
  async start() {
    return { libraries: {}, fault: async () => {}, stop: async () => {} };
  },
};

/** Every backend, in the order the suites run. */
export const FLAVOURS: readonly Flavour[] = [
  memory,
  standalone('redis'),
  standalone('valkey'),
  clustered('redis'),
  clustered('valkey'),
];

/**
 * Runs the conformance suite over `flavours` with `describe.each`, each backend's fault case last.
 * Split over two files only so that standalone and cluster backends run in parallel.
 */
export function describeConformance(flavours: readonly Flavour[]): void {
  describe.each(flavours)('$name', (flavour) => {
    let started: Awaited<ReturnType<Flavour['start']>>;
    beforeAll(async () => {
      started = await flavour.start();
    });
    afterAll(async () => {
      await started?.stop();
    });

    if (flavour.libraries.length === 0) {
      runSessionStoreConformance({ name: 'memoryDriver', createDriver: () => memoryDriver() });
      return;
    }
    for (const label of flavour.libraries) {
      let client: Client;
      runSessionStoreConformance({
        name: `through ${label}`,
        setup: async () => {
          client = started.libraries[label]?.() as Client;
        },
        createDriver: (prefix) => redisSessionDriver(client, { prefix }),
        countKeys: (prefix) => countKeys(client, prefix),
        teardown: () => close(client),
      });
    }

    // The fault case, last: it kills what the suites above ran on.
    describe('when the store goes away', () => {
      let client: Client;
      beforeAll(() => {
        client = Object.values(started.libraries)[0]?.() as Client;
        client.on('error', () => {}); // connection errors reach the caller as STORE_UNAVAILABLE
      });
      afterAll(async () => {
        await close(client);
      });
      it('answers only STORE_UNAVAILABLE, within its deadline, never "not found", and recovers', async () => {
        const store = createSessionStore({
          driver: redisSessionDriver(client, { prefix: 'fault' }),
          keyring: testKeyring(),
          timeoutMs: TIMEOUT_MS,
        });
        await started.fault(store, TIMEOUT_MS);
      });
    });
  });
}
