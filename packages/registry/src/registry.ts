import { randomUUID } from 'node:crypto';
import {
  CapacityExhaustedError,
  createDeadlines,
  LatchkeyError,
  SessionRevokedError,
  StoreUnavailableError,
  toStoreError,
  UnauthenticatedError,
} from '@latchkey/errors';
import type { Revocation, RevocationBus, RevocationListener, RevocationSubscription } from './bus.js';
import { type Lease, LeaseTable } from './lease.js';
import { createBackgroundReconcile, reconcileOnce } from './reconcile.js';
import { createRevocationView, type RevocationDecision } from './revocation-view.js';

/** Why a user's leases were ended by `revoke`; carried by the `SessionRevokedError` each signal aborts with. */
export type CancelReason = SessionRevokedError['reason'];

/** What `register` needs about the credential a lease is opened with. */
export interface RegisterOptions {
  /**
   * When the credential was issued, in milliseconds since the epoch (an access token's `issuedAtMs`). A
   * credential issued at or before its user's last logout is refused.
   */
  readonly issuedAtMs: number;
  /** What the lease is for (`'events'`, `'exec'`, …), kept on the lease for logs. Default `'lease'`. */
  readonly kind?: string;
}

/** Options for {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * The longest lifetime of any credential checked here, in milliseconds (e.g. the access-token TTL). A
   * logout is remembered for this long plus `clockToleranceMs`, so a revoked token never revives.
   */
  readonly watermarkTtlMs: number;
  /** The verifiers' clock tolerance, in milliseconds, added to `watermarkTtlMs`. Default 5,000. */
  readonly clockToleranceMs?: number;
  /** Live leases one user may hold at once. Default 32. */
  readonly maxLeasesPerUser?: number;
  /** Users with live leases at once; one more is refused with `CAPACITY_EXHAUSTED`. Default 100,000. */
  readonly maxUsers?: number;
  /**
   * Watermarks held locally (and, with a bus, as many users remembered as checked). Default 100,000.
   * Without a bus, a full table fails closed with a global floor; with one it is a cache (see README).
   */
  readonly maxWatermarks?: number;
  /** Cross-instance fan-out and the shared store of watermarks. */
  readonly bus?: RevocationBus;
  /**
   * With a bus: the local view counts as stale when the subscription is down or has not shown a sign of
   * life (a heartbeat) for this long; checks then read the store. Default 5,000 ms.
   */
  readonly staleAfterMs?: number;
  /** With a bus: a store call that takes longer fails with `STORE_UNAVAILABLE` (`timeout`). Default 1,000 ms. */
  readonly storeTimeoutMs?: number;
  /**
   * With a bus: how often every user with a live lease here is checked against the store (see
   * {@link Registry.reconcile}); a message can be lost without the subscription visibly dropping.
   * Default 30,000; `0` disables.
   */
  readonly reconcileIntervalMs?: number;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Failures that have no caller to reject: a subscription that could not start (it is retried every
   * second) or a background reconcile. Default: a process warning (never silent).
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * A per-user registry of cancellable leases, and the revocation check of every request.
 *
 * @example
 * ```ts
 * const registry = createRegistry({ watermarkTtlMs: 3_600_000 });
 * await registry.assertNotRevoked(claims.userId, claims.issuedAtMs); // every request
 * const lease = await registry.register(claims.userId, { issuedAtMs: claims.issuedAtMs, kind: 'events' });
 * await registry.revoke(claims.userId); // logout: 1; lease.signal.reason is SessionRevokedError('logout')
 * ```
 */
