import { StoreUnavailableError } from '@latchkey/errors';
import type { Revocation, RevocationBus, RevocationListener, RevocationSubscription } from '../bus.js';

/** Options for {@link createMemoryRevocationBus}. */
export interface MemoryRevocationBusOptions {
  /** How long a stored watermark lives (TTL + tolerance, ms). Default: forever. */
  readonly keepMs?: number;
  /** Heartbeat interval: how often every connected subscription hears `onLive`. Default 1,000 ms. */
  readonly heartbeatMs?: number;
  /** Clock for the stored watermarks' expiry. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A {@link RevocationBus} in memory, shared by several registries in one process as if each were an
 * instance on its own connection to one store. Deliveries happen before `publish` resolves. The fault
 * controls act on every subscription and on the store at once.
 *
 * @example
 * ```ts
 * const bus = createMemoryRevocationBus();
 * const a = createRegistry({ watermarkTtlMs: 60_000, bus });
 * const b = createRegistry({ watermarkTtlMs: 60_000, bus });
 * await a.revoke('alice'); // b refuses alice's older tokens now
 * ```
 */
export interface MemoryRevocationBus extends RevocationBus {
  /** Every subscription loses its connection: `onLost`, then no delivery and no heartbeat. */
  interrupt(): void;
  /** Every subscription is back: `onLive` at once. */
  restore(): void;
  /** The store stops answering (a paused server): calls hang until `unpause`. */
  pause(): void;
  /** Answers every call held by `pause`, in order. */
  unpause(): void;
  /** While `true`, every store call rejects with `STORE_UNAVAILABLE` (`connection`). */
  failing: boolean;
  /** While `true`, publishes are stored but never delivered (a lost message). */
  dropping: boolean;
  /** Store reads so far (`watermark` calls). */
  readonly reads: number;
}

interface Stored {
  readonly atMs: number;
  readonly expiresAtMs: number;
}

/**
 * Creates a {@link MemoryRevocationBus}.
 *
 * @example
 * ```ts
 * const bus = createMemoryRevocationBus({ heartbeatMs: 100 });
 * bus.interrupt(); // registries on it go stale and read the store
 * ```
 */
export function createMemoryRevocationBus(options: MemoryRevocationBusOptions = {}): MemoryRevocationBus {
  const keepMs = options.keepMs ?? Number.POSITIVE_INFINITY;
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<RevocationListener>();
  const stored = new Map<string, Stored>();
  const held: Array<() => void> = [];
  let connected = true;
  let paused = false;
  let reads = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const live = (userId: string): number | undefined => {
    const entry = stored.get(userId);
    return entry !== undefined && entry.expiresAtMs > now() ? entry.atMs : undefined;
  };
  const storeCall = <T>(call: () => T): Promise<T> => {
    if (bus.failing) return Promise.reject(new StoreUnavailableError('connection'));
    if (!paused) return Promise.resolve(call());
    return new Promise<T>((resolve) => held.push(() => resolve(call())));
  };
  const beat = (): void => {
    if (!connected || paused) return;
    for (const listener of listeners) listener.onLive();
  };

  const bus: MemoryRevocationBus = {
    failing: false,
    dropping: false,
    get reads() {
      return reads;
    },
    async publish(revocation: Revocation) {
      await storeCall(() => {
        const previous = live(revocation.userId);
        stored.set(revocation.userId, {
          atMs: Math.max(previous ?? revocation.revokedAtMs, revocation.revokedAtMs),
          expiresAtMs: now() + keepMs,
        });
      });
      if (!connected || bus.dropping) return;
      for (const listener of [...listeners]) listener.onRevocation(revocation);
    },
    watermark(userId) {
      return storeCall(() => {
        reads++;
        return live(userId);
      });
    },
    async subscribe(listener): Promise<RevocationSubscription> {
      if (bus.failing) throw new StoreUnavailableError('connection');
      listeners.add(listener);
      if (timer === undefined) {
        timer = setInterval(beat, heartbeatMs);
        timer.unref();
      }
      if (connected && !paused) listener.onLive();
      return {
        async unsubscribe() {
          listeners.delete(listener);
          if (listeners.size === 0 && timer !== undefined) {
            clearInterval(timer);
            timer = undefined;
          }
        },
      };
    },
    interrupt() {
      if (!connected) return;
      connected = false;
      for (const listener of listeners) listener.onLost();
    },
    restore() {
      connected = true;
      beat();
    },
    pause() {
      paused = true;
    },
    unpause() {
      paused = false;
      for (const release of held.splice(0)) release();
      beat();
    },
  };
  return bus;
}
