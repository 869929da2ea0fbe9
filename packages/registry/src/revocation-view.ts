import { createWatermarkTable, type WatermarkTable } from './watermarks.js';

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
  const { keepMs, maxEntries, now, shared } = options;
  // Without a shared store: the evicted watermarks' summary, refusing older credentials for everyone.
  let floorMs = Number.NEGATIVE_INFINITY;
  let floorUntilMs = Number.NEGATIVE_INFINITY;
  // With one: misses are known clean from this moment (a gap-free keepMs, no eviction that could matter).
  let completeAtMs = Number.POSITIVE_INFINITY;
  let complete = !shared;
  let live = !shared;
  let epoch = 0;
  const known = new Set<string>();

  const table: WatermarkTable = createWatermarkTable({
    keepMs,
    max: maxEntries,
    now,
    onEvict(evicted) {
      if (!shared) {
        if (evicted.revokedAtMs > floorMs) floorMs = evicted.revokedAtMs;
        if (evicted.expiresAtMs > floorUntilMs) floorUntilMs = evicted.expiresAtMs;
        return;
      }
      // A known user whose watermark this was is known no longer; misses read the store until the
      // evicted watermark would have expired.
      known.delete(evicted.userId);
      if (evicted.expiresAtMs > completeAtMs) completeAtMs = evicted.expiresAtMs;
      complete = false;
    },
  });

  const floored = (issuedAtMs: number): boolean => {
    if (issuedAtMs > floorMs) return false;
    if (now() < floorUntilMs) return true;
    floorMs = Number.NEGATIVE_INFINITY;
    return false;
  };

  return {
    decide(userId, issuedAtMs) {
      if (!live) return undefined;
      const watermarkMs = table.get(userId);
      if (watermarkMs !== undefined && issuedAtMs <= watermarkMs) return REVOKED;
      if (!shared) return floored(issuedAtMs) ? FLOORED : ALLOWED;
      if (complete || known.has(userId)) return ALLOWED;
      if (now() >= completeAtMs) {
        complete = true;
        return ALLOWED;
      }
      return undefined;
    },
    decideWith(userId, issuedAtMs, storedMs) {
      const watermarkMs = table.get(userId);
      if (watermarkMs !== undefined && issuedAtMs <= watermarkMs) return REVOKED;
      if (storedMs !== undefined && issuedAtMs <= storedMs) return REVOKED;
      if (!shared && floored(issuedAtMs)) return FLOORED;
      return ALLOWED;
    },
    record(userId, revokedAtMs) {
      table.record(userId, revokedAtMs);
    },
    watermark(userId) {
      return table.get(userId);
    },
    learn(userId, storedMs, readEpoch) {
      if (storedMs !== undefined) table.record(userId, storedMs);
      if (!shared || !live || readEpoch !== epoch || complete) return;
      if (known.has(userId)) return;
      if (known.size >= maxEntries) {
        const oldest = known.values().next().value;
        if (oldest !== undefined) known.delete(oldest);
      }
      known.add(userId);
    },
    resume() {
      if (!shared || live) return;
      live = true;
      epoch++;
      known.clear();
      complete = false;
      completeAtMs = now() + keepMs;
    },
    lose() {
      if (!shared) return;
      live = false;
      complete = false;
      completeAtMs = Number.POSITIVE_INFINITY;
    },
    get live() {
      return live;
    },
    get epoch() {
      return epoch;
    },
    get size() {
      return table.size;
    },
  };
}