export interface Registry {
  /**
   * Opens a lease after the revocation check. Rejects with `UNAUTHENTICATED` (`revoked`) for a
   * credential issued at or before the user's last logout, `TOO_MANY_SESSIONS` beyond
   * `maxLeasesPerUser`, `CAPACITY_EXHAUSTED` (`registry-full`) beyond `maxUsers` (or under the floor of
   * a full watermark table without a bus), `STORE_UNAVAILABLE` when the view is stale and the store
   * cannot answer, or after `close()`.
   */
  register(userId: string, options: RegisterOptions): Promise<Lease>;
  /**
   * Logout: records the watermark (now), aborts every live lease of the user here, then stores and fans
   * the watermark out and waits for that. Resolves with how many local leases ended; rejects with
   * `STORE_UNAVAILABLE` when the fan-out failed (the local part has happened).
   */
  revoke(userId: string, reason?: CancelReason): Promise<number>;
  /**
   * The revocation check of every request: resolves when a credential of `userId` issued at
   * `issuedAtMs` is not revoked; rejects with `UnauthenticatedError('revoked')` when it is, and with
   * `STORE_UNAVAILABLE` within `storeTimeoutMs` when the local view may be stale and the store cannot
   * answer. Never resolves while unsure.
   */
  assertNotRevoked(userId: string, issuedAtMs: number): Promise<void>;
  /**
   * The same check from the live local view alone, synchronously; `undefined` when only the store can
   * tell (the view may be stale, or the user is not known yet): then call `assertNotRevoked`.
   */
  decideRevocation(userId: string, issuedAtMs: number): RevocationDecision | undefined;
  /** Live leases of `userId`, or of every user without one. O(1). */
  count(userId?: string): number;
  /** Users with at least one live lease. */
  readonly users: number;
  /**
   * Re-reads the stored watermark of every user with a live lease here and ends each lease issued at
   * or before it (the catch-up for lost messages). Resolves with how many; 0 without a bus. Runs by
   * itself every `reconcileIntervalMs` and when the subscription resumes after a gap.
   */
  reconcile(): Promise<number>;
  /**
   * Shutdown: aborts every live lease (default reason `StoreUnavailableError('closed')`, a 503 that
   * tells clients to come back, not that they were logged out) and returns how many.
   */
  cancelAll(reason?: CancelReason | LatchkeyError): number;
  /** Resolves once the bus subscription is first live (at once without a bus); rejects if it failed. */
  readonly ready: Promise<void>;
  /**
   * Shutdown: `cancelAll()`, then stops listening to the bus and every timer. Later registrations
   * reject with `STORE_UNAVAILABLE` (`closed`). Idempotent.
   */
  close(): Promise<void>;
}

const DEFAULT_CLOCK_TOLERANCE_MS = 5_000;
const DEFAULT_MAX_LEASES_PER_USER = 32;
const DEFAULT_MAX_USERS = 100_000;
const DEFAULT_MAX_WATERMARKS = 100_000;
const DEFAULT_STALE_AFTER_MS = 5_000;
const DEFAULT_STORE_TIMEOUT_MS = 1_000;
// Bounds how long a missed logout can leave a stream running, at one GET per user with live leases per
// interval per instance (10,000 such users: ~330 GET/s, 64 in flight).
const DEFAULT_RECONCILE_INTERVAL_MS = 30_000;
const SUBSCRIBE_RETRY_MS = 1_000;
// setTimeout's ceiling: a longer delay is silently turned into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;
const MAX_USER_ID_LENGTH = 1_024;
const DEFAULT_KIND = 'lease';

function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new TypeError(`userId must be a string of 1 to ${MAX_USER_ID_LENGTH} characters`);
  }
}

function assertIssuedAtMs(issuedAtMs: unknown): asserts issuedAtMs is number {
  if (typeof issuedAtMs !== 'number' || !Number.isFinite(issuedAtMs)) {
    throw new TypeError('issuedAtMs must be a finite number of milliseconds');
  }
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new TypeError(`${name} must be an integer from ${min} to ${MAX_TIMER_MS}`);
  }
  return value;
}

