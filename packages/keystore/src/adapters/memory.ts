import { CapacityExhaustedError } from '@latchkey/errors';
import { LRUCache } from 'lru-cache';
import type { ScanPage, SessionPart, SessionStoreDriver } from '../driver.js';
import type { SessionKeyNames } from '../session-id.js';

/** Options of {@link memoryDriver}. */
export interface MemoryDriverOptions {
  /** Most sessions held at once; default 100,000. When full of live sessions, a put of a new one fails. */
  readonly max?: number;
  /** Monotonic clock in milliseconds for TTLs; default `performance.now`. */
  readonly now?: () => number;
}

interface Entry {
  readonly record: string;
  readonly key: string;
}

function globToRegExp(pattern: string): RegExp {
  // Only `*` is used by the store (`<prefix>:{*}:key`); every other character is literal.
  const escaped = pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/**
 * The in-memory driver (the embedded default): both entries of a session live in one lru-cache entry
 * with the session's TTL, so they expire and vanish together. Bounded: when it holds `max` live sessions
 * a put of a new session fails with `CapacityExhaustedError` (`cache-full`) instead of evicting a live one.
 * One process only: sessions are not shared between instances.
 *
 * @example
 * ```ts
 * const store = createSessionStore({ driver: memoryDriver({ max: 10_000 }), keyring });
 * ```
 */
export function memoryDriver(options: MemoryDriverOptions = {}): SessionStoreDriver {
  const max = options.max ?? 100_000;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
  const entries = new LRUCache<string, Entry>({
    max,
    ttl: 1000,
    ttlAutopurge: false,
    // An injected clock is read on every check (lru-cache otherwise caches the time for 1 ms).
    ...(options.now === undefined ? {} : { perf: { now: options.now }, ttlResolution: 0 }),
  });
  const keyOf = (names: SessionKeyNames): string => names.record;

  return {
    async write(names, record, key, ttlSeconds) {
      const id = keyOf(names);
      if (!entries.has(id) && entries.size >= max) {
        entries.purgeStale();
        if (entries.size >= max) throw new CapacityExhaustedError('cache-full');
      }
      entries.set(id, { record, key }, { ttl: ttlSeconds * 1000 });
    },
    async read(names, part: SessionPart) {
      return entries.get(keyOf(names))?.[part] ?? null;
    },
    async touch(names, ttlSeconds) {
      const id = keyOf(names);
      const entry = entries.get(id);
      if (entry === undefined) return false;
      entries.set(id, entry, { ttl: ttlSeconds * 1000 });
      return true;
    },
    async delete(names) {
      return entries.delete(keyOf(names));
    },
    async scan(pattern, cursor, count): Promise<ScanPage> {
      // Resumes after the last name returned, in sorted order: like SCAN, every entry present for the
      // whole scan is returned at least once.
      entries.purgeStale();
      const matcher = globToRegExp(pattern);
      const names: string[] = [];
      for (const id of entries.keys()) {
        const keyName = `${id.slice(0, -':rec'.length)}:key`;
        if (matcher.test(keyName) && (cursor === null || keyName > cursor)) names.push(keyName);
      }
      names.sort();
      const page = names.slice(0, count);
      const last = page.at(-1);
      return { names: page, cursor: page.length < names.length && last !== undefined ? last : null };
    },
    async swapKey(names, expected, next) {
      const id = keyOf(names);
      const entry = entries.get(id);
      if (entry === undefined || entry.key !== expected) return false;
      const remaining = entries.getRemainingTTL(id);
      if (remaining <= 0) return false;
      entries.set(id, { record: entry.record, key: next }, { ttl: remaining });
      return true;
    },
  };
}
