import { randomUUID } from 'node:crypto';
import {
  LatchkeyError,
  SessionRevokedError,
  StoreUnavailableError,
  TooManySessionsError,
} from '@latchkey/errors';
import type { Revocation, RevocationBus, RevocationSubscription } from './bus.js';
import { createWatermarkTable, issuedAtOrBefore, type WatermarkTable } from './watermarks.js';

/** Why leases were cancelled; carried by the `SessionRevokedError` each signal aborts with. */
export type CancelReason = SessionRevokedError['reason'];

/** The credential a lease is opened with. */
export interface LeaseCredential {
  /** What the lease is for (`'events'`, `'exec'`, …); kept on the lease for logs and metrics. */
  readonly kind: string;
  /**
   * When the credential was issued, in milliseconds since the epoch (a JWT's `iat * 1000`). A credential
   * issued at or before its user's last logout is refused.
   */
  readonly issuedAt: number;
}

/**
 * One cancellable session or stream of a user. `signal` aborts, with a `SessionRevokedError` as its
 * reason, when the user is logged out; `release()` ends the lease normally.
 *
 * @example
 * ```ts
 * const lease = registry.register(user, { kind: 'events', issuedAt });
 * lease.signal.addEventListener('abort', () => response.end(), { once: true });
 * response.on('close', () => lease.release());
 * ```
 */
export interface Lease {
  /** Unique within its registry. */
  readonly id: number;
  readonly userId: string;
  readonly kind: string;
  /** Aborted with a `SessionRevokedError` (`code` `SESSION_REVOKED`) when the user is logged out. */
  readonly signal: AbortSignal;
  /**
   * Removes the lease from the registry without aborting its signal. Idempotent. A method: pass
   * `() => lease.release()` where a callback is wanted.
   */
  release(): void;
}

/** Options for {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * How long a logout watermark is kept, in milliseconds: the longest lifetime of any credential that
   * `register` accepts. A shorter value would let a credential outlive the memory of its revocation.
   */
  readonly watermarkTtlMs: number;
  /** Live leases one user may hold at once. Default 32. */
  readonly maxLeasesPerUser?: number;
  /** Watermarks held at once. Default 100,000. When full, see `createWatermarkTable` (fails closed). */
  readonly maxWatermarks?: number;
  /** Clock in milliseconds since the epoch, for watermarks. Default `Date.now`. */
  readonly now?: () => number;
  /** Cross-instance fan-out. With a bus, leases are opened with `registerAsync`. */
  readonly bus?: RevocationBus;
  /**
   * With a bus: how often, in milliseconds, every user with a live lease here is checked against the
   * stored watermark (see {@link Registry.reconcile}), because a revocation message can be lost without
   * the subscription visibly dropping. Default 30,000; `0` disables. Ignored without a bus.
   */
  readonly reconcileIntervalMs?: number;
  /**
   * Called with failures that have no caller to reject: a background fan-out of `cancelUser`, a
   * subscription that could not start, or a background reconcile whose store read failed. Default: a
   * process warning (never silent).
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * A per-user registry of cancellable leases with a revocation watermark.
 *
 * @example
 * ```ts
 * const registry = createRegistry({ watermarkTtlMs: 15 * 60_000 });
 * const lease = registry.register('alice', { kind: 'events', issuedAt: claims.iat * 1000 });
 * registry.cancelUser('alice'); // 1; lease.signal.reason is SessionRevokedError('logout')
 * ```
 */
