import { generateKeyPairSync } from 'node:crypto';
import { LatchkeyError } from '@latchkey/errors';
import { startCluster, startServer, type TestCluster, type TestServer } from '@latchkey/testkit';
import { Cluster, Redis } from 'ioredis';
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisDriver } from '../../src/adapters/ioredis.js';
import { iovalkeyDriver } from '../../src/adapters/iovalkey.js';
import { createSessionStore, type SessionStore } from '../../src/session-store.js';
import { testKeyring, testRecord } from '../../src/testing.js';
import { close } from './helpers.js';

const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const TIMEOUT_MS = 300;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

describe.each([
  ['redis', 'ioredis'],
  ['valkey', 'iovalkey'],
] as const)('a standalone %s server that goes away (through %s)', (flavor, library) => {
  let server: TestServer;
  let client: Redis | Valkey;
  let store: SessionStore;
  beforeAll(async () => {
    server = await startServer({ flavor });
    client =
      library === 'ioredis' ? new Redis(server.port, '127.0.0.1') : new Valkey(server.port, '127.0.0.1');
    client.on('error', () => {}); // connection errors reach the caller as STORE_UNAVAILABLE
    store = createSessionStore({
      driver: ioredisDriver(client),
      keyring: testKeyring(),
      timeoutMs: TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await close(client);
    await server?.stop();
  });

  it('answers STORE_UNAVAILABLE within the timeout, never "not found", and recovers after a restart', async () => {
    await store.put('before', { record: testRecord(), privateKey });
    expect(await store.getRecord('before')).not.toBeNull();
    await server.kill();
    for (const op of [
      () => store.getRecord('before'),
      () => store.getPrivateKey('before'),
      () => store.put('during', { record: testRecord(), privateKey }),
      () => store.touch('before', 60),
      () => store.delete('before'),
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
    // Commands that timed out while the server was down settle later; none may reject unobserved
    // (vitest fails the run on an unhandled rejection).
    await sleep(500);
  });
});

describe.each([
  ['redis', 'ioredis'],
  ['valkey', 'iovalkey'],
] as const)('a %s cluster losing a master (through %s)', (flavor, library) => {
  let cluster: TestCluster;
  let client: Cluster | ValkeyCluster;
  let store: SessionStore;
  beforeAll(async () => {
    cluster = await startCluster({ flavor, masters: 3, replicasPerMaster: 1 });
    client =
      library === 'ioredis'
        ? new Cluster([...cluster.startupNodes])
        : new ValkeyCluster([...cluster.startupNodes]);
    client.on('error', () => {});
    const driver = library === 'ioredis' ? ioredisDriver(client) : iovalkeyDriver(client);
    store = createSessionStore({ driver, keyring: testKeyring(), timeoutMs: TIMEOUT_MS });
  });
  afterAll(async () => {
    await close(client);
    await cluster?.stop();
  });

  it('gives only typed errors while a replica takes over, then succeeds again', async () => {
    const unexpected: unknown[] = [];
    let successes = 0;
    let running = true;
    let n = 0;
    const loop = async (): Promise<void> => {
      while (running) {
        const id = `f-${n++}`;
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
    const ids = Array.from({ length: 200 }, (_, i) => `after-${i}`);
    await eventually(
      () => Promise.all(ids.map((id) => store.put(id, { record: testRecord(), privateKey }))),
      15_000,
    );
    for (const id of ids) {
      expect(await store.getRecord(id)).not.toBeNull();
      expect(await store.getPrivateKey(id)).not.toBeNull();
    }
  });
});
