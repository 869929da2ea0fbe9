/** A bounded map whose entries expire at an absolute time that a read never moves. */
export interface ExpiryTable<V> {
  /** The live value under `key`, or `undefined` (absent or expired; an expired entry is dropped). */
  get(key: string, nowMs: number): V | undefined;
  /** Stores `value` until `expiresAtMs`. Beyond `maxEntries`, the oldest insertion is dropped. */
  set(key: string, value: V, expiresAtMs: number): void;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAtMs: number;
}

/**
 * An O(1) bounded table with absolute expiry. A `Map` keeps insertion order, so the first key is the
 * oldest insertion: evicting it is O(1). Reads never refresh an entry (no sliding TTL, no LRU move):
 * a token reviewed once is reviewed again after its TTL however often it is used.
 *
 * @example
 * ```ts
 * const table = createExpiryTable<Identity>(10_000);
 * table.set(key, identity, now + 10_000);
 * table.get(key, now); // identity until now + 10 s, then undefined
 * ```
 */
export function createExpiryTable<V>(maxEntries: number): ExpiryTable<V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('maxEntries must be a positive integer');
  const entries = new Map<string, Entry<V>>();
  return {
    get(key, nowMs) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (nowMs >= entry.expiresAtMs) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, expiresAtMs) {
      // Re-inserting moves the key to the end, so eviction order stays insertion order.
      entries.delete(key);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAtMs });
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