export interface Registry {
  /**
   * Opens a lease, checking only this instance's watermarks. Throws `SESSION_REVOKED`
   * (`issued-before-revocation`), `TOO_MANY_SESSIONS` or `CAPACITY_EXHAUSTED` (`registry-full`).
   * With a bus configured it throws a `TypeError`: use {@link Registry.registerAsync}.
   */
  register(userId: string, credential: LeaseCredential): Lease;
  /**
   * Opens a lease after also checking the watermark other instances stored (when a bus is configured).
   * Rejects as `register` throws, and with `STORE_UNAVAILABLE` when the store cannot answer.
   */
  registerAsync(userId: string, credential: LeaseCredential): Promise<Lease>;
  /**
   * Records the logout moment and aborts every live lease of the user on this instance; returns how many.
   * With a bus, also tells the other instances in the background (failures go to `onError`).
   */
  cancelUser(userId: string, reason?: CancelReason): number;
  /** `cancelUser`, then waits for the fan-out; rejects with `STORE_UNAVAILABLE` if it failed. */
  revokeUser(userId: string, reason?: CancelReason): Promise<number>;
  /** Live leases of `userId`, or of every user without one. */
  count(userId?: string): number;
  /**
   * Re-reads the stored watermark of every user with a live lease here (at most 64 reads at a time) and
   * cancels, as a remote logout would, each lease whose credential was issued at or before it: the
   * catch-up for revocation messages this instance missed. Resolves with how many it cancelled (0
   * without a bus). When a read fails it stops starting new reads and rejects with `STORE_UNAVAILABLE`;
   * leases whose user could not be checked stay live (a store blip is not a logout).
   * The registry runs it by itself every `reconcileIntervalMs` and when the bus resumes after a gap.
   */
  reconcile(): Promise<number>;
  /** Users with at least one live lease. */
  readonly users: number;
  /** Resolves once the bus subscription is live (at once without a bus); rejects if it failed. */
  readonly ready: Promise<void>;
  /** Stops listening to the bus and stops the reconcile timer. Leases stay as they are. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_LEASES_PER_USER = 32;
const DEFAULT_MAX_WATERMARKS = 100_000;
// Bounds how long a missed logout can leave a stream running, at one GET per user with live leases per
// interval per instance (10,000 such users: ~330 GET/s, pipelined 64 at a time).
const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;
const RECONCILE_CONCURRENCY = 64;
// setInterval's ceiling: a longer delay is silently turned into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The lease object itself. The AbortController is created only when `signal` is first read: a lease
 * whose signal is never read costs no controller, and one cancelled before its signal is read gets an
 * already-aborted signal on first read.
 */
class LiveLease implements Lease {
  readonly id: number;
  readonly userId: string;
  readonly kind: string;
  /** When the lease's credential was issued; reconcile compares it with the stored watermark. */
  readonly issuedAt: number;
  /** The user's lease set while the lease is live; `undefined` once released or cancelled. */
  holder: Set<LiveLease> | undefined;
  /** The controller once `signal` was read, or the cancel reason while it was not. */
  state: AbortController | SessionRevokedError | undefined = undefined;
  #users: Map<string, Set<LiveLease>>;

  constructor(
    id: number,
    userId: string,
    kind: string,
    issuedAt: number,
    holder: Set<LiveLease>,
    users: Map<string, Set<LiveLease>>,
  ) {
    this.id = id;
    this.userId = userId;
    this.kind = kind;
    this.issuedAt = issuedAt;
    this.holder = holder;
    this.#users = users;
  }

  // A prototype method, not a per-lease closure: a closure would cost ~10% more memory per lease and
  // an allocation per open. Like `AbortController#abort`, it is called on its lease.
  release(): void {
    const set = this.holder;
    if (set === undefined) return;
    this.holder = undefined;
    set.delete(this);
    // Empty per-user sets leave no trace; a newer set for the same user is not ours to remove.
    if (set.size === 0 && this.#users.get(this.userId) === set) this.#users.delete(this.userId);
  }

  get signal(): AbortSignal {
    const state = this.state;
    if (state instanceof AbortController) return state.signal;
    const controller = new AbortController();
    this.state = controller;
    if (state !== undefined) controller.abort(state);
    return controller.signal;
  }

  cancel(reason: SessionRevokedError): void {
    this.holder = undefined;
    const state = this.state;
    // Always abort with a typed reason: without one, abort() builds a DOMException, which is slow.
    if (state === undefined) this.state = reason;
    else if (state instanceof AbortController) state.abort(reason);
  }
}

function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0)
    throw new TypeError('userId must be a non-empty string');
}