function refusal(decision: RevocationDecision): LatchkeyError | undefined {
  if (decision.ok) return undefined;
  return decision.code === 'UNAUTHENTICATED'
    ? new UnauthenticatedError('revoked')
    : new CapacityExhaustedError('registry-full');
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
 * const registry = createRegistry({ watermarkTtlMs: 3_600_000, maxLeasesPerUser: 8, bus });
 * const lease = await registry.register(userId, { issuedAtMs, kind: 'exec' });
 * try { await runShell(lease.signal); } finally { lease.release(); }
 * ```
 */
export function createRegistry(options: RegistryOptions): Registry {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const ttlMs = integerOption('watermarkTtlMs', options.watermarkTtlMs, Number.NaN, 1);
  if (Number.isNaN(ttlMs)) throw new TypeError('watermarkTtlMs is required');
  const toleranceMs = integerOption(
    'clockToleranceMs',
    options.clockToleranceMs,
    DEFAULT_CLOCK_TOLERANCE_MS,
    0,
  );
  const maxLeasesPerUser = integerOption(
    'maxLeasesPerUser',
    options.maxLeasesPerUser,
    DEFAULT_MAX_LEASES_PER_USER,
    1,
  );
  const maxUsers = integerOption('maxUsers', options.maxUsers, DEFAULT_MAX_USERS, 1);
  const maxWatermarks = integerOption('maxWatermarks', options.maxWatermarks, DEFAULT_MAX_WATERMARKS, 1);
  const staleAfterMs = integerOption('staleAfterMs', options.staleAfterMs, DEFAULT_STALE_AFTER_MS, 1);
  const storeTimeoutMs = integerOption('storeTimeoutMs', options.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 1);
  const reconcileEvery = integerOption(
    'reconcileIntervalMs',
    options.reconcileIntervalMs,
    DEFAULT_RECONCILE_INTERVAL_MS,
    0,
  );
  const now = options.now ?? Date.now;
  const bus = options.bus;
  const onError = options.onError ?? defaultOnError;
  const origin = randomUUID();

  const leases = new LeaseTable({ maxLeasesPerUser, maxUsers });
  const view = createRevocationView({
    keepMs: ttlMs + toleranceMs,
    maxEntries: maxWatermarks,
    now,
    shared: bus !== undefined,
  });
  const deadlines = createDeadlines(storeTimeoutMs);
  let closed = false;

  // One store read per user in flight, however many requests wait on it.
  const inFlight = new Map<string, Promise<number | undefined>>();
  const readStored = (sharedBus: RevocationBus, userId: string): Promise<number | undefined> => {
    let flight = inFlight.get(userId);
    if (flight !== undefined) return flight;
    const epoch = view.epoch;
    flight = deadlines
      .run(() => sharedBus.watermark(userId))
      .then((stored) => {
        view.learn(userId, stored, epoch);
        return stored;
      });
    const started = flight;
    const settle = (): void => {
      if (inFlight.get(userId) === started) inFlight.delete(userId);
    };
    started.then(settle, settle);
    inFlight.set(userId, started);
    return started;
  };

  const decideWithStore = async (userId: string, issuedAtMs: number): Promise<RevocationDecision> => {
    // Without a bus the view always decides; reaching here means a bus is configured.
    const stored = await readStored(bus as RevocationBus, userId);
    // After the await: a logout may have arrived meanwhile, and decideWith consults the table too.
    return view.decideWith(userId, issuedAtMs, stored);
  };

  const check = async (userId: string, issuedAtMs: number): Promise<void> => {
    const decision = view.decide(userId, issuedAtMs) ?? (await decideWithStore(userId, issuedAtMs));
    const error = refusal(decision);
    if (error !== undefined) throw error;
  };

  const onRevocation = (revocation: Revocation): void => {
    if (revocation.origin === origin) return;
    // Record first, then abort: an abort listener that registers again already meets the watermark.
    view.record(revocation.userId, revocation.revokedAtMs);
    if (leases.has(revocation.userId))
      leases.cancelUser(revocation.userId, new SessionRevokedError('logout'));
  };

  const reconcile = async (): Promise<number> => {
    if (bus === undefined) return 0;
    const revokedByStore = new SessionRevokedError('logout');
    return reconcileOnce({
      userIds: () => leases.userIds(),
      has: (userId) => leases.has(userId),
      read: (userId) => deadlines.run(() => bus.watermark(userId)),
      apply: (userId, watermarkMs) => {
        const known = view.watermark(userId);
        // Only when it is news: re-recording a known watermark would keep pushing it to the back.
        if (known === undefined || known < watermarkMs) view.record(userId, watermarkMs);
        return leases.cancelIssuedUpTo(userId, watermarkMs, revokedByStore);
      },
    });
  };
  const background = createBackgroundReconcile(reconcile, onError);

  let staleTimer: ReturnType<typeof setTimeout> | undefined;
  const listener: RevocationListener = {
    onRevocation,
    onLive() {
      if (closed) return;
      if (!view.live) {
        view.resume();
        // Messages of the gap (or from before the start) are lost: catch the live leases up.
        if (leases.users > 0) background.trigger();
      }
      if (staleTimer === undefined) {
        staleTimer = setTimeout(() => view.lose(), staleAfterMs);
        staleTimer.unref();
      } else {
        staleTimer.refresh();
      }
    },
    onLost() {
      view.lose();
    },
  };

  let subscription: RevocationSubscription | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const subscribe = (sharedBus: RevocationBus): Promise<void> =>
    sharedBus.subscribe(listener).then(
      async (live) => {
        if (closed) {
          await live.unsubscribe();
          return;
        }
        subscription = live;
      },
      (error: unknown) => {
        const failure = toStoreError(error);
        if (!closed) {
          retryTimer = setTimeout(() => {
            subscribe(sharedBus).catch(onError);
          }, SUBSCRIBE_RETRY_MS);
          retryTimer.unref();
        }
        throw failure;
      },
    );
  const ready: Promise<void> = bus === undefined ? Promise.resolve() : subscribe(bus);
  // The rejection is kept for `ready`; reported once so it is never silent.
  ready.catch(onError);

  let reconcileTimer: ReturnType<typeof setInterval> | undefined;
  if (bus !== undefined && reconcileEvery > 0) {
    reconcileTimer = setInterval(() => {
      if (leases.users > 0) background.trigger();
    }, reconcileEvery);
    // A safety net must not keep the process alive on its own.
    reconcileTimer.unref();
  }

  const cancelAll = (reason?: CancelReason | LatchkeyError): number => {
    const error =
      reason === undefined
        ? new StoreUnavailableError('closed')
        : typeof reason === 'string'
          ? new SessionRevokedError(reason)
          : reason;
    if (!LatchkeyError.is(error)) throw new TypeError('reason must be a cancel reason or a LatchkeyError');
    return leases.cancelAll(error);
  };

  return {
    async register(userId, registerOptions) {
      assertUserId(userId);
      if (typeof registerOptions !== 'object' || registerOptions === null) {
        throw new TypeError('register options must be an object');
      }
      const { issuedAtMs, kind = DEFAULT_KIND } = registerOptions;
      assertIssuedAtMs(issuedAtMs);
      if (typeof kind !== 'string') throw new TypeError('kind must be a string');
      if (closed) throw new StoreUnavailableError('closed');
      await check(userId, issuedAtMs);
      if (closed) throw new StoreUnavailableError('closed');
      return leases.open(userId, issuedAtMs, kind);
    },
    async revoke(userId, reason = 'logout') {
      assertUserId(userId);
      const revokedAtMs = now();
      view.record(userId, revokedAtMs);
      // The error only when there is a lease to abort: building one (its stack) costs more than the rest.
      const ended = leases.has(userId) ? leases.cancelUser(userId, new SessionRevokedError(reason)) : 0;
      if (bus !== undefined) await deadlines.run(() => bus.publish({ userId, revokedAtMs, origin }));
      return ended;
    },
    async assertNotRevoked(userId, issuedAtMs) {
      assertUserId(userId);
      assertIssuedAtMs(issuedAtMs);
      await check(userId, issuedAtMs);
    },
    decideRevocation(userId, issuedAtMs) {
      assertUserId(userId);
      assertIssuedAtMs(issuedAtMs);
      return view.decide(userId, issuedAtMs);
    },
    count(userId) {
      return leases.count(userId);
    },
    get users() {
      return leases.users;
    },
    reconcile,
    cancelAll,
    ready,
    async close() {
      if (closed) return;
      closed = true;
      cancelAll();
      background.stop();
      clearInterval(reconcileTimer);
      clearTimeout(staleTimer);
      clearTimeout(retryTimer);
      // No more messages: from now on only the store can answer a revocation check.
      view.lose();
      const live = subscription;
      subscription = undefined;
      // A store that is down must not make shutdown fail: the failure goes to onError.
      if (live !== undefined) await live.unsubscribe().catch(onError);
    },
  };
}
