import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createKeyring, createSessionStore, generateSessionId } from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';

// In production the keyring comes from your secret store: { current, keys: { kid: 32 random bytes } }.
const keyring = createKeyring({ current: 'k1', keys: { k1: randomBytes(32) } });
const store = createSessionStore({ driver: memoryDriver({ max: 10_000 }), keyring });

const sessionId = generateSessionId(); // 192 random bits, URL-safe
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }); // or generateSessionKeyPair().privateJwk
const createdAtMs = Date.now();
const target = { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' };
const record = { target, endpoint: 'http://10.0.3.17:8080', authMode: 'session-token', createdAtMs, expiresAtMs: createdAtMs + 3_600_000 };
await store.put(sessionId, { record, privateKey, ttlSeconds: 900 }); // both entries, one TTL
assert.deepEqual(await store.getRecord(sessionId), record); // SessionRecord | null
assert.equal((await store.getPrivateKey(sessionId))?.type, 'private'); // KeyObject | null
assert.equal(await store.delete(sessionId), true);
