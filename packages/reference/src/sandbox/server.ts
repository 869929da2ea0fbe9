import type { KeyObject } from 'node:crypto';
import { createRateLimiter } from '@latchkey/http';
import {
  type BootstrapAlgorithm,
  createBootstrapVerifier,
  createMemoryReplayGuard,
  createSessionKeyHolder,
} from '@latchkey/tokens';
import type { SandboxConfig } from '../config.js';
import { listen } from '../listen.js';
import { type Logger, silentLogger } from '../log.js';
import type { Built } from '../main.js';
import type { App } from '../respond.js';
import { createSandboxApp, sandboxDuplicateAuthorization } from './app.js';

/** Options of {@link createSandbox} and {@link createSandboxServer}. */
export interface SandboxOptions {
  /** Verifies bootstrap tokens. */
  readonly bootstrapPublicKey: KeyObject;
  /** Algorithm of that key; default `RS256`. */
  readonly algorithm?: BootstrapAlgorithm;
  readonly issuer: string;
  readonly audience: string;
  /** When set, a bootstrap token's `sub` must equal it. */
  readonly sessionId?: string | undefined;
  readonly log?: Logger;
  /** The path the sandbox is mounted at; default the root. */
  readonly basePath?: string;
}

/** The `/init` limiter of production sandboxes: 2 per second, burst 5. */
const INIT_RATE = { ratePerSecond: 2, burst: 5 } as const;
/**
 * One session per sandbox, initialised once: the replay guard sees at most the few bootstrap tokens
 * that verify before the first init wins, and the verified-token cache the tokens of the few routers
 * serving the session. Small bounds keep an idle sandbox small (both fail closed when full).
 */
const REPLAY_GUARD_MAX = 64;
const VERIFIED_TOKEN_CACHE_MAX = 64;

/**
 * Assembles a sandbox app from `@latchkey/tokens` and `@latchkey/http`: a bootstrap verifier with an
 * in-memory replay guard, an init-once key holder with a verified-token cache, and the `/init` limiter.
 *
 * @example
 * ```ts
 * const app = createSandbox({ bootstrapPublicKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox' });
 * ```
 */
export function createSandbox(options: SandboxOptions): App {
  const log = options.log ?? silentLogger;
  const bootstrap = createBootstrapVerifier({
    publicKey: options.bootstrapPublicKey,
    algorithms: [options.algorithm ?? 'RS256'],
    issuer: options.issuer,
    audience: options.audience,
    ...(options.sessionId === undefined ? {} : { expectedSessionId: options.sessionId }),
    replayGuard: createMemoryReplayGuard({ max: REPLAY_GUARD_MAX }),
  });
  const holder = createSessionKeyHolder({
    issuer: options.issuer,
    audience: options.audience,
    cache: { max: VERIFIED_TOKEN_CACHE_MAX },
  });
  const initLimiter = createRateLimiter(INIT_RATE);
  return createSandboxApp({
    bootstrap,
    holder,
    initLimiter,
    log,
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
  });
}

/** A sandbox listening on 127.0.0.1. */
export interface SandboxServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a sandbox on `127.0.0.1:port` (default `0`, a free port). The router brings one up per session.
 *
 * @example
 * ```ts
 * const sandbox = await createSandboxServer({ bootstrapPublicKey, issuer, audience });
 * await fetch(`${sandbox.url}/healthz`);
 * await sandbox.close();
 * ```
 */
export async function createSandboxServer(
  options: SandboxOptions & { readonly port?: number },
): Promise<SandboxServer> {
  const listening = await listen(createSandbox(options), {
    port: options.port ?? 0,
    log: options.log ?? silentLogger,
    duplicateAuthorization: sandboxDuplicateAuthorization,
  });
  return { port: listening.port, url: listening.url, close: () => listening.close(500) };
}

/**
 * Builds the standalone sandbox from its configuration.
 *
 * @example
 * ```ts
 * const built = await buildSandbox(readSandboxConfig(process.env), log);
 * ```
 */
export async function buildSandbox(config: SandboxConfig, log: Logger): Promise<Built> {
  const app = createSandbox({
    bootstrapPublicKey: config.bootstrapPublicKey.key,
    algorithm: config.bootstrapPublicKey.alg,
    issuer: config.issuer,
    audience: config.audience,
    sessionId: config.sessionId,
    log,
  });
  return {
    app,
    bridge: { duplicateAuthorization: sandboxDuplicateAuthorization },
    stop: () => undefined,
    close: async () => undefined,
  };
}
