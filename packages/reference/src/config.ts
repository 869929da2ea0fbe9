import { parseAllowedOrigins } from '@latchkey/http';
import { createKeyring, type Keyring, type KeyringInput } from '@latchkey/keystore';
import { type ParsedKey, parsePrivateKey, parsePublicKey } from './keys.js';

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where the router and console keep their state. */
export type StoreConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'valkey'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly { host: string; port: number }[] };

/** Settings every server reads. */
export interface CommonConfig {
  readonly port: number;
  readonly issuer: string;
  readonly audience: string;
}

/** Sandbox settings. */
export interface SandboxConfig extends CommonConfig {
  readonly bootstrapPublicKey: ParsedKey;
  readonly sessionId: string | undefined;
}

/** Router settings. `undefined` keys are generated at start. */
export interface RouterConfig extends CommonConfig {
  readonly bootstrapPrivateKey: ParsedKey | undefined;
  readonly keyring: Keyring | undefined;
  readonly store: StoreConfig;
  /** `LATCHKEY_MAX_SESSIONS`: live sessions with a sandbox in this router; default 1000. */
  readonly maxSessions: number;
  /** `LATCHKEY_MAX_SESSIONS_PER_CLIENT`: live sessions per client; default 100. */
  readonly maxSessionsPerClient: number;
}

/** Console settings. */
export interface ConsoleConfig extends CommonConfig {
  readonly consoleKey: ParsedKey | undefined;
  readonly store: StoreConfig;
  readonly oauthConfigured: boolean;
  /** `LATCHKEY_MAX_STREAMS_PER_USER`: live streams per user; default 32. */
  readonly maxStreamsPerUser: number;
  /** `LATCHKEY_ALLOWED_ORIGINS`: origins allowed besides the server's own. */
  readonly allowedOrigins: ReadonlySet<string>;
}

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function port(env: Env, fallback: number): number {
  const raw = env.PORT;
  if (!set(raw)) return fallback;
  if (!/^\d{1,5}$/.test(raw.trim())) throw new TypeError('PORT: not a port number');
  const value = Number(raw.trim());
  if (value > 65_535) throw new TypeError('PORT: not a port number');
  return value;
}

function allowedOrigins(text: string | undefined): ReadonlySet<string> {
  try {
    return parseAllowedOrigins(text);
  } catch {
    throw new TypeError('LATCHKEY_ALLOWED_ORIGINS: expected comma-separated origins (scheme://host[:port])');
  }
}

/** A positive integer from the environment, or `fallback` when unset. */
function count(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (!set(raw)) return fallback;
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d{1,9}$/.test(text) || value < 1) throw new TypeError(`${name}: expected a positive integer`);
  return value;
}

function common(env: Env, fallbackPort: number): CommonConfig {
  return {
    port: port(env, fallbackPort),
    issuer: set(env.LATCHKEY_ISSUER) ? env.LATCHKEY_ISSUER : 'latchkey-router',
    audience: set(env.LATCHKEY_AUDIENCE) ? env.LATCHKEY_AUDIENCE : 'latchkey-sandbox',
  };
}

/**
 * Reads the store settings: `REDIS_CLUSTER_NODES` (`host:port,host:port`) wins over `REDIS_URL`, which
 * wins over `VALKEY_URL`; none set means in-memory.
 *
 * @example
 * ```ts
 * readStoreConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }); // { kind: 'cluster', nodes: [...] }
 * ```
 */
export function readStoreConfig(env: Env): StoreConfig {
  if (set(env.REDIS_CLUSTER_NODES)) {
    const nodes = env.REDIS_CLUSTER_NODES.split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map((part) => {
        const match = /^(.+):(\d{1,5})$/.exec(part);
        const portNumber = Number(match?.[2]);
        if (match?.[1] === undefined || !(portNumber > 0 && portNumber <= 65_535)) {
          throw new TypeError('REDIS_CLUSTER_NODES: expected host:port,host:port');
        }
        return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port: portNumber };
      });
    if (nodes.length === 0) throw new TypeError('REDIS_CLUSTER_NODES: expected host:port,host:port');
    return { kind: 'cluster', nodes };
  }
  if (set(env.REDIS_URL)) return { kind: 'redis', url: env.REDIS_URL.trim() };
  if (set(env.VALKEY_URL)) return { kind: 'valkey', url: env.VALKEY_URL.trim() };
  return { kind: 'memory' };
}

function keyring(env: Env): Keyring | undefined {
  const raw = env.LATCHKEY_KEYRING;
  if (!set(raw)) return undefined;
  try {
    return createKeyring(JSON.parse(raw) as KeyringInput);
  } catch {
    throw new TypeError('LATCHKEY_KEYRING: expected { "current": kid, "keys": { kid: base64 256-bit key } }');
  }
}

/**
 * Sandbox settings from the environment. `LATCHKEY_BOOTSTRAP_PUBLIC_KEY` is required.
 *
 * @example
 * ```ts
 * const config = readSandboxConfig(process.env);
 * ```
 */
export function readSandboxConfig(env: Env): SandboxConfig {
  const key = env.LATCHKEY_BOOTSTRAP_PUBLIC_KEY;
  if (!set(key)) throw new TypeError('LATCHKEY_BOOTSTRAP_PUBLIC_KEY is required');
  return {
    ...common(env, 8081),
    bootstrapPublicKey: parsePublicKey(key, 'LATCHKEY_BOOTSTRAP_PUBLIC_KEY'),
    sessionId: set(env.LATCHKEY_SESSION_ID) ? env.LATCHKEY_SESSION_ID.trim() : undefined,
  };
}

/**
 * Router settings from the environment.
 *
 * @example
 * ```ts
 * const config = readRouterConfig(process.env);
 * ```
 */
export function readRouterConfig(env: Env): RouterConfig {
  const key = env.LATCHKEY_BOOTSTRAP_PRIVATE_KEY;
  return {
    ...common(env, 8080),
    bootstrapPrivateKey: set(key) ? parsePrivateKey(key, 'LATCHKEY_BOOTSTRAP_PRIVATE_KEY') : undefined,
    keyring: keyring(env),
    store: readStoreConfig(env),
    maxSessions: count(env, 'LATCHKEY_MAX_SESSIONS', 1_000),
    maxSessionsPerClient: count(env, 'LATCHKEY_MAX_SESSIONS_PER_CLIENT', 100),
  };
}

/**
 * Console settings from the environment.
 *
 * @example
 * ```ts
 * const config = readConsoleConfig(process.env);
 * ```
 */
export function readConsoleConfig(env: Env): ConsoleConfig {
  const key = env.LATCHKEY_CONSOLE_KEY;
  const consoleKey = set(key) ? parsePrivateKey(key, 'LATCHKEY_CONSOLE_KEY') : undefined;
  if (consoleKey !== undefined && consoleKey.alg !== 'ES256') {
    throw new TypeError('LATCHKEY_CONSOLE_KEY: console tokens are ES256, use an EC P-256 key');
  }
  return {
    ...common(env, 8082),
    consoleKey,
    store: readStoreConfig(env),
    oauthConfigured: set(env.GITHUB_CLIENT_ID) && set(env.GITHUB_CLIENT_SECRET),
    maxStreamsPerUser: count(env, 'LATCHKEY_MAX_STREAMS_PER_USER', 32),
    allowedOrigins: allowedOrigins(env.LATCHKEY_ALLOWED_ORIGINS),
  };
}
