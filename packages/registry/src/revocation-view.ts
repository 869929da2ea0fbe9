import { FifoQueue } from './fifo.js';
import { createWatermarkTable, type EvictedWatermark, type WatermarkTable } from './watermarks.js';

/**
 * The answer of a revocation check: `{ ok: true }`, or why the credential is refused. `UNAUTHENTICATED`
 * (`revoked`): issued at or before its user's last logout. `CAPACITY_EXHAUSTED` (`registry-full`): only
 * without a shared store, when the watermark table overflowed and the credential is older than the
 * global floor (see the README).
 */
export type RevocationDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'UNAUTHENTICATED'; readonly reason: 'revoked' }
  | { readonly ok: false; readonly code: 'CAPACITY_EXHAUSTED'; readonly reason: 'registry-full' };

export const ALLOWED: RevocationDecision = Object.freeze({ ok: true });
export const REVOKED: RevocationDecision = Object.freeze({
  ok: false,
  code: 'UNAUTHENTICATED',
  reason: 'revoked',
});
export const FLOORED: RevocationDecision = Object.freeze({
  ok: false,
  code: 'CAPACITY_EXHAUSTED',
  reason: 'registry-full',
});

/** Options for {@link createRevocationView}. */
export interface RevocationViewOptions {
  /** How long a watermark must be remembered: the longest credential lifetime plus the clock tolerance. */
  readonly keepMs: number;
  /** Watermarks held; with a shared store, also the number of users remembered as "checked clean". */
  readonly maxEntries: number;
  readonly now: () => number;
  /** `true` when a shared store (a bus) holds every instance's watermarks. */
  readonly shared: boolean;
}

/**
 * This instance's view of revocations: the local watermark table and, with a shared store, what it
 * knows about users absent from that table.
 *
 * Without a shared store the table is the whole truth (one instance): a user absent from it is not
 * revoked. When it is full, the oldest watermark is folded into a global floor: until that watermark
 * would have expired, every credential issued at or before it is refused for every user
 * (`CAPACITY_EXHAUSTED`), because the table can no longer tell whose logout it was. Never a forgotten logout.
 *
 * With a shared store the table is a cache of the store's watermarks, and a full table never refuses
 * anyone: an entry pushed out only means "read the store for users you do not know". The hard part is
 * telling "not in the table" apart from "not revoked" without reading the store on every request:
 * - while the subscription is live, every logout reaches the table (the bus delivers every revocation),
 *   so once the subscription has been live without a gap for a whole `keepMs` and nothing was pushed
 *   out of the table in the last `keepMs`, a user absent from the table has no live watermark anywhere
 *   (`complete`): the check is one Map lookup;
 * - before that (after a start or a gap in the subscription, or while an evicted watermark could still
 *   matter) a miss is unknown: the registry reads the store once and the user goes into `known`, a FIFO
 *   set of users whose stored watermark was read during the current gap-free stretch (`epoch`). A logout
 *   after that read arrives as a message, so the user stays known; `known` is emptied on every gap, and
 *   a read that started before a gap teaches nothing. A message alone never makes a user known: the
 *   store holds the maximum of every instance's logouts, a message only one of them.
 * So a user who never logged out costs one store read per gap (or per trip through the FIFO when more
 * than `maxEntries` distinct users are active while the view is incomplete), not one per request.
 *
 * @example
 * ```ts
 * const view = createRevocationView({ keepMs: 3_605_000, maxEntries: 100_000, now: Date.now, shared: false });
 * view.record('alice', Date.now());
 * view.decide('alice', issuedAtMs); // REVOKED
 * ```
 */
export interface RevocationView {
  /** The answer from local state alone, or `undefined` when only the store can tell. */
  decide(userId: string, issuedAtMs: number): RevocationDecision | undefined;
  /** The answer given a watermark just read from the store (`undefined`: none stored). */
  decideWith(userId: string, issuedAtMs: number, storedMs: number | undefined): RevocationDecision;
  /** A watermark learnt from this instance's logout, a message or a reconcile. */
  record(userId: string, revokedAtMs: number): void;
  /** The user's live local watermark. */
  watermark(userId: string): number | undefined;
  /**
   * A store read for `userId` that started in `epoch` answered `storedMs`: record it, and remember the user
   * as known when no gap happened since.
   */
  learn(userId: string, storedMs: number | undefined, epoch: number): void;
  /** The subscription is live after a start or a gap: a new epoch begins. */
  resume(): void;
  /** The subscription may be missing messages from now on. */
  lose(): void;
  /** Whether the subscription is live (always `true` without a shared store). */
  readonly live: boolean;
  /** Increments on every `resume`. */
  readonly epoch: number;
  /** Watermarks held. */
  readonly size: number;
}

/**
 * Creates a {@link RevocationView}.
 *
 * @example
 * ```ts
 * const view = createRevocationView({ keepMs: 65_000, maxEntries: 1_000, now: Date.now, shared: true });
 * view.resume(); // the subscription is live
 * ```
 */
