/**
 * Revocation watermarks: for each user, the latest moment they were logged out (milliseconds). A
 * credential issued at or before its user's watermark is refused.
 *
 * Every watermark is kept for the same `keepMs` from when it was recorded, so insertion order is expiry
 * order: the table is a `Map` in that order, expired entries are dropped from its front as new ones
 * arrive (amortised O(1), never a scan of live entries), and when it is full of live entries the oldest
 * one is handed to `onEvict` (the registry folds it into a global floor, or, with a shared store,
 * remembers that misses must read the store until it would have expired). Every operation is O(1).
 *
 * @example
 * ```ts
 * const table = createWatermarkTable({ keepMs: 3_605_000, max: 100_000, now: Date.now, onEvict });
 * table.record('alice', Date.now());
 * table.get('alice'); // the logout moment
 * ```
 */
export interface WatermarkTable {
  /**
   * Raises the user's watermark to `revokedAtMs` (a lower value never lowers it; it then changes
   * nothing) and keeps it for `keepMs` from now.
   */
  record(userId: string, revokedAtMs: number): void;
  /** The user's live watermark, if any. */
  get(userId: string): number | undefined;
  /** Entries held (expired ones may be counted until they reach the front). */
  readonly size: number;
}

/** A watermark pushed out of a full table while still live. */
export interface EvictedWatermark {
  readonly userId: string;
  readonly revokedAtMs: number;
  /** When it would have expired. */
  readonly expiresAtMs: number;
}

/** Options for {@link createWatermarkTable}. */
export interface WatermarkTableOptions {
  /** How long a watermark is kept: the longest credential lifetime plus the clock tolerance. */
  readonly keepMs: number;
  /** Most watermarks held at once. */
  readonly max: number;
  /** Clock, milliseconds since the epoch. */
  readonly now: () => number;
  /** Receives each live watermark pushed out by a newer one when the table is full. */
  readonly onEvict: (evicted: EvictedWatermark) => void;
}

interface Entry {
  readonly revokedAtMs: number;
  readonly expiresAtMs: number;
}

/**
 * Creates a {@link WatermarkTable}.
 *
 * @example
 * ```ts
 * const table = createWatermarkTable({ keepMs: 60_000, max: 10, now: () => clock, onEvict: () => {} });
 * ```
 */
export function createWatermarkTable(options: WatermarkTableOptions): WatermarkTable {
  const { keepMs, max, now, onEvict } = options;
  const entries = new Map<string, Entry>();

  const dropExpiredFront = (at: number): void => {
    for (const [userId, entry] of entries) {
      if (entry.expiresAtMs > at) return;
      entries.delete(userId);
    }
  };

  return {
    record(userId, revokedAtMs) {
      const at = now();
      const current = entries.get(userId);
      if (current !== undefined) {
        if (current.expiresAtMs > at && current.revokedAtMs >= revokedAtMs) return;
        // Re-inserted at the back: its expiry is now the latest.
        entries.delete(userId);
      }
      dropExpiredFront(at);
      if (entries.size >= max) {
        const oldest = entries.entries().next().value;
        if (oldest !== undefined) {
          entries.delete(oldest[0]);
          onEvict({ userId: oldest[0], ...oldest[1] });
        }
      }
      entries.set(userId, { revokedAtMs, expiresAtMs: at + keepMs });
    },
    get(userId) {
      const entry = entries.get(userId);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs > now()) return entry.revokedAtMs;
      entries.delete(userId);
      return undefined;
    },
    get size() {
      return entries.size;
    },
  };
}
