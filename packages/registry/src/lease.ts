import { CapacityExhaustedError, type LatchkeyError, TooManySessionsError } from '@latchkey/errors';

/**
 * One cancellable session or stream of a user. `signal` aborts (with a `SessionRevokedError`, or the
 * error given to `cancelAll`) when the user is logged out; `release()` ends the lease normally.
 *
 * @example
 * ```ts
 * const lease = await registry.register(userId, { issuedAtMs: claims.issuedAtMs, kind: 'events' });
 * lease.signal.addEventListener('abort', () => response.end(), { once: true });
 * response.on('close', lease.release); // bound: safe to pass as a callback
 * ```
 */
export interface Lease {
  readonly userId: string;
  /** When the lease's credential was issued (milliseconds since the epoch). */
  readonly issuedAtMs: number;
  /** What the lease is for (`'events'`, `'exec'`, …), for logs and metrics. */
  readonly kind: string;
  /** Aborted with a `LatchkeyError` (`SESSION_REVOKED` on logout) when the lease is cancelled. */
  readonly signal: AbortSignal;
  /** Removes the lease without aborting its signal. Idempotent, and bound: `onEnd: lease.release` works. */
  readonly release: () => void;
}

/**
 * The lease object. Its AbortController is created only when `signal` is first read: a lease whose
 * signal is never read costs no controller, and one cancelled before that gets an aborted signal.
 */
class LiveLease implements Lease {
  readonly userId: string;
  readonly issuedAtMs: number;
  readonly kind: string;
  /** The user's lease set while the lease is live; `undefined` once released or cancelled. */
  holder: Set<LiveLease> | undefined;
  /** The controller once `signal` was read, or the cancel reason while it was not. */
  state: AbortController | LatchkeyError | undefined = undefined;
  readonly #table: LeaseTable;
  #release: (() => void) | undefined = undefined;

  constructor(table: LeaseTable, userId: string, issuedAtMs: number, kind: string, holder: Set<LiveLease>) {
    this.userId = userId;
    this.issuedAtMs = issuedAtMs;
    this.kind = kind;
    this.holder = holder;
    this.#table = table;
  }

  // Bound, so it can be passed around (`onEnd: lease.release`); the closure is made on first read only
  // and kept, so `lease.release === lease.release`.
  get release(): () => void {
    this.#release ??= () => this.#table.release(this);
    return this.#release;
  }

  get signal(): AbortSignal {
    const state = this.state;
    if (state instanceof AbortController) return state.signal;
    const controller = new AbortController();
    this.state = controller;
    if (state !== undefined) controller.abort(state);
    return controller.signal;
  }

  cancel(reason: LatchkeyError): void {
    this.holder = undefined;
    const state = this.state;
    // Always a typed reason: without one, abort() builds a DOMException, which is slow.
    if (state === undefined) this.state = reason;
    else if (state instanceof AbortController) state.abort(reason);
  }
}

/** Options for {@link LeaseTable}. */
export interface LeaseTableOptions {
  readonly maxLeasesPerUser: number;
  readonly maxUsers: number;
}

/**
 * Live leases per user, with the per-user cap, the bound on users and an exact running total, so
 * `count()` is O(1) at any size. Every operation is O(1) except cancelling a user (O(that user's leases)).
 *
 * @example
 * ```ts
 * const table = new LeaseTable({ maxLeasesPerUser: 32, maxUsers: 100_000 });
 * const lease = table.open('alice', Date.now(), 'events');
 * table.cancelUser('alice', new SessionRevokedError('logout')); // 1
 * ```
 */
export class LeaseTable {
  readonly #users = new Map<string, Set<LiveLease>>();
  readonly #maxPerUser: number;
  readonly #maxUsers: number;
  #total = 0;

  constructor(options: LeaseTableOptions) {
    this.#maxPerUser = options.maxLeasesPerUser;
    this.#maxUsers = options.maxUsers;
  }

  /** Opens a lease. Throws `TOO_MANY_SESSIONS` over the per-user cap, `CAPACITY_EXHAUSTED` over `maxUsers`. */
  open(userId: string, issuedAtMs: number, kind: string): Lease {
    let set = this.#users.get(userId);
    if (set === undefined) {
      if (this.#users.size >= this.#maxUsers) throw new CapacityExhaustedError('registry-full');
      set = new Set();
      this.#users.set(userId, set);
    } else if (set.size >= this.#maxPerUser) {
      throw new TooManySessionsError();
    }
    const lease = new LiveLease(this, userId, issuedAtMs, kind, set);
    set.add(lease);
    this.#total++;
    return lease;
  }

  /** @internal Called by a lease's `release`. */
  release(released: Lease): void {
    const lease = released as LiveLease;
    const set = lease.holder;
    if (set === undefined) return;
    lease.holder = undefined;
    set.delete(lease);
    this.#total--;
    // Empty per-user sets leave no trace; a newer set of the same user is not ours to remove.
    if (set.size === 0 && this.#users.get(lease.userId) === set) this.#users.delete(lease.userId);
  }

  /** Aborts every live lease of `userId` with `reason`; returns how many. */
  cancelUser(userId: string, reason: LatchkeyError): number {
    const set = this.#users.get(userId);
    if (set === undefined) return 0;
    this.#users.delete(userId);
    return this.#cancelSet(set, reason);
  }

  /** Aborts the leases of `userId` issued at or before `watermarkMs` (a missed logout); returns how many. */
  cancelIssuedUpTo(userId: string, watermarkMs: number, reason: LatchkeyError): number {
    const set = this.#users.get(userId);
    if (set === undefined) return 0;
    const victims: LiveLease[] = [];
    for (const lease of set) if (lease.issuedAtMs <= watermarkMs) victims.push(lease);
    if (victims.length === 0) return 0;
    // Out of the set before any abort: listeners may release or register leases of this user.
    for (const lease of victims) {
      set.delete(lease);
      lease.holder = undefined;
    }
    this.#total -= victims.length;
    if (set.size === 0 && this.#users.get(userId) === set) this.#users.delete(userId);
    for (const lease of victims) lease.cancel(reason);
    return victims.length;
  }

  /** Aborts every live lease of every user; returns how many. */
  cancelAll(reason: LatchkeyError): number {
    const sets = [...this.#users.values()];
    this.#users.clear();
    let cancelled = 0;
    for (const set of sets) cancelled += this.#cancelSet(set, reason);
    return cancelled;
  }

  /** Live leases of `userId`, or of everyone. O(1). */
  count(userId?: string): number {
    if (userId === undefined) return this.#total;
    return this.#users.get(userId)?.size ?? 0;
  }

  /** Users with at least one live lease. */
  get users(): number {
    return this.#users.size;
  }

  /** A snapshot of the users with live leases (for reconcile). */
  userIds(): string[] {
    return [...this.#users.keys()];
  }

  has(userId: string): boolean {
    return this.#users.has(userId);
  }

  // The set is already out of the map: every lease in it is cancelled, then the set is emptied, so an
  // abort listener that registers again for the user starts a new set.
  #cancelSet(set: Set<LiveLease>, reason: LatchkeyError): number {
    let cancelled = 0;
    for (const lease of set) {
      lease.cancel(reason);
      cancelled++;
    }
    this.#total -= cancelled;
    set.clear();
    return cancelled;
  }
}