function assertCredential(credential: unknown): asserts credential is LeaseCredential {
  if (typeof credential !== 'object' || credential === null)
    throw new TypeError('credential must be an object');
  const { kind, issuedAt } = credential as { kind?: unknown; issuedAt?: unknown };
  if (typeof kind !== 'string') throw new TypeError('credential.kind must be a string');
  if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) {
    throw new TypeError('credential.issuedAt must be a finite number of milliseconds');
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

function asStoreError(error: unknown): LatchkeyError {
  if (LatchkeyError.is(error, 'STORE_UNAVAILABLE')) return error;
  return new StoreUnavailableError('connection', { cause: error });
}

function intervalMs(value: number | undefined): number {
  if (value === undefined) return DEFAULT_RECONCILE_INTERVAL_MS;
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`reconcileIntervalMs must be an integer from 0 to ${MAX_TIMER_MS}`);
  }
  return value;
}

function defaultOnError(error: unknown): void {
  const code = LatchkeyError.is(error) ? `${error.code} (${String(error.reason)})` : 'unexpected error';
  process.emitWarning(`@latchkey/registry: revocation bus failed: ${code}`, { code: 'LATCHKEY_REGISTRY' });
}

/**
 * Creates a {@link Registry}.
 *
 * @example
 * ```ts
 * const registry = createRegistry({ watermarkTtlMs: 15 * 60_000, maxLeasesPerUser: 8 });
 * const lease = registry.register(user, { kind: 'exec', issuedAt });
 * try { await runShell(lease.signal); } finally { lease.release(); }
 * ```
 */
