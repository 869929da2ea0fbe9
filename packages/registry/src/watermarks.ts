import { FifoQueue } from './fifo.js';

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
  readonly userId: string;
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
  return new Table(options);
}

// A class, not closures: the revocation check of every request goes through `get`, and prototype
// methods stay monomorphic (and inlined) however many tables a process holds.
class Table implements WatermarkTable {
  readonly #entries = new Map<string, Entry>();
  // Recording order, which is expiry order: every entry is kept the same keepMs.
  readonly #order: FifoQueue<Entry>;
  readonly #keepMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #onEvict: (evicted: EvictedWatermark) => void;

  constructor(options: WatermarkTableOptions) {
    this.#keepMs = options.keepMs;
    this.#max = options.max;
    this.#now = options.now;
    this.#onEvict = options.onEvict;
    const entries = this.#entries;
    this.#order = new FifoQueue<Entry>((entry) => entries.get(entry.userId) === entry);
  }

  record(userId: string, revokedAtMs: number): void {
    const entries = this.#entries;
    const order = this.#order;
    const at = this.#now();
    const current = entries.get(userId);
    if (current !== undefined) {
      if (current.expiresAtMs > at && current.revokedAtMs >= revokedAtMs) return;
      entries.delete(userId);
    }
    for (let front = order.front(); front !== undefined && front.expiresAtMs <= at; front = order.front()) {
      entries.delete(front.userId);
      order.shift();
    }
    if (entries.size >= this.#max) {
      const oldest = order.front();
      if (oldest !== undefined) {
        entries.delete(oldest.userId);
        order.shift();
        this.#onEvict(oldest);
      }
    }
    const entry: Entry = { userId, revokedAtMs, expiresAtMs: at + this.#keepMs };
    entries.set(userId, entry);
    order.push(entry);
    order.rebuildIfBloated(entries.size, () => entries.values());
  }

  get(userId: string): number | undefined {
    const entry = this.#entries.get(userId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs > this.#now()) return entry.revokedAtMs;
    this.#entries.delete(userId);
    return undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
