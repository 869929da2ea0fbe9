import { randomBytes } from 'node:crypto';
import { createDeadlines } from '@latchkey/errors';
import { createKeyring, createSessionStore, type SessionRecord } from '@latchkey/keystore';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { startServer } from '@latchkey/testkit';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { Redis } from 'ioredis';
import { createFastDeadlines } from './fastdl.js';
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
const cases: Record<string, () => Promise<void>> = {
  plainGet: async () => { sink += (await client.get('bench:{s1}:rec'))?.length ?? 0; },
  deadlineGet: async () => { sink += (await deadlines.run(() => client.get('bench:{s1}:rec')))?.length ?? 0; },
  fastGet: async () => { sink += (await fast.run(() => client.get('bench:{s1}:rec')))?.length ?? 0; },
  getRecord: async () => { sink += (await store.getRecord('s1'))?.createdAtMs ?? 0; },
};
const results: Record<string, { cpu: number[]; wall: number[] }> = {};
const N = 30000;
for (let round = 0; round < 7; round++) {
  for (const [name, op] of Object.entries(cases)) {
    let left = N;
    const c0 = process.cpuUsage(); const w0 = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => { while (left-- > 0) await op(); }));
    const c = process.cpuUsage(c0); const w = performance.now() - w0;
    (results[name] ??= { cpu: [], wall: [] }).cpu.push((c.user + c.system) / N);
    results[name].wall.push(w * 1000 / N);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;
const base = results.plainGet!;
for (const [name, r] of Object.entries(results)) console.log(name.padEnd(12), 'cpu', med(r.cpu).toFixed(2), 'µs', (med(r.cpu) / med(base.cpu)).toFixed(2), ' wall', med(r.wall).toFixed(2), (med(base.wall) / med(r.wall)).toFixed(2));
client.disconnect();
await server.stop();