export function createRegistry(options: RegistryOptions): Registry {
  const ttlMs = positiveInteger('watermarkTtlMs', options.watermarkTtlMs);
  const cap = positiveInteger('maxLeasesPerUser', options.maxLeasesPerUser ?? DEFAULT_MAX_LEASES_PER_USER);
  const maxWatermarks = positiveInteger('maxWatermarks', options.maxWatermarks ?? DEFAULT_MAX_WATERMARKS);
  const now = options.now ?? Date.now;
  const bus = options.bus;
  const onError = options.onError ?? defaultOnError;
  const reconcileEvery = intervalMs(options.reconcileIntervalMs);
  const origin = randomUUID();

  const users = new Map<string, Set<LiveLease>>();
  const watermarks: WatermarkTable = createWatermarkTable({ ttlMs, max: maxWatermarks, now });
  let nextId = 1;

  const open = (userId: string, credential: LeaseCredential): Lease => {
    // Watermark before cap: a revoked credential is told so, not told to wait.
    watermarks.check(userId, credential.issuedAt);
    let set = users.get(userId);
    if (set === undefined) {
      set = new Set();
      users.set(userId, set);
    } else if (set.size >= cap) {
      throw new TooManySessionsError();
    }
    const lease = new LiveLease(nextId++, userId, credential.kind, credential.issuedAt, set, users);
    set.add(lease);
    return lease;
  };

  // Revocation first, then aborts: an abort listener that registers again for the same user already
  // meets the new watermark.
  const cancelLocal = (userId: string, at: number, reason: CancelReason): number => {
    watermarks.record(userId, at);
    const set = users.get(userId);
    if (set === undefined) return 0;
    users.delete(userId);
    const error = new SessionRevokedError(reason);
    let cancelled = 0;
    for (const lease of set) {
      lease.cancel(error);
      cancelled++;
    }
    set.clear();
    return cancelled;
  };

  // A stored watermark this instance may have missed the message for: the same record-then-abort order
  // as cancelLocal, but only leases issued at or before it end; a lease from a later login stays.
  const cancelUpTo = (userId: string, at: number): number => {
    // Only when it is news: re-recording a known watermark on every pass would keep refreshing its LRU
    // slot and TTL, and push other watermarks toward the floor of a full table.
    const known = watermarks.get(userId);
    if (known === undefined || known < at) watermarks.record(userId, at);
    const set = users.get(userId);
    if (set === undefined) return 0;
    const victims: LiveLease[] = [];
    for (const lease of set) if (issuedAtOrBefore(lease.issuedAt, at)) victims.push(lease);
    if (victims.length === 0) return 0;
    // Out of the set before any abort: listeners may release or register leases of this user.
    for (const lease of victims) set.delete(lease);
    if (set.size === 0 && users.get(userId) === set) users.delete(userId);
    const error = new SessionRevokedError('logout');
    for (const lease of victims) lease.cancel(error);
    return victims.length;
  };

  const reconcile = async (): Promise<number> => {
    if (bus === undefined) return 0;
    const pending = [...users.keys()];
    let next = 0;
    let cancelled = 0;
    let failure: LatchkeyError | undefined;
    // A fixed pool of readers, never one read per user at once. After a failure no new read starts: with
    // the store down every read would wait for its timeout; the next trigger tries them all again.
    const reader = async (): Promise<void> => {
      for (let userId = pending[next++]; userId !== undefined; userId = pending[next++]) {
        if (failure !== undefined) return;
        if (!users.has(userId)) continue;
        let stored: number | undefined;
        try {
          stored = await bus.watermark(userId);
        } catch (error) {
          failure ??= asStoreError(error);
          return;
        }
        if (stored !== undefined) cancelled += cancelUpTo(userId, stored);
      }
    };
    const readers = Math.min(RECONCILE_CONCURRENCY, pending.length);
    await Promise.all(Array.from({ length: readers }, reader));
    if (failure !== undefined) throw failure;
    return cancelled;
  };

  // Background passes never overlap: a trigger during a pass asks for one more pass after it, because the
  // running pass may have read the store before the watermark it is meant to catch was written.
  let running = false;
  let again = false;
  const reconcileInBackground = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    reconcile()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          reconcileInBackground();
        }
      });
  };

  let subscription: RevocationSubscription | undefined;
  let closed = false;
  const ready: Promise<void> =
    bus === undefined
      ? Promise.resolve()
      : bus
          .subscribe((revocation: Revocation) => {
            if (revocation.origin === origin) return;
            cancelLocal(revocation.userId, revocation.at, 'logout');
          }, reconcileInBackground)
          .then((live) => {
            subscription = live;
            if (closed) return live.unsubscribe();
            return undefined;
          });
  // The rejection is kept for registerAsync / ready; report it once so it is never silent.
  ready.catch(onError);

  let timer: ReturnType<typeof setInterval> | undefined;
  if (bus !== undefined && reconcileEvery > 0) {
    timer = setInterval(() => {
      if (users.size > 0) reconcileInBackground();
    }, reconcileEvery);
    // A safety net must not keep the process alive on its own.
    timer.unref();
  }

  const fanOut = (userId: string, at: number): Promise<void> => {
    if (bus === undefined) return Promise.resolve();
    return bus.publish({ userId, at, origin }).catch((error: unknown) => {
      throw asStoreError(error);
    });
  };

  return {
    register(userId, credential) {
      if (bus !== undefined) throw new TypeError('a registry with a bus opens leases with registerAsync');
      assertUserId(userId);
      assertCredential(credential);
      return open(userId, credential);
    },
    async registerAsync(userId, credential) {
      assertUserId(userId);
      assertCredential(credential);
      // Local answer first: a known revocation is refused without a round trip.
      watermarks.check(userId, credential.issuedAt);
      if (bus !== undefined) {
        // Subscribed before reading the store: a logout after the read reaches us as a message.
        try {
          await ready;
        } catch (error) {
          throw asStoreError(error);
        }
        let stored: number | undefined;
        try {
          stored = await bus.watermark(userId);
        } catch (error) {
          throw asStoreError(error);
        }
        if (stored !== undefined) watermarks.record(userId, stored);
      }
      return open(userId, credential);
    },
    cancelUser(userId, reason = 'logout') {
      assertUserId(userId);
      const at = now();
      const cancelled = cancelLocal(userId, at, reason);
      if (bus !== undefined) fanOut(userId, at).catch(onError);
      return cancelled;
    },
    async revokeUser(userId, reason = 'logout') {
      assertUserId(userId);
      const at = now();
      const cancelled = cancelLocal(userId, at, reason);
      await fanOut(userId, at);
      return cancelled;
    },
    count(userId) {
      if (userId === undefined) {
        let sum = 0;
        for (const set of users.values()) sum += set.size;
        return sum;
      }
      return users.get(userId)?.size ?? 0;
    },
    reconcile,
    get users() {
      return users.size;
    },
    ready,
    async close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      const live = subscription;
      subscription = undefined;
      if (live !== undefined) await live.unsubscribe();
    },
  };
}
