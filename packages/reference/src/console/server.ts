import { generateKeyPairSync } from 'node:crypto';
import { createRegistry, type Registry } from '@latchkey/registry';
import { redisRevocationBus } from '@latchkey/registry/redis';
import type { ConsoleConfig } from '../config.js';
import { errorFields, type Logger } from '../log.js';
import type { Built } from '../main.js';
import { connectStore, type StoreConnection } from '../stores.js';
import { createConsoleApp, createConsoleVerify } from './app.js';
import { createConsoleTokens } from './console-tokens.js';
import { attachWsExec, type WsExec, type WsExecDeps } from './ws-exec.js';

/** Console tokens live one hour; the registry keeps each logout at least that long (plus the tolerance). */
const TOKEN_TTL_SECONDS = 3_600;

/** In-process options of {@link buildConsole}: what the environment does not configure. */
export interface ConsoleOptions {
  /** Access-token lifetime in seconds; default 3600. */
  readonly tokenTtlSeconds?: number;
  /** Interval of stream events and chunks; default 500 ms. */
  readonly streamIntervalMs?: number;
  /** Clock in epoch milliseconds for tokens and registry; default `Date.now`. */
  readonly now?: () => number;
  /**
   * Adjusts what `/ws/exec` is built with (timeouts, heartbeat, a wrapped `verify` or `register`);
   * default none. For tests and embedding; the environment configures none of it.
   */
  readonly wsExec?: (deps: WsExecDeps) => WsExecDeps;
}

/** The console as {@link buildConsole} assembles it: a server, and its registry (for counts). */
export interface ConsoleBuilt extends Built {
  readonly registry: Registry;
  /** The `/ws/exec` endpoint attached by `attach(server)` (the last one), if any. */
  readonly wsExec: WsExec | undefined;
}

/**
 * Builds the console from its configuration: key, access tokens, registry (with cross-instance
 * revocation over the store when one is configured; its per-user lease cap is the stream cap) and app.
 * `stop()` ends every stream; `close()` closes the registry and the store connections.
 *
 * @example
 * ```ts
 * const built = await buildConsole(readConsoleConfig(process.env), log);
 * ```
 */
export async function buildConsole(
  config: ConsoleConfig,
  log: Logger,
  options: ConsoleOptions = {},
): Promise<ConsoleBuilt> {
  let privateKey = config.consoleKey?.key;
  if (privateKey === undefined) {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    log.warn('generated-console-key', { note: 'tokens do not survive a restart; set LATCHKEY_CONSOLE_KEY' });
  }
  const ttlSeconds = options.tokenTtlSeconds ?? TOKEN_TTL_SECONDS;
  const now = options.now === undefined ? {} : { now: options.now };
  const tokens = createConsoleTokens({ privateKey, ttlSeconds, ...now });
  const common = {
    watermarkTtlMs: ttlSeconds * 1_000,
    maxLeasesPerUser: config.maxStreamsPerUser,
    onError: (error: unknown) => log.warn('registry-error', errorFields(error)),
    ...now,
  };

  let store: StoreConnection | undefined;
  let registry: Registry;
  if (config.store.kind === 'memory') {
    registry = createRegistry(common);
  } else {
    const connected = await connectStore(config.store, (error) =>
      log.warn('store-error', errorFields(error)),
    );
    store = connected;
    try {
      const subscriber = await connected.duplicate({ subscriber: true });
      registry = createRegistry({
        ...common,
        bus: redisRevocationBus({
          client: Object.assign(connected.client, { isCluster: connected.isCluster }),
          subscriber: Object.assign(subscriber, { isCluster: connected.isCluster }),
          watermarkTtlMs: common.watermarkTtlMs,
        }),
      });
      await registry.ready;
    } catch (error) {
      await connected.close();
      throw error;
    }
  }

  const app = createConsoleApp({
    tokens,
    registry,
    log,
    oauthConfigured: config.oauthConfigured,
    allowedOrigins: config.allowedOrigins,
    ...(options.streamIntervalMs === undefined ? {} : { streamIntervalMs: options.streamIntervalMs }),
  });
  // `/ws/exec`: the same credential check as every route (signature, then revocation), the same
  // registry (its lease counts toward the per-user stream cap and ends at logout).
  const verify = createConsoleVerify(tokens, registry);
  const shutdown = new AbortController();
  const execs: WsExec[] = [];
  return {
    app,
    registry,
    get wsExec() {
      return execs[execs.length - 1];
    },
    attach: (server) => {
      const deps: WsExecDeps = {
        verify,
        register: (identity) =>
          registry.register(identity.userId, { issuedAtMs: identity.issuedAtMs, kind: 'ws-exec' }),
        allowedOrigins: config.allowedOrigins,
        log,
        shutdown: shutdown.signal,
      };
      execs.push(attachWsExec(server, options.wsExec?.(deps) ?? deps));
    },
    // Shutdown's first step: every stream and exec session ends (a 503-coded `end`, a 1001 close), so
    // the listener drains.
    stop: () => {
      shutdown.abort();
      for (const exec of execs) exec.close();
      registry.cancelAll();
    },
    async close() {
      for (const exec of execs) exec.close();
      await registry.close();
      await store?.close();
    },
  };
}
