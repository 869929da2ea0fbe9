import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { SessionNotFoundError } from '@latchkey/errors';
import { createKeyring, createSessionStore, type SessionStoreDriver } from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { createTargetMatcher } from '@latchkey/session-target';
import { createBootstrapIssuer, createSigningKeyCache } from '@latchkey/tokens';
import type { RouterConfig } from '../config.js';
import { sessionFingerprint } from '../fingerprint.js';
import { errorFields, type Logger } from '../log.js';
import type { Built } from '../main.js';
import { connectStore, type StoreConnection } from '../stores.js';
import { createRouterApp, type RouterDeps } from './app.js';
import { inProcessSandboxes } from './sandboxes.js';
import { createSessionSlots } from './session-slots.js';

/** In-process options of {@link buildRouter}: behaviour the environment does not configure. */
export type RouterOptions = Pick<RouterDeps, 'sweepIntervalMs' | 'sweepConcurrency'>;

/**
 * Builds the router from its configuration: bootstrap key (generated when unset), keyring (generated
 * with a warning when unset), session store on the configured driver, signing-key cache, in-process
 * sandbox launcher and app. `stop()` and `close()` end the sweep of sandboxes whose session is gone.
 *
 * @example
 * ```ts
 * const built = await buildRouter(readRouterConfig(process.env), log, { sweepIntervalMs: 10_000 });
 * ```
 */
export async function buildRouter(
  config: RouterConfig,
  log: Logger,
  options: RouterOptions = {},
): Promise<Built> {
  let bootstrapKey = config.bootstrapPrivateKey;
  if (bootstrapKey === undefined) {
    bootstrapKey = { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, alg: 'RS256' };
  }
  let keyring = config.keyring;
  if (keyring === undefined) {
    keyring = createKeyring({ current: 'generated', keys: { generated: new Uint8Array(randomBytes(32)) } });
    log.warn('generated-keyring', {
      note: 'stored session keys do not survive a restart; set LATCHKEY_KEYRING',
    });
  }

  let store: StoreConnection | undefined;
  let driver: SessionStoreDriver;
  if (config.store.kind === 'memory') {
    driver = memoryDriver();
  } else {
    store = await connectStore(config.store, (error) => log.warn('store-error', errorFields(error)));
    const client = Object.assign(store.client, { isCluster: store.isCluster });
    driver = redisSessionDriver(client);
  }
  const sessions = createSessionStore({
    driver,
    keyring,
    onFailure: (event) => log.warn('store-failure', { ...event }),
  });
  const signingKeys = createSigningKeyCache({
    max: 10_000,
    ttlMs: 60_000,
    load: async (sessionId) => {
      const key = await sessions.getPrivateKey(sessionId);
      if (key === null) throw new SessionNotFoundError();
      return key;
    },
  });
  const sandboxes = inProcessSandboxes({
    bootstrapPublicKey: createPublicKey(bootstrapKey.key),
    algorithm: bootstrapKey.alg,
    issuer: config.issuer,
    audience: config.audience,
    log,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const app = createRouterApp({
    agent,
    sessions,
    signingKeys,
    bootstrap: createBootstrapIssuer({
      privateKey: bootstrapKey.key,
      algorithm: bootstrapKey.alg,
      issuer: config.issuer,
      audience: config.audience,
    }),
    sandboxes,
    // The event names the session: its line carries the fingerprint, never the id (DESIGN T13).
    matcher: createTargetMatcher({
      onSecurityEvent: ({ sessionId, ...event }) =>
        log.warn('security', { ...event, session: sessionFingerprint(sessionId) }),
    }),
    slots: createSessionSlots({
      maxSessions: config.maxSessions,
      maxSessionsPerClient: config.maxSessionsPerClient,
    }),
    issuer: config.issuer,
    audience: config.audience,
    log,
    sweepIntervalMs: options.sweepIntervalMs,
    sweepConcurrency: options.sweepConcurrency,
  });
  return {
    app,
    // Shutdown's first step: no sweep stops a sandbox while the listener drains.
    stop: () => app.close(),
    async close() {
      app.close();
      agent.destroy();
      await sandboxes.stopAll();
      await store?.close();
    },
  };
}
