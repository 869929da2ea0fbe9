import { createCipheriv, createSecretKey, randomBytes, randomFillSync } from 'node:crypto';
import { createKeyring, assertSessionId, sealEnvelope } from '@latchkey/keystore';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { serializeRecord } from '../../keystore/src/session-record.js';
import { privateJwkText } from '../../keystore/src/private-jwk.js';
const record = {
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://10.0.3.17:8080', authMode: 'session-token',
  createdAtMs: Date.now(), expiresAtMs: Date.now() + 24 * 3_600_000,
};
const k = randomBytes(32);
const keyring = createKeyring({ current: 'k1', keys: { k1: k } });
const { privateJwk } = await generateSessionKeyPair();
const iv = randomBytes(12);
const ko = createSecretKey(k);
const pt = Buffer.from(privateJwkText(privateJwk));
function t(name: string, f: () => unknown, n = 200000) {
  for (let i = 0; i < 20000; i++) f();
  const s = performance.now();
  for (let i = 0; i < n; i++) f();
  console.log(name.padEnd(22), ((performance.now() - s) * 1000 / n).toFixed(3), 'µs');
}
t('assertSessionId', () => assertSessionId('bench-put'));
t('serializeRecord', () => serializeRecord(record));
t('URL.canParse', () => URL.canParse(record.endpoint));
t('privateJwkText', () => privateJwkText(privateJwk));
t('Buffer.from jwk', () => Buffer.from(privateJwkText(privateJwk), 'utf8'));
t('sealEnvelope', () => sealEnvelope(keyring, 'bench-put', pt));
t('createCipheriv bytes', () => createCipheriv('aes-256-gcm', k, iv, { authTagLength: 16 }));
t('createCipheriv keyobj', () => createCipheriv('aes-256-gcm', ko, iv, { authTagLength: 16 }));
t('full gcm bytes', () => { const c = createCipheriv('aes-256-gcm', k, iv, { authTagLength: 16 }); c.setAAD(iv); c.update(pt); c.final(); c.getAuthTag(); });
t('full gcm keyobj', () => { const c = createCipheriv('aes-256-gcm', ko, iv, { authTagLength: 16 }); c.setAAD(iv); c.update(pt); c.final(); c.getAuthTag(); });
t('toString b64url 200', () => pt.toString('base64url'));
