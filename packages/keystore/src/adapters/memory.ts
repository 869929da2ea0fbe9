import { CapacityExhaustedError } from '@latchkey/errors';
import type { ScanPage, SessionPart, SessionStoreDriver } from '../driver.js';
import { ExpiryHeap } from './expiry-heap.js';

/** Options of {@link memoryDriver}. */
export interface MemoryDriverOptions {
  /** Most sessions held at once; default 100,000. When full of live sessions, a put of a new one fails. */
  readonly max?: number;
  /** Monotonic clock in milliseconds for TTLs; default `performance.now`. */
  readonly monotonicNowMs?: () => number;
}

interface Entry {
  readonly sessionId: string;
  /** Position in insertion order, never reused: the scan cursor. */
  readonly seq: number;
  record: string;
  key: string;
  /** On the driver's monotonic clock. */
  expiresAtMs: number;
  /** Set once the entry has left the table: the scan and the heap skip it without a lookup. */
  gone: boolean;
}

// Stale heap pairs and dead log slots are dropped once they outnumber the live entries by this much,
// in one O(n) pass paid for by the n operations that made them (amortised O(1)).
const SLACK = 1024;

/**
 * The in-memory driver (the embedded default): both entries of a session live in one entry with the
 * session's TTL, so they expire and vanish together. Bounded: when it holds `max` live sessions a put of
 * a new session fails with `CapacityExhaustedError` (`cache-full`) instead of evicting a live one.
 * Expiry is kept in order (a min-heap), so making room reclaims expired sessions without visiting live
 * ones and a refusal costs about what a hit costs; the scan walks insertion order from its cursor, so a
 * rewrap page is O(page). One process only: sessions are not shared between instances.
 *
 * @example
 * ```ts
 * const store = createSessionStore({ driver: memoryDriver({ max: 10_000 }), keyring });
 * ```
 */
export function memoryDriver(options: MemoryDriverOptions = {}): SessionStoreDriver {
  const max = options.max ?? 100_000;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
  const now = options.monotonicNowMs ?? performance.now.bind(performance);
  if (typeof now !== 'function') throw new TypeError('monotonicNowMs must be a function');

  const entries = new Map<string, Entry>();
  const expiry = new ExpiryHeap<Entry>();
  // Insertion order for the scan: entries by ascending seq, with dead slots (deleted, expired or
  // replaced entries) skipped on the walk and dropped by `compactLog`.
  let log: Entry[] = [];
  let nextSeq = 0;

  const isCurrent = (entry: Entry): boolean => !entry.gone;
  const remove = (entry: Entry): void => {
    entry.gone = true;
    entries.delete(entry.sessionId);
  };
  const live = (sessionId: string, at: number): Entry | undefined => {
    const entry = entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > at) return entry;
    remove(entry);
    return undefined;
  };
  const schedule = (entry: Entry): void => {
    expiry.push(entry.expiresAtMs, entry);
    compact();
  };
  /** Drops expired sessions from the top of the heap; stops at the first live deadline. */
  const reclaim = (at: number, limit: number): void => {
    for (let n = 0; n < limit && expiry.peekAt() <= at; n++) {
      const entry = expiry.peekItem() as Entry;
      const deadline = expiry.peekAt();
      expiry.pop();
      if (!entry.gone && entry.expiresAtMs === deadline) remove(entry);
    }
  };
  const compact = (): void => {
    if (log.length > 2 * entries.size + SLACK) log = log.filter(isCurrent);
    if (expiry.size > 2 * entries.size + SLACK) {
      expiry.rebuild(Array.from(entries.values(), (e) => [e.expiresAtMs, e] as const));
    }
  };

  return {
    async write(sessionId, record, key, ttlSeconds) {
      const at = now();
      const expiresAtMs = at + ttlSeconds * 1000;
      const held = live(sessionId, at);
      if (held !== undefined) {
        held.record = record;
        held.key = key;
        held.expiresAtMs = expiresAtMs;
        schedule(held);
        return;
      }
      // Every put retires up to two expired sessions, so the table stays tidy without a sweep.
      reclaim(at, 2);
      if (entries.size >= max) {
        reclaim(at, Number.POSITIVE_INFINITY);
        if (entries.size >= max) throw new CapacityExhaustedError('cache-full');
      }
      const entry: Entry = { sessionId, seq: nextSeq++, record, key, expiresAtMs, gone: false };
      entries.set(sessionId, entry);
      log.push(entry);
      schedule(entry);
    },
    async read(sessionId, part: SessionPart) {
      const entry = live(sessionId, now());
      if (entry === undefined) return null;
      return part === 'record' ? entry.record : entry.key;
    },
    async touch(sessionId, ttlSeconds) {
      const at = now();
      const entry = live(sessionId, at);
      if (entry === undefined) return false;
      entry.expiresAtMs = at + ttlSeconds * 1000;
      schedule(entry);
      return true;
    },
    async delete(sessionId) {
      const entry = live(sessionId, now());
      if (entry === undefined) return false;
      remove(entry);
      compact();
      return true;
    },
    async scan(cursor, count): Promise<ScanPage> {
      // The cursor is the seq of the last entry returned; resume at the first slot after it (binary
      // search), then walk `count` live entries: O(log n + page), whatever the table's size.
      let after = -1;
      if (cursor !== null) {
        if (!/^m\d{1,15}$/.test(cursor)) throw new TypeError('not a cursor returned by rewrap');
        after = Number(cursor.slice(1));
      }
      let low = 0;
      let high = log.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if ((log[middle] as Entry).seq <= after) low = middle + 1;
        else high = middle;
      }
      const at = now();
      const sessionIds: string[] = [];
      let last = after;
      let index = low;
      for (; index < log.length && sessionIds.length < count; index++) {
        const entry = log[index] as Entry;
        if (entry.gone || entry.expiresAtMs <= at) continue;
        sessionIds.push(entry.sessionId);
        last = entry.seq;
      }
      return { sessionIds, cursor: index < log.length ? `m${last}` : null };
    },
    async swapKey(sessionId, expected, next) {
      const entry = live(sessionId, now());
      if (entry === undefined || entry.key !== expected) return false;
      entry.key = next;
      return true;
    },
  };
}
