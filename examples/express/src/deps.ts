// The primitives behind the dashboard: access tokens, and a registry that is local or shares logouts
// over Redis (REDIS_URL). The same file sits in every example.
import type { KeyObject } from 'node:crypto';
import { type DefaultRole, defaultLadder } from '@latchkey/guards';
import { createRegistry, type RevocationBus } from '@latchkey/registry';
import { redisRevocationBus } from '@latchkey/registry/redis';
import { createAccessTokenIssuer, createAccessTokenVerifier } from '@latchkey/tokens';
import { Redis } from 'ioredis';
import type { Deps } from './dashboard.js';

const TOKENS = { issuer: 'example-dashboard', audience: 'example-dashboard' };
const TTL_SECONDS = 3600;

export async function createDeps(keys: { privateKey: KeyObject; publicKey: KeyObject }): Promise<{
  deps: Deps;
  close(): Promise<void>;
}> {
  const issuer = createAccessTokenIssuer<{ role: DefaultRole }>({
    privateKey: keys.privateKey,
    ...TOKENS,
    ttlSeconds: TTL_SECONDS,
  });
  const verifier = createAccessTokenVerifier<{ role: DefaultRole }>({
    publicKey: keys.publicKey,
    ...TOKENS,
    validateCustom: ({ role }) => {
      if (defaultLadder.rank(role) < 0) throw new TypeError('unknown role');
      return { role: role as DefaultRole };
    },
  });
  const watermarkTtlMs = TTL_SECONDS * 1000;
  const clients: Redis[] = [];
  let bus: RevocationBus | undefined;
  if (process.env.REDIS_URL !== undefined) {
    const client = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
    const subscriber = client.duplicate();
    clients.push(client, subscriber);
    bus = redisRevocationBus({ client, subscriber, watermarkTtlMs });
  }
  const registry = createRegistry({ watermarkTtlMs, ...(bus === undefined ? {} : { bus }) });
  await registry.ready;
  const deps = { issuer, verifier, registry, secureCookie: process.env.SECURE_COOKIE === 'true' };
  return {
    deps,
    async close() {
      await registry.close();
      for (const client of clients) client.disconnect();
    },
  };
}
