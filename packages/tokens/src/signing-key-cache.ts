/**
 * For the side that signs session tokens for many sessions: session private keys are loaded (and
 * decrypted) from a store once, then kept in a bounded LRU. Loads are single-flight: any number of
 * concurrent requests for one session share one load. A failed load is not remembered.
 */
import type { KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { functionOption, integerOption } from './options.js';

/** Options of {@link createSigningKeyCache}. */
export interface SigningKeyCacheOptions {
  /** Loads a session's private key; its errors (e.g. `SESSION_NOT_FOUND`, `STORE_UNAVAILABLE`) pass through. */
  readonly load: (sessionId: string) => Promise<KeyObject>;
  /** Most keys held. */
  readonly max: number;
  /** How long a loaded key is kept, in milliseconds; default: until evicted or deleted. */
  readonly ttlMs?: number;
}

/** A bounded, single-flight cache of session signing keys. */
export interface SigningKeyCache {
  get(sessionId: string): Promise<KeyObject>;
  /** Forgets a session's key (call it when the session is deleted); a load in flight is not kept. */
  delete(sessionId: string): void;
  clear(): void;
  readonly size: number;
}

/**
 * Creates a signing-key cache.
 *
 * @example
 * ```ts
 * const keys = createSigningKeyCache({
 *   max: 10_000,
 *   load: async (id) => (await sessions.getPrivateKey(id)) ?? Promise.reject(new SessionNotFoundError()),
 * });
 * const signer = createSessionTokenSigner({ privateKey: await keys.get(sessionId), issuer, audience, sessionId });
 * ```
 */
export function createSigningKeyCache(options: SigningKeyCacheOptions): SigningKeyCache {
  const load = functionOption('load', options.load);
  if (load === undefined) throw new TypeError('load must be a function');
  const max = integerOption('max', options.max, 0, 1, Number.MAX_SAFE_INTEGER);
  const ttlMs =
    options.ttlMs === undefined
      ? undefined
      : integerOption('ttlMs', options.ttlMs, 0, 1, Number.MAX_SAFE_INTEGER);
  const keys = new LRUCache<string, KeyObject>(ttlMs === undefined ? { max } : { max, ttl: ttlMs });
  const loading = new Map<string, Promise<KeyObject>>();

  return {
    get(sessionId: string): Promise<KeyObject> {
      const key = keys.get(sessionId);
      if (key !== undefined) return Promise.resolve(key);
      const pending = loading.get(sessionId);
      if (pending !== undefined) return pending;
      const started = (async (): Promise<KeyObject> => load(sessionId))();
      loading.set(sessionId, started);
      started.then(
        (loaded) => {
          // Kept only if this load was not cancelled by delete()/clear() meanwhile.
          if (loading.get(sessionId) === started) {
            loading.delete(sessionId);
            keys.set(sessionId, loaded);
          }
        },
        () => {
          if (loading.get(sessionId) === started) loading.delete(sessionId);
        },
      );
      return started;
    },
    delete(sessionId: string): void {
      loading.delete(sessionId);
      keys.delete(sessionId);
    },
    clear(): void {
      loading.clear();
      keys.clear();
    },
    get size(): number {
      return keys.size;
    },
  };
}
