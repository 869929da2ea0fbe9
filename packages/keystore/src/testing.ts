import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { LatchkeyError } from '@latchkey/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDriver } from './adapters/memory.js';
import type { SessionStoreDriver } from './driver.js';
import { createKeyring, type Keyring } from './keyring.js';
import type { SessionRecord } from './session-record.js';
import { createSessionStore, type SessionStore, type SessionStoreOptions } from './session-store.js';

/**
 * A keyring of fresh random keys, for tests: `current` is the first id.
 *
 * @example
 * ```ts
 * const keyring = testKeyring(['k2', 'k1']);
 * ```
 */
export function testKeyring(keyIds: readonly string[] = ['test-1']): Keyring {
  const [current] = keyIds;
  if (current === undefined) throw new TypeError('testKeyring needs at least one key id');
  return createKeyring({ current, keys: Object.fromEntries(keyIds.map((kid) => [kid, randomBytes(32)])) });
}

/**
 * An in-memory session store with a fresh random keyring, for tests.
 *
 * @example
 * ```ts
 * const store = createMemorySessionStore();
 * await store.put('s1', { record, privateKey });
 * ```
 */
export function createMemorySessionStore(options: Partial<SessionStoreOptions> = {}): SessionStore {
  return createSessionStore({ driver: memoryDriver(), keyring: testKeyring(), ...options });
}

/**
 * A valid record for tests, valid for an hour from `now`.
 *
 * @example
 * ```ts
 * await store.put('s1', { record: testRecord(), privateKey });
 * ```
 */
export function testRecord(now: number = Date.now(), overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
    endpoint: 'http://127.0.0.1:8080',
    authMode: 'session-token',
    createdAtMs: now,
    expiresAtMs: now + 3_600_000,
    ...overrides,
  };
}

