import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createDeadlines, DecryptFailedError, LatchkeyError } from '@latchkey/errors';
import { LRUCache } from 'lru-cache';
import type { SessionStoreDriver } from './driver.js';
import { openEnvelope, prepareSeal, sealEnvelope } from './envelope.js';
import type { Keyring } from './keyring.js';
import { type JsonWebKeyInput, type P256PrivateJwk, privateJwkText } from './private-jwk.js';
import { type RewrapOptions, type RewrapResult, rewrapPage } from './rewrap.js';
import { assertSessionId } from './session-id.js';
import { parseRecord, type SessionRecord, serializeRecord } from './session-record.js';

/** Store operations, as named in failure events. */
export type StoreOperation = 'put' | 'getRecord' | 'getPrivateKey' | 'touch' | 'delete' | 'rewrap';

/**
 * A failure worth logging. Carries no session id, key, ciphertext or record.
 *
 * @example
 * ```ts
 * const onFailure = (event: StoreFailureEvent) => log.warn(event, 'session store failure');
 * ```
 */
export interface StoreFailureEvent {
  readonly operation: StoreOperation;
  readonly code: string;
  readonly reason: string;
}

/** Options of {@link createSessionStore}. */
export interface SessionStoreOptions {
  /** Where entries live: `memoryDriver()`, `redisSessionDriver(client, { prefix })` or your own. */
  readonly driver: SessionStoreDriver;
  /** Key-encryption keys; new writes use `keyring.current`. */
  readonly keyring: Keyring;
  /** TTL of a put when the put gives none, in seconds; default 3600. */
  readonly ttlSeconds?: number;
  /** Deadline of each store call in milliseconds; default 300. Past it: `STORE_UNAVAILABLE` (`timeout`). */
  readonly timeoutMs?: number;
  /**
   * Read-through cache of decrypted private keys (`KeyObject`s), off by default. A delete or put on
   * this instance invalidates its entry; other instances' deletes are seen once `ttlMs` has passed.
   */
  readonly keyCache?: { readonly max: number; readonly ttlMs: number };
  /**
   * How many validated records are remembered by their stored text (default 1,024; 0 turns it off): a
   * read of a remembered text skips the JSON parse and the schema check (~2–3 µs). Each entry holds
   * the text and its frozen record (~0.6 KB).
   */
  readonly recordCache?: { readonly max: number };
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /** Called for every store or decrypt failure, before it is thrown. Never given key material. */
  readonly onFailure?: (event: StoreFailureEvent) => void;
}

/** What {@link SessionStore.put} stores. */
export interface PutSession {
  readonly record: SessionRecord;
  /**
   * The session private key, stored encrypted as its JWK: the private P-256 JWK the caller already holds
   * (`generateSessionKeyPair().privateJwk` from `@latchkey/tokens`; the fast form: checked, never
   * imported) or a private `KeyObject` (exported on every put). A JWK must have exactly `kty: "EC"`,
   * `crv: "P-256"`, `x`, `y`, `d` (canonical base64url, 32 bytes each; `x`, `y` < p, 0 < `d` < n);
   * anything else is a `TypeError` and nothing is written. The curve equation is not checked here (a
   * point off the curve fails on read, `DECRYPT_FAILED`); use `isP256PrivateJwk` for a foreign JWK.
   */
  readonly privateKey: P256PrivateJwk | KeyObject | JsonWebKeyInput;
  /** TTL of both entries in seconds (capped at the record's `expiresAtMs`); default the store's `ttlSeconds`. */
  readonly ttlSeconds?: number;
}

