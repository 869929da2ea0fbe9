import { randomBytes } from 'node:crypto';
import { createDeadlines } from '@latchkey/errors';
import { createKeyring, createSessionStore, type SessionRecord } from '@latchkey/keystore';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { startServer } from '@latchkey/testkit';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { Redis } from 'ioredis';
import { compareThroughput } from '../src/harness.js';
import { createFastDeadlines } from './fastdl.js';
import { parseRecord } from '../../keystore/src/session-record.js';
const record: SessionRecord = {
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://10.0.3.17:8080', authMode: 'session-token',
  createdAtMs: Date.now(), expiresAtMs: Date.now() + 24 * 3_600_000,
};
const server = await startServer({ flavor: 'redis' });
const client = new Redis(server.port, '127.0.0.1');
await client.get('x');
const keyring = createKeyring({ current: 'k1', keys: { k1: randomBytes(32) } });
const driver = redisSessionDriver(client, { prefix: 'bench' });
const store = createSessionStore({ driver, keyring, timeoutMs: 5000 });
const { privateJwk } = await generateSessionKeyPair();
await store.put('s1', { record, privateKey: privateJwk, ttlSeconds: 3600 });
const deadlines = createDeadlines(5000);
const fast = createFastDeadlines(5000);
let sink = 0;
const res = await compareThroughput(
  {
    plainGet: async () => { sink += (await client.get('bench:{s1}:rec'))?.length ?? 0; },
    driverRead: async () => { sink += (await driver.read('s1', 'record'))?.length ?? 0; },
    deadlineGet: async () => { sink += (await deadlines.run(() => client.get('bench:{s1}:rec')))?.length ?? 0; },
    fastGet: async () => { sink += (await fast.run(() => client.get('bench:{s1}:rec')))?.length ?? 0; },
    getParse: async () => { const t = await client.get('bench:{s1}:rec'); sink += t === null ? 0 : parseRecord(t).createdAtMs; },
    getRecord: async () => { sink += (await store.getRecord('s1'))?.createdAtMs ?? 0; },
  },
  { rounds: Number(process.argv[2] ?? 5), roundMs: 400 },
  { inFlight: 64 },
);
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(16), Math.round(v), (v / res.plainGet).toFixed(2));
client.disconnect();
await server.stop();
