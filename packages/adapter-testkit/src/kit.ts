// The real primitives every adapter test app is built from: ES256 access tokens (@latchkey/tokens), a
// registry with a revocation bus (@latchkey/registry) and the console's route policy (@latchkey/guards).
// Unit tests run the registry on the memory bus; integration tests hand in the Redis bus.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRoutePolicy, type DefaultRole, defaultLadder } from '@latchkey/guards';
import { createRegistry, type Registry, type RevocationBus } from '@latchkey/registry';
import { createMemoryRevocationBus } from '@latchkey/registry/testing';
import { type AccessClaims, createAccessTokenIssuer, createAccessTokenVerifier } from '@latchkey/tokens';

export type TestClaims = AccessClaims<{ role: DefaultRole }>;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface Kit {
  readonly verifier: { verify(token: string): Promise<TestClaims> };
  readonly registry: Registry;
  /** Issues an access token, as `/auth/login` does. */
  login(userId: string, role: DefaultRole): Promise<string>;
  /** The shared store stops answering (and the subscription goes quiet), until {@link Kit.resumeStore}. */
  pauseStore(): Promise<void>;
  resumeStore(): Promise<void>;
  close(): Promise<void>;
}

export interface KitOptions {
  /** One key pair for every instance of a multi-instance test: they verify each other's tokens. */
  readonly keys?: KeyPair;
  /** Default: a memory bus whose `pause` holds every store call and silences the subscription. */
  readonly bus?: RevocationBus;
  readonly pauseStore?: () => Promise<void>;
  readonly resumeStore?: () => Promise<void>;
  /** How long a silent subscription is trusted, and how long a store read may take (ms). */
  readonly staleAfterMs?: number;
  readonly storeTimeoutMs?: number;
}

const TOKENS = { issuer: 'latchkey-test', audience: 'latchkey-test' };
export const STORE_TIMEOUT_MS = 300;

export function generateKeys(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** The console's policy, plus a route the tests use to prove the full path is read. */
export const policy: ReturnType<typeof createRoutePolicy> = createRoutePolicy([
  { method: 'GET', path: '/api/me', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
  { method: 'POST', path: '/auth/logout', minRole: 'viewer' },
]);

export async function createKit(options: KitOptions = {}): Promise<Kit> {
  const { privateKey, publicKey } = options.keys ?? generateKeys();
  const issuer = createAccessTokenIssuer<{ role: DefaultRole }>({ privateKey, ...TOKENS });
  const verifier = createAccessTokenVerifier<{ role: DefaultRole }>({
    publicKey,
    ...TOKENS,
    validateCustom: ({ role }) => {
      if (defaultLadder.rank(role) < 0) throw new TypeError('unknown role');
      return { role: role as DefaultRole };
    },
  });
  const memory = options.bus === undefined ? createMemoryRevocationBus({ heartbeatMs: 100 }) : undefined;
  const registry = createRegistry({
    watermarkTtlMs: issuer.ttlSeconds * 1000,
    bus: options.bus ?? (memory as RevocationBus),
    staleAfterMs: options.staleAfterMs ?? 500,
    storeTimeoutMs: options.storeTimeoutMs ?? STORE_TIMEOUT_MS,
    onError: () => undefined,
  });
  await registry.ready;
  return {
    verifier,
    registry,
    async login(userId, role) {
      return (await issuer.issue(userId, { role })).token;
    },
    async pauseStore() {
      if (options.pauseStore !== undefined) return options.pauseStore();
      memory?.interrupt();
      memory?.pause();
    },
    async resumeStore() {
      if (options.resumeStore !== undefined) return options.resumeStore();
      memory?.unpause();
      memory?.restore();
    },
    async close() {
      await registry.close();
    },
  };
}
