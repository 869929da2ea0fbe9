import { CapacityExhaustedError, SessionRevokedError } from '@latchkey/errors';
import { LRUCache } from 'lru-cache';

/**
 * The one comparison rule: a credential issued at or before its user's watermark is revoked. Shared by
 * the registration check and the registry's reconcile, so both always agree on the boundary.
 *
 * @example
 * ```ts
 * issuedAtOrBefore(1_000, 1_000); // true: issued in the very millisecond of the logout
 * issuedAtOrBefore(1_001, undefined); // false: the user has no watermark
 * ```
 */
export function issuedAtOrBefore(issuedAt: number, watermark: number | undefined): boolean {
  return watermark !== undefined && issuedAt <= watermark;
}

/** Options for {@link createWatermarkTable}. */
export interface WatermarkTableOptions {
  /** How long a watermark is kept: the longest lifetime of any credential it may have to refuse. */
  readonly ttlMs: number;
  /** Most watermarks kept at once. */
  readonly max: number;
  /** Clock in milliseconds. */
  readonly now: () => number;
}

/**
 * Revocation watermarks: for each user, the latest moment they were logged out. A credential issued at
 * or before its user's watermark is refused.
 *
 * Bounded without ever forgetting: when the table is full, the OLDEST watermark is folded into a global
 * floor instead of being dropped. Until that floor ages out (one TTL, after which every credential it
 * could concern has expired), a credential issued at or before it is refused for every user with
 * `CAPACITY_EXHAUSTED` (`registry-full`): the table can no longer tell whether that user was logged
 * out, so it says no. Folding the oldest entry keeps the refused set as small as it can be.
 *
 * @example
 * ```ts
 * const table = createWatermarkTable({ ttlMs: 3_600_000, max: 100_000, now: Date.now });
 * table.record('alice', Date.now());
 * table.check('alice', issuedAt); // throws SessionRevokedError('issued-before-revocation')
 * ```
 */
export interface WatermarkTable {
  /** Raises the user's watermark to `at` (a lower `at` never lowers it) and restarts its TTL. */
  record(userId: string, at: number): void;
  /** Throws when a credential issued at `issuedAt` must be refused for `userId`. */
  check(userId: string, issuedAt: number): void;
  /** The user's live watermark, if any. */
  get(userId: string): number | undefined;
  /** Live watermarks held (stale ones may still be counted until touched). */
  readonly size: number;
}

/**
 * Creates a {@link WatermarkTable}.
 *
 * @example
 * ```ts
 * const table = createWatermarkTable({ ttlMs: 60_000, max: 10, now: () => clock });
 * ```
 */
export function createWatermarkTable(options: WatermarkTableOptions): WatermarkTable {
  const { ttlMs, max, now } = options;
  // The floor summarises evicted watermarks: the latest of them, and when it stops mattering.
  let floorAt = Number.NEGATIVE_INFINITY;
  let floorUntil = Number.NEGATIVE_INFINITY;
  const cache = new LRUCache<string, number>({
    max,
    ttl: ttlMs,
    // No timers and no cached clock: staleness is decided by the injected clock at each call.
    ttlResolution: 0,
    perf: { now },
    dispose(value, _key, reason) {
      if (reason !== 'evict') return;
      if (value > floorAt) floorAt = value;
      floorUntil = Math.max(floorUntil, now() + ttlMs);
    },
  });

  return {
    record(userId, at) {
      // peek, not get: reading never changes the eviction order, so the oldest write is evicted first.
      const current = cache.peek(userId);
      cache.set(userId, current !== undefined && current > at ? current : at);
    },
    check(userId, issuedAt) {
      if (issuedAtOrBefore(issuedAt, cache.peek(userId))) {
        throw new SessionRevokedError('issued-before-revocation');
      }
      if (issuedAt <= floorAt) {
        if (now() < floorUntil) throw new CapacityExhaustedError('registry-full');
        floorAt = Number.NEGATIVE_INFINITY;
      }
    },
    get(userId) {
      return cache.peek(userId);
    },
    get size() {
      return cache.size;
    },
  };
}
