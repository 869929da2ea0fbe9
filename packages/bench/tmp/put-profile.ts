import { randomBytes } from 'node:crypto';
import { createDeadlines } from '@latchkey/errors';
import { createKeyring, createSessionStore, type SessionRecord, type SessionStoreDriver } from '@latchkey/keystore';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { startServer, startCluster } from '@latchkey/testkit';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { Redis, Cluster } from 'ioredis';
import { compareLatency } from '../src/harness.js';

const mode = process.argv[2] ?? 'redis';
const record: SessionRecord = {
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://10.0.3.17:8080',
  authMode: 'session-token',
  createdAtMs: Date.now(),
  expiresAtMs: Date.now() + 24 * 3_600_000,
};
const server = mode === 'cluster' ? await startCluster({ flavor: 'redis', masters: 3 }) : await startServer({ flavor: 'redis' });
const client = mode === 'cluster' ? new Cluster([...(server as any).startupNodes]) : new Redis((server as any).port, '127.0.0.1');
await client.get('x');
const keyring = createKeyring({ current: 'k1', keys: { k1: randomBytes(32) } });
const driver = redisSessionDriver(client, { prefix: 'bench' });
const store = createSessionStore({ driver, keyring, timeoutMs: 5000 });
const noop: SessionStoreDriver = { ...driver, write: () => Promise.resolve() };
const cpuStore = createSessionStore({ driver: noop, keyring, timeoutMs: 5000 });
const { privateJwk } = await generateSessionKeyPair();
await store.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3600 });
const recordText = (await client.get('bench:{bench-put}:rec')) ?? '';
const sealed = (await client.get('bench:{bench-put}:key')) ?? '';
const deadlines = createDeadlines(5000);
const pool = Array.from({ length: 100 }, (_, i) => sealed.slice(0, -4) + String(1000 + i));
let pi = 0;
const multi = () =>
  client.multi([
    ['set', 'bench:{bench-put}:rec', recordText, 'EX', 3600],
    ['set', 'bench:{bench-put}:key', sealed, 'EX', 3600],
  ]).exec();
const script = `redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3]) redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) return 1`;
const rounds = Number(process.argv[3] ?? 5);
const res = await compareLatency(
  {
    plainMulti: multi,
    driverWrite: () => driver.write('bench-put', recordText, sealed, 3600),
    deadlineMulti: () => deadlines.run(multi),
    storePut: () => store.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3600 }),
    cpuPut: () => cpuStore.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3600 }),
    freshWrite: () => driver.write('bench-put', recordText, pool[(pi = (pi + 1) % 100)] as string, 3600),
    cpuThenWrite: async () => { await cpuStore.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3600 }); await driver.write('bench-put', recordText, sealed, 3600); },
    deadlineWrite: () => deadlines.run(() => driver.write('bench-put', recordText, sealed, 3600)),
    cpuThenMulti: async () => { await cpuStore.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3600 }); await multi(); },
    evalWrite: () => client.eval(script, 2, 'bench:{bench-put}:rec', 'bench:{bench-put}:key', recordText, sealed, 3600),
    plainGet: () => client.get('bench:{bench-put}:rec'),
  },
  { rounds, roundMs: 400 },
  { samplesPerRound: 1500, warmup: 300 },
);
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(16), v.p50.toFixed(1), v.p99.toFixed(1));
client.disconnect();
await server.stop();