/** Session records and encrypted private keys. Every method validates the session id first. */
export interface SessionStore {
  /** Stores (or replaces) a session's record and private key with one TTL, atomically. */
  put(sessionId: string, session: PutSession): Promise<void>;
  /** The record, or `null` when absent or past its `expiresAtMs`. */
  getRecord(sessionId: string): Promise<SessionRecord | null>;
  /** The decrypted private key, or `null` when absent. */
  getPrivateKey(sessionId: string): Promise<KeyObject | null>;
  /** Sets the TTL of both entries; `false` when the session does not exist. */
  touch(sessionId: string, ttlSeconds: number): Promise<boolean>;
  /** Removes both entries with one `UNLINK`; `false` when there was nothing to remove. */
  delete(sessionId: string): Promise<boolean>;
  /** Moves one scan page of entries to the current key; resumable, safe under live traffic. */
  rewrap(options?: RewrapOptions): Promise<RewrapResult>;
}

const MAX_TTL_SECONDS = 366 * 24 * 3600;

function assertTtl(ttl: unknown, name: string): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new TypeError(`${name} must be an integer number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
}

/**
 * Creates a session store over a driver: per session, a JSON record and the private key encrypted with
 * AES-256-GCM (see `sealEnvelope`), written together with one TTL. Store failures are
 * `StoreUnavailableError` (503), never "not found"; an undecryptable key is `DecryptFailedError` (500);
 * a bad session id is `InvalidRequestError` (400, `invalid-session-id`).
 *
 * @example
 * ```ts
 * const store = createSessionStore({ driver: redisSessionDriver(new Redis()), keyring });
 * await store.put(sessionId, { record, privateKey, ttlSeconds: 900 });
 * const key = await store.getPrivateKey(sessionId); // KeyObject | null
 * ```
 */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { driver, keyring } = options;
  if (typeof driver !== 'object' || driver === null) throw new TypeError('driver is required');
  if (typeof keyring !== 'object' || keyring === null || typeof keyring.key !== 'function') {
    throw new TypeError('keyring must come from createKeyring()');
  }
  if ('prefix' in options) {
    throw new TypeError('prefix is an option of the driver now: redisSessionDriver(client, { prefix })');
  }
  const defaultTtl = options.ttlSeconds ?? 3600;
  assertTtl(defaultTtl, 'ttlSeconds');
  const timeoutMs = options.timeoutMs ?? 300;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new TypeError('timeoutMs must be a positive number');
  const now = options.now ?? Date.now;
  const onFailure = options.onFailure;
  let cache: LRUCache<string, KeyObject> | undefined;
  if (options.keyCache !== undefined) {
    const { max, ttlMs } = options.keyCache;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('keyCache.max must be a positive integer');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new TypeError('keyCache.ttlMs must be a positive number');
    cache = new LRUCache<string, KeyObject>({ max, ttl: ttlMs, ttlAutopurge: false });
  }
  // Bumped by every put and delete on this instance: a cache miss that raced one of them does not fill
  // the cache, so a deleted key never comes back from this instance's cache.
  let generation = 0;

  const notify = (operation: StoreOperation, error: unknown): void => {
    if (onFailure !== undefined && LatchkeyError.is(error)) {
      try {
        onFailure({ operation, code: error.code, reason: error.reason as string });
      } catch {
        // a failing logger must not replace the error the caller needs
      }
    }
  };
  const report = (operation: StoreOperation, error: unknown): never => {
    notify(operation, error);
    throw error;
  };
  const deadlines = createDeadlines(timeoutMs);
  const call = <T, U = T>(
    operation: StoreOperation,
    run: () => Promise<T>,
    onValue?: (value: T) => U,
  ): Promise<U> => {
    const settled = (onValue === undefined ? deadlines.run(run) : deadlines.run(run, onValue)) as Promise<U>;
    return onFailure === undefined ? settled : settled.catch((error: unknown) => report(operation, error));
  };
  // Parsing is a pure function of the stored text: remember the last few validated records so a hot
  // session is not re-validated on every read (bounded; the expiry check still runs every time).
  const recordCacheMax = options.recordCache?.max ?? 1024;
  if (!Number.isInteger(recordCacheMax) || recordCacheMax < 0)
    throw new TypeError('recordCache.max must be a non-negative integer');
  const parsed =
    recordCacheMax === 0 ? undefined : new LRUCache<string, SessionRecord>({ max: recordCacheMax });
  const readRecord = (text: string): SessionRecord => {
    let record = parsed?.get(text);
    if (record === undefined) {
      record = parseRecord(text);
      parsed?.set(text, record);
    }
    return record;
  };

  const liveRecord = (stored: string | null): SessionRecord | null => {
    if (stored === null) return null;
    const record = readRecord(stored);
    return record.expiresAtMs > now() ? record : null;
  };

  const decryptKey = (sessionId: string, stored: string): KeyObject => {
    const plaintext = openEnvelope(keyring, sessionId, stored);
    try {
      return createPrivateKey({
        key: JSON.parse(Buffer.from(plaintext).toString('utf8')),
        format: 'jwk',
      });
    } catch {
      // Authenticated, yet not a key we wrote: treat as corrupt, never as a key.
      throw new DecryptFailedError('malformed');
    } finally {
      plaintext.fill(0);
    }
  };

  const rewrapContext = {
    driver,
    keyring,
    call: <T>(run: () => Promise<T>): Promise<T> => call('rewrap', run),
    reportDecryptFailure: (error: LatchkeyError): void => notify('rewrap', error),
  };

  return {
    put(sessionId, session) {
      let record: string;
      let sealed: string;
      let effectiveTtl: number;
      // Everything is checked and sealed before the one store call; a bad argument rejects with
      // nothing written. Not async: the hot write path takes as few promise hops as a plain MULTI/EXEC.
      try {
        assertSessionId(sessionId);
        if (typeof session !== 'object' || session === null)
          throw new TypeError('put needs { record, privateKey }');
        const ttl = session.ttlSeconds ?? defaultTtl;
        assertTtl(ttl, 'ttlSeconds');
        record = serializeRecord(session.record);
        const remainingMs = session.record.expiresAtMs - now();
        if (remainingMs <= 0) throw new TypeError('record.expiresAtMs is already past');
        effectiveTtl = Math.min(ttl, Math.ceil(remainingMs / 1000));
        const jwk = Buffer.from(privateJwkText(session.privateKey), 'utf8');
        try {
          sealed = sealEnvelope(keyring, sessionId, jwk);
        } finally {
          jwk.fill(0);
        }
      } catch (error) {
        return Promise.reject(error);
      }
      generation++;
      cache?.delete(sessionId);
      const written = call('put', () => driver.write(sessionId, record, sealed, effectiveTtl));
      // The request is on its way: make the next put's cipher while the store answers.
      prepareSeal(keyring);
      return written;
    },

    getRecord(sessionId) {
      try {
        assertSessionId(sessionId);
      } catch (error) {
        return Promise.reject(error);
      }
      // Parsed inside the deadline's own settle step rather than in a `then` after it: the hot read
      // path takes one promise hop (a parse failure still reaches `onFailure` through `call`).
      return call('getRecord', () => driver.read(sessionId, 'record'), liveRecord);
    },

    async getPrivateKey(sessionId) {
      assertSessionId(sessionId);
      const cached = cache?.get(sessionId);
      if (cached !== undefined) return cached;
      const before = generation;
      const stored = await call('getPrivateKey', () => driver.read(sessionId, 'key'));
      if (stored === null) return null;
      let key: KeyObject;
      try {
        key = decryptKey(sessionId, stored);
      } catch (error) {
        return report('getPrivateKey', error);
      }
      if (cache !== undefined && generation === before) cache.set(sessionId, key);
      return key;
    },

    async touch(sessionId, ttlSeconds) {
      assertSessionId(sessionId);
      assertTtl(ttlSeconds, 'ttlSeconds');
      return call('touch', () => driver.touch(sessionId, ttlSeconds));
    },

    async delete(sessionId) {
      assertSessionId(sessionId);
      generation++;
      cache?.delete(sessionId);
      return call('delete', () => driver.delete(sessionId));
    },

    rewrap(rewrapOptions) {
      return rewrapPage(rewrapContext, rewrapOptions);
    },
  };
}
