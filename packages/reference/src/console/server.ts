import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createRegistry, type Registry } from '@latchkey/registry';
import { redisRevocationBus } from '@latchkey/registry/redis';
import type { ConsoleConfig } from '../config.js';
import { errorFields, type Logger } from '../log.js';
import type { Built } from '../main.js';
import { connectStore, type StoreConnection } from '../stores.js';
import { createConsoleApp } from './app.js';
import { createConsoleTokens } from './console-tokens.js';
import { type Denylist, memoryDenylist, redisDenylist } from './denylist.js';

/** Console tokens live one hour; watermarks must outlive every token the registry may still see. */
const TOKEN_TTL_SECONDS = 3_600;
const WATERMARK_TTL_MS = (TOKEN_TTL_SECONDS + 60) * 1_000;

/**
 * Builds the console from its configuration: keys, store, registry (with cross-instance fan-out when
 * a store is configured), denylist and app.
 *
 * @example
 * ```ts
 * const built = await buildConsole(readConsoleConfig(process.env), log);
 * ```
 */
export async function buildConsole(config: ConsoleConfig, log: Logger): Promise<Built> {
  let privateKey = config.consoleKey?.key;
  if (privateKey === undefined) {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    log.warn('generated-console-key', { note: 'tokens do not survive a restart; set LATCHKEY_CONSOLE_KEY' });
  }
  const tokens = createConsoleTokens({
    privateKey,
    publicKey: createPublicKey(privateKey),
    ttlSeconds: TOKEN_TTL_SECONDS,
  });
  const shutdown = new AbortController();

  let store: StoreConnection | undefined;
  let denylist: Denylist;
  let registry: Registry;
  if (config.store.kind === 'memory') {
    denylist = memoryDenylist();
    registry = createRegistry({ watermarkTtlMs: WATERMARK_TTL_MS });
  } else {
    const connected = await connectStore(config.store, (error) =>
      log.warn('store-error', errorFields(error)),
    );
    store = connected;
    denylist = redisDenylist(connected.client);
    const subscriber = await connected.duplicate({ subscriber: true });
    registry = createRegistry({
      watermarkTtlMs: WATERMARK_TTL_MS,
      bus: redisRevocationBus({
        client: Object.assign(connected.client, { isCluster: connected.isCluster }),
        subscriber: Object.assign(subscriber, { isCluster: connected.isCluster }),
        watermarkTtlMs: WATERMARK_TTL_MS,
      }),
      onError: (error) => log.warn('registry-error', errorFields(error)),
    });
    await registry.ready;
  }

  const app = createConsoleApp({
    tokens,
    denylist,
    registry,
    sharedRegistry: store !== undefined,
    log,
    oauthConfigured: config.oauthConfigured,
    shutdown: shutdown.signal,
  });
  return {
    app,
    stop: () => shutdown.abort(),
    async close() {
      await registry.close();
      await store?.close();
    },
  };
}