export function createRevocationView(options: RevocationViewOptions): RevocationView {
  return new View(options);
}

// A class, not closures: `decide` runs on every request, and prototype methods stay monomorphic.
class View implements RevocationView {
  readonly #keepMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #shared: boolean;
  readonly #table: WatermarkTable;
  // Without a shared store: the evicted watermarks' summary, refusing older credentials for everyone.
  #floorMs = Number.NEGATIVE_INFINITY;
  #floorUntilMs = Number.NEGATIVE_INFINITY;
  // With one: misses are known clean from this moment (a gap-free keepMs, no eviction that could matter).
  #completeAtMs = Number.POSITIVE_INFINITY;
  #complete: boolean;
  #live: boolean;
  #epoch = 0;
  // Users checked against the store in this epoch; FIFO-bounded (see FifoQueue for why not the Set's order).
  readonly #known = new Set<string>();
  readonly #knownOrder: FifoQueue<string>;

  constructor(options: RevocationViewOptions) {
    this.#keepMs = options.keepMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now;
    this.#shared = options.shared;
    this.#complete = !options.shared;
    this.#live = !options.shared;
    const known = this.#known;
    this.#knownOrder = new FifoQueue<string>((userId) => known.has(userId));
    this.#table = createWatermarkTable({
      keepMs: options.keepMs,
      max: options.maxEntries,
      now: options.now,
      onEvict: (evicted) => this.#evicted(evicted),
    });
  }

  decide(userId: string, issuedAtMs: number): RevocationDecision | undefined {
    if (!this.#live) return undefined;
    const watermarkMs = this.#table.get(userId);
    if (watermarkMs !== undefined && issuedAtMs <= watermarkMs) return REVOKED;
    if (!this.#shared) return issuedAtMs <= this.#floorMs && this.#floored(issuedAtMs) ? FLOORED : ALLOWED;
    if (this.#complete || this.#known.has(userId)) return ALLOWED;
    if (this.#now() >= this.#completeAtMs) {
      this.#complete = true;
      return ALLOWED;
    }
    return undefined;
  }

  decideWith(userId: string, issuedAtMs: number, storedMs: number | undefined): RevocationDecision {
    const watermarkMs = this.#table.get(userId);
    if (watermarkMs !== undefined && issuedAtMs <= watermarkMs) return REVOKED;
    if (storedMs !== undefined && issuedAtMs <= storedMs) return REVOKED;
    if (!this.#shared && this.#floored(issuedAtMs)) return FLOORED;
    return ALLOWED;
  }

  record(userId: string, revokedAtMs: number): void {
    this.#table.record(userId, revokedAtMs);
  }

  watermark(userId: string): number | undefined {
    return this.#table.get(userId);
  }

  learn(userId: string, storedMs: number | undefined, readEpoch: number): void {
    if (storedMs !== undefined) this.#table.record(userId, storedMs);
    if (!this.#shared || !this.#live || readEpoch !== this.#epoch || this.#complete) return;
    const known = this.#known;
    if (known.has(userId)) return;
    const order = this.#knownOrder;
    if (known.size >= this.#maxEntries) {
      const oldest = order.front();
      if (oldest !== undefined) {
        known.delete(oldest);
        order.shift();
      }
    }
    known.add(userId);
    order.push(userId);
    order.rebuildIfBloated(known.size, () => known.values());
  }

  resume(): void {
    if (!this.#shared || this.#live) return;
    this.#live = true;
    this.#epoch++;
    this.#known.clear();
    this.#knownOrder.clear();
    this.#complete = false;
    this.#completeAtMs = this.#now() + this.#keepMs;
  }

  lose(): void {
    if (!this.#shared) return;
    this.#live = false;
    this.#complete = false;
    this.#completeAtMs = Number.POSITIVE_INFINITY;
  }

  get live(): boolean {
    return this.#live;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get size(): number {
    return this.#table.size;
  }

  #floored(issuedAtMs: number): boolean {
    if (issuedAtMs > this.#floorMs) return false;
    if (this.#now() < this.#floorUntilMs) return true;
    this.#floorMs = Number.NEGATIVE_INFINITY;
    return false;
  }

  #evicted(evicted: EvictedWatermark): void {
    if (!this.#shared) {
      if (evicted.revokedAtMs > this.#floorMs) this.#floorMs = evicted.revokedAtMs;
      if (evicted.expiresAtMs > this.#floorUntilMs) this.#floorUntilMs = evicted.expiresAtMs;
      return;
    }
    // A known user whose watermark this was is known no longer; misses read the store until the
    // evicted watermark would have expired.
    this.#known.delete(evicted.userId);
    if (evicted.expiresAtMs > this.#completeAtMs) this.#completeAtMs = evicted.expiresAtMs;
    this.#complete = false;
  }
}