/** What {@link runSessionStoreConformance} runs against. */
export interface ConformanceBackend {
  /** Names the `describe` block. */
  readonly name: string;
  /** Called once before the suite (start a server, connect a client). */
  setup?(): Promise<void>;
  /**
   * Returns a driver under test whose keys all start with `prefix` (fresh per test, so tests stay
   * independent on a shared server). Drivers of one backend share one underlying store.
   */
  createDriver(prefix: string): SessionStoreDriver;
  /**
   * Counts the keys starting with `prefix` left in the backend (on every master of a cluster); when
   * given, the suite checks that deletes leave none.
   */
  countKeys?(prefix: string): Promise<number>;
  /** Called once after the suite. */
  teardown?(): Promise<void>;
  /** Sessions in the bulk put-and-delete test; default 1000. */
  readonly bulkSessions?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The conformance suite every driver passes, as Vitest tests (Vitest is an optional peer dependency of
 * this entry only): put/get/touch/delete, TTL expiry of both entries together, moved or plaintext values
 * refused, corrupt records typed, rewrap, and a bulk put-and-delete that leaves no key behind. Run it
 * over every backend with `describe.each`.
 *
 * @example
 * ```ts
 * // my-driver.int.test.ts
 * describe.each([memory, myBackend])('$name', (backend) => runSessionStoreConformance(backend));
 * ```
 */
export function runSessionStoreConformance(backend: ConformanceBackend): void {
  describe(`session store conformance: ${backend.name}`, () => {
    let run = 0;
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const base = `conf-${randomBytes(4).toString('hex')}`;
    // A fresh prefix (and driver) per test keeps the tests independent on a shared server.
    const fresh = (
      options: Partial<SessionStoreOptions> = {},
    ): { store: SessionStore; prefix: string; driver: SessionStoreDriver } => {
      const prefix = `${base}-${++run}`;
      const driver = backend.createDriver(prefix);
      const store = createSessionStore({ driver, keyring: testKeyring(), timeoutMs: 2_000, ...options });
      return { store, prefix, driver };
    };
    const jwkOf = (key: { export(options: { format: 'jwk' }): unknown }): unknown =>
      key.export({ format: 'jwk' });

    beforeAll(async () => {
      await backend.setup?.();
    });
    afterAll(async () => {
      await backend.teardown?.();
    });

    it('returns what was put: the record and the private key', async () => {
      const { store } = fresh();
      const record = testRecord();
      await store.put('s-1', { record, privateKey });
      expect(await store.getRecord('s-1')).toEqual(record);
      const key = await store.getPrivateKey('s-1');
      expect(key?.type).toBe('private');
      expect(key === null ? null : jwkOf(key)).toEqual(jwkOf(privateKey));
    });

    it('accepts a private JWK as the private key', async () => {
      const { store } = fresh();
      await store.put('s-jwk', { record: testRecord(), privateKey: privateKey.export({ format: 'jwk' }) });
      const key = await store.getPrivateKey('s-jwk');
      expect(key === null ? null : jwkOf(key)).toEqual(jwkOf(privateKey));
    });

    it('refuses a private JWK that is not a P-256 key and leaves the stored session as it was', async () => {
      const { store } = fresh();
      const record = testRecord();
      await store.put('s-badjwk', { record, privateKey });
      const good = jwkOf(privateKey) as Record<string, string>;
      for (const bad of [
        { ...good, d: `${good.d}A` },
        { ...good, alg: 'ES256' },
        { ...good, crv: 'P-384' },
      ]) {
        await expect(
          store.put('s-badjwk', {
            record: testRecord(Date.now(), { authMode: 'other' }),
            privateKey: bad as never,
          }),
        ).rejects.toThrow(TypeError);
      }
      expect(await store.getRecord('s-badjwk')).toEqual(record);
      const key = await store.getPrivateKey('s-badjwk');
      expect(key === null ? null : jwkOf(key)).toEqual(jwkOf(privateKey));
    });

    it('answers null / false for a session that does not exist', async () => {
      const { store } = fresh();
      expect(await store.getRecord('absent')).toBeNull();
      expect(await store.getPrivateKey('absent')).toBeNull();
      expect(await store.touch('absent', 60)).toBe(false);
      expect(await store.delete('absent')).toBe(false);
    });

    it('replaces both entries on a second put', async () => {
      const { store } = fresh();
      await store.put('s-2', { record: testRecord(), privateKey });
      const second = testRecord(Date.now(), { endpoint: 'http://127.0.0.1:9090' });
      await store.put('s-2', { record: second, privateKey: otherKey });
      expect(await store.getRecord('s-2')).toEqual(second);
      const key = await store.getPrivateKey('s-2');
      expect(key === null ? null : jwkOf(key)).toEqual(jwkOf(otherKey));
    });

    it('deletes both entries together', async () => {
      const { store } = fresh();
      await store.put('s-3', { record: testRecord(), privateKey });
      expect(await store.delete('s-3')).toBe(true);
      expect(await store.getRecord('s-3')).toBeNull();
      expect(await store.getPrivateKey('s-3')).toBeNull();
      expect(await store.delete('s-3')).toBe(false);
    });

    it('expires both entries together at the TTL, and touch extends both', async () => {
      const { store } = fresh();
      await store.put('s-ttl', { record: testRecord(), privateKey, ttlSeconds: 1 });
      await store.put('s-touched', { record: testRecord(), privateKey, ttlSeconds: 1 });
      expect(await store.touch('s-touched', 30)).toBe(true);
      await sleep(1_600);
      expect(await store.getRecord('s-ttl')).toBeNull();
      expect(await store.getPrivateKey('s-ttl')).toBeNull();
      expect(await store.touch('s-ttl', 30)).toBe(false);
      expect(await store.getRecord('s-touched')).not.toBeNull();
      expect(await store.getPrivateKey('s-touched')).not.toBeNull();
    });

    it('refuses an invalid session id before it becomes a key name', async () => {
      const { store } = fresh();
      for (const bad of ['', 'a{b}', 'has space', 'x'.repeat(129), 'a:b', 'é']) {
        await expect(store.getRecord(bad)).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          status: 400,
          reason: 'invalid-session-id',
        });
        await expect(store.put(bad, { record: testRecord(), privateKey })).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          reason: 'invalid-session-id',
        });
        await expect(store.delete(bad)).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          reason: 'invalid-session-id',
        });
      }
    });

    it('refuses an encrypted key moved to another session', async () => {
      const { store, driver } = fresh();
      await store.put('s-from', { record: testRecord(), privateKey });
      const stolen = await driver.read('s-from', 'key');
      const record = await driver.read('s-from', 'record');
      expect(stolen).not.toBeNull();
      await driver.write('s-to', record ?? '', stolen ?? '', 60);
      await expect(store.getPrivateKey('s-to')).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
        status: 500,
        reason: 'authentication-failed',
      });
    });

    it('never accepts a plaintext key, and types a corrupt record', async () => {
      const { store, driver } = fresh();
      await driver.write('s-plain', '{"not":"a record"}', JSON.stringify(jwkOf(privateKey)), 60);
      await expect(store.getPrivateKey('s-plain')).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
        reason: 'malformed',
      });
      await expect(store.getRecord('s-plain')).rejects.toMatchObject({ code: 'INTERNAL', status: 500 });
    });

    it('keeps entries under an old key id readable, and rewrap moves them to the current key', async () => {
      const old = testKeyring(['old']);
      const oldBytes = old.key('old') ?? new Uint8Array(32);
      const driver = backend.createDriver(`${base}-${++run}`);
      const before = createSessionStore({ driver, keyring: old, timeoutMs: 2_000 });
      const ids = Array.from({ length: 25 }, (_, i) => `rw-${i}`);
      await Promise.all(ids.map((id) => before.put(id, { record: testRecord(), privateKey })));
      const rotated = createKeyring({ current: 'new', keys: { new: randomBytes(32), old: oldBytes } });
      const after = createSessionStore({ driver, keyring: rotated, timeoutMs: 2_000 });
      for (const id of ids) expect(await after.getPrivateKey(id)).not.toBeNull();
      let cursor: string | null = null;
      let rewrapped = 0;
      do {
        const page = await after.rewrap({ cursor, batch: 7 });
        rewrapped += page.rewrapped;
        expect(page.failed).toBe(0);
        cursor = page.cursor;
      } while (cursor !== null);
      expect(rewrapped).toBe(ids.length);
      const newOnly = createKeyring({
        current: 'new',
        keys: { new: rotated.key('new') ?? new Uint8Array(32) },
      });
      const onlyNew = createSessionStore({ driver, keyring: newOnly, timeoutMs: 2_000 });
      for (const id of ids) expect(await onlyNew.getPrivateKey(id)).not.toBeNull();
      await expect(before.getPrivateKey(ids[0] ?? '')).rejects.toMatchObject({
        code: 'DECRYPT_FAILED',
        reason: 'unknown-key-id',
      });
    });

    it('drops a cached key on delete on this instance', async () => {
      const { store } = fresh({ keyCache: { max: 100, ttlMs: 60_000 } });
      await store.put('s-cache', { record: testRecord(), privateKey });
      const first = await store.getPrivateKey('s-cache');
      expect(await store.getPrivateKey('s-cache')).toBe(first);
      await store.delete('s-cache');
      expect(await store.getPrivateKey('s-cache')).toBeNull();
    });

    it(`puts and deletes ${backend.bulkSessions ?? 1000} sessions with no error and no key left`, async () => {
      const { store, prefix } = fresh();
      const ids = Array.from(
        { length: backend.bulkSessions ?? 1000 },
        (_, i) => `bulk-${i}-${randomBytes(6).toString('base64url')}`,
      );
      const record = testRecord();
      const puts = await Promise.allSettled(ids.map((id) => store.put(id, { record, privateKey })));
      const errors = puts.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(errors.map((error) => (LatchkeyError.is(error) ? error.code : String(error)))).toEqual([]);
      if (backend.countKeys !== undefined) expect(await backend.countKeys(prefix)).toBe(ids.length * 2);
      const deletes = await Promise.all(ids.map((id) => store.delete(id)));
      expect(deletes.every((deleted) => deleted)).toBe(true);
      if (backend.countKeys !== undefined) expect(await backend.countKeys(prefix)).toBe(0);
      expect(await store.getRecord(ids[0] ?? '')).toBeNull();
    });
  });
}
