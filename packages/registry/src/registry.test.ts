import { SessionRevokedError } from '@latchkey/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Revocation, RevocationBus } from './bus.js';
import { createRegistry, type Registry } from './registry.js';

const TTL = 60_000;
const T0 = 1_700_000_000_000;

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function registryAt(
  t: ReturnType<typeof clock>,
  extra: { maxLeasesPerUser?: number; maxWatermarks?: number } = {},
) {
  return createRegistry({ watermarkTtlMs: TTL, now: t.now, ...extra });
}

/**
 * An in-process bus: what one instance publishes, every subscriber receives; the store is a Map.
 * `lose` drops deliveries (a subscriber that was down), `resume()` plays the bus telling its
 * subscribers that the subscription is live again, `reads` counts store reads.
 */
function memoryBus(): RevocationBus & {
  stored: Map<string, number>;
  fail: boolean;
  lose: boolean;
  reads: number;
  resume(): void;
} {
  const listeners = new Set<(revocation: Revocation) => void>();
  const resumers = new Set<() => void>();
  const stored = new Map<string, number>();
  const bus = {
    stored,
    fail: false,
    lose: false,
    reads: 0,
    async publish(revocation: Revocation) {
      if (bus.fail) throw new Error('ECONNREFUSED');
      stored.set(revocation.userId, Math.max(stored.get(revocation.userId) ?? 0, revocation.at));
      if (!bus.lose) for (const listener of listeners) listener(revocation);
    },
    async watermark(userId: string) {
      bus.reads++;
      if (bus.fail) throw new Error('ECONNREFUSED');
      return stored.get(userId);
    },
    async subscribe(listener: (revocation: Revocation) => void, onResumed?: () => void) {
      listeners.add(listener);
      if (onResumed !== undefined) resumers.add(onResumed);
      return {
        async unsubscribe() {
          listeners.delete(listener);
          if (onResumed !== undefined) resumers.delete(onResumed);
        },
      };
    },
    resume() {
      for (const resumer of resumers) resumer();
    },
  };
  return bus;
}

describe('createRegistry', () => {
  it('rejects bad options with a TypeError', () => {
    expect(() => createRegistry({ watermarkTtlMs: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: TTL, maxLeasesPerUser: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: TTL, maxWatermarks: 1.5 })).toThrow(TypeError);
    for (const reconcileIntervalMs of [-1, 0.5, Number.NaN, 2 ** 31]) {
      expect(() => createRegistry({ watermarkTtlMs: TTL, reconcileIntervalMs })).toThrow(TypeError);
    }
  });
});

describe('register', () => {
  it('hands out leases with distinct ids and live signals', () => {
    const registry = registryAt(clock());
    const a = registry.register('alice', { kind: 'events', issuedAt: T0 });
    const b = registry.register('alice', { kind: 'exec', issuedAt: T0 });
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ userId: 'alice', kind: 'events' });
    expect(a.signal.aborted).toBe(false);
    expect(registry.count('alice')).toBe(2);
  });

  it('rejects a bad user id or credential with a TypeError', () => {
    const registry = registryAt(clock());
    expect(() => registry.register('', { kind: 'events', issuedAt: T0 })).toThrow(TypeError);
    expect(() => registry.register('alice', { kind: 'events', issuedAt: Number.NaN })).toThrow(TypeError);
    expect(() => registry.register('alice', null as never)).toThrow(TypeError);
  });

  it('refuses the lease over the per-user cap with TOO_MANY_SESSIONS', () => {
    const registry = registryAt(clock(), { maxLeasesPerUser: 2 });
    registry.register('alice', { kind: 'events', issuedAt: T0 });
    const second = registry.register('alice', { kind: 'events', issuedAt: T0 });
    expect(() => registry.register('alice', { kind: 'events', issuedAt: T0 })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_SESSIONS', status: 429, reason: 'per-user-cap' }),
    );
    registry.register('bob', { kind: 'events', issuedAt: T0 });
    second.release();
    expect(() => registry.register('alice', { kind: 'events', issuedAt: T0 })).not.toThrow();
  });

  it('refuses a credential issued at or before the last logout with SESSION_REVOKED', () => {
    const t = clock();
    const registry = registryAt(t);
    t.advance(1_000);
    registry.cancelUser('alice');
    for (const issuedAt of [T0, T0 + 1_000]) {
      expect(() => registry.register('alice', { kind: 'events', issuedAt })).toThrow(
        expect.objectContaining({ code: 'SESSION_REVOKED', status: 401, reason: 'issued-before-revocation' }),
      );
    }
    expect(registry.register('alice', { kind: 'events', issuedAt: T0 + 1_001 }).signal.aborted).toBe(false);
    expect(registry.register('bob', { kind: 'events', issuedAt: T0 }).signal.aborted).toBe(false);
  });

  it('accepts an old credential again once the watermark TTL has passed', () => {
    const t = clock();
    const registry = registryAt(t);
    registry.cancelUser('alice');
    t.advance(TTL + 1);
    expect(() => registry.register('alice', { kind: 'events', issuedAt: T0 })).not.toThrow();
  });

  it('refuses old credentials with CAPACITY_EXHAUSTED when the watermark table overflowed', () => {
    const t = clock();
    const registry = registryAt(t, { maxWatermarks: 2 });
    registry.cancelUser('u1');
    t.advance(10);
    registry.cancelUser('u2');
    t.advance(10);
    registry.cancelUser('u3'); // evicts u1's watermark into the floor (T0)
    expect(() => registry.register('u1', { kind: 'events', issuedAt: T0 })).toThrow(
      expect.objectContaining({ code: 'CAPACITY_EXHAUSTED', status: 503, reason: 'registry-full' }),
    );
    expect(() => registry.register('someone', { kind: 'events', issuedAt: T0 - 5 })).toThrow(
      expect.objectContaining({ code: 'CAPACITY_EXHAUSTED' }),
    );
    expect(() => registry.register('u2', { kind: 'events', issuedAt: T0 + 10 })).toThrow(
      expect.objectContaining({ code: 'SESSION_REVOKED' }),
    );
    expect(() => registry.register('someone', { kind: 'events', issuedAt: T0 + 1 })).not.toThrow();
    t.advance(TTL + 1);
    expect(() => registry.register('u1', { kind: 'events', issuedAt: T0 })).not.toThrow();
  });

  it('throws a TypeError when a bus is configured (registerAsync checks the store)', () => {
    const registry = createRegistry({ watermarkTtlMs: TTL, bus: memoryBus() });
    expect(() => registry.register('alice', { kind: 'events', issuedAt: T0 })).toThrow(TypeError);
  });
});

describe('Lease', () => {
  it('release removes the lease without aborting, and is idempotent', () => {
    const registry = registryAt(clock());
    const lease = registry.register('alice', { kind: 'events', issuedAt: T0 });
    lease.release();
    lease.release();
    expect(lease.signal.aborted).toBe(false);
    expect(registry.count()).toBe(0);
    expect(registry.users).toBe(0);
    expect(registry.cancelUser('alice')).toBe(0);
  });

  it('a signal first read after cancel is already aborted with the typed reason', () => {
    const registry = registryAt(clock());
    const lease = registry.register('alice', { kind: 'events', issuedAt: T0 });
    registry.cancelUser('alice');
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', status: 401, reason: 'logout' });
  });

  it('release after cancel is a no-op and does not touch a newer lease set of the user', () => {
    const t = clock();
    const registry = registryAt(t);
    const old = registry.register('alice', { kind: 'events', issuedAt: T0 });
    registry.cancelUser('alice');
    const fresh = registry.register('alice', { kind: 'events', issuedAt: T0 + 1 });
    old.release();
    expect(registry.count('alice')).toBe(1);
    expect(fresh.signal.aborted).toBe(false);
  });
});

describe('cancelUser', () => {
  it('aborts every live lease of the user with SessionRevokedError and returns how many', () => {
    const t = clock();
    const registry = registryAt(t);
    const leases = [0, 1, 2].map(() => registry.register('alice', { kind: 'events', issuedAt: T0 }));
    const seen = leases.map((lease) => {
      const reasons: unknown[] = [];
      lease.signal.addEventListener('abort', () => reasons.push(lease.signal.reason));
      return reasons;
    });
    const bob = registry.register('bob', { kind: 'events', issuedAt: T0 });
    leases[1]?.release();
    expect(registry.cancelUser('alice')).toBe(2);
    expect(registry.cancelUser('alice')).toBe(0);
    expect(seen.map((reasons) => reasons.length)).toEqual([1, 0, 1]);
    expect(seen[0]?.[0]).toBeInstanceOf(SessionRevokedError);
    expect(seen[0]?.[0]).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
    expect(bob.signal.aborted).toBe(false);
    expect(registry.users).toBe(1);
  });

  it('carries the given reason', () => {
    const registry = registryAt(clock());
    const lease = registry.register('alice', { kind: 'events', issuedAt: T0 });
    registry.cancelUser('alice', 'token-revoked');
    expect(lease.signal.reason).toMatchObject({ reason: 'token-revoked' });
  });

  it('records the watermark before aborting, so an abort listener cannot re-register with the old credential', () => {
    const registry = registryAt(clock());
    const lease = registry.register('alice', { kind: 'events', issuedAt: T0 });
    let retried: unknown;
    lease.signal.addEventListener('abort', () => {
      try {
        registry.register('alice', { kind: 'events', issuedAt: T0 });
      } catch (error) {
        retried = error;
      }
    });
    registry.cancelUser('alice');
    expect(retried).toMatchObject({ code: 'SESSION_REVOKED', reason: 'issued-before-revocation' });
    expect(registry.count('alice')).toBe(0);
  });
});

describe('registry with a bus', () => {
  async function pair(
    bus = memoryBus(),
  ): Promise<{ a: Registry; b: Registry; bus: ReturnType<typeof memoryBus> }> {
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100 });
    const b = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100 });
    await Promise.all([a.ready, b.ready]);
    return { a, b, bus };
  }

  it('a logout on one instance aborts the user’s leases on the other', async () => {
    const { a, b } = await pair();
    const onB = await b.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    const bobOnB = await b.registerAsync('bob', { kind: 'events', issuedAt: T0 });
    expect(await a.revokeUser('alice')).toBe(0);
    expect(onB.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
    expect(bobOnB.signal.aborted).toBe(false);
  });

  it('refuses an old credential from the stored watermark on an instance that missed the message', async () => {
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100 });
    await a.revokeUser('alice');
    const late = createRegistry({ watermarkTtlMs: TTL, bus });
    await expect(late.registerAsync('alice', { kind: 'events', issuedAt: T0 })).rejects.toMatchObject({
      code: 'SESSION_REVOKED',
      reason: 'issued-before-revocation',
    });
    await expect(late.registerAsync('alice', { kind: 'events', issuedAt: T0 + 101 })).resolves.toMatchObject({
      userId: 'alice',
    });
  });

  it('fails closed with STORE_UNAVAILABLE when the store cannot answer', async () => {
    const { a, bus } = await pair();
    bus.fail = true;
    await expect(a.registerAsync('alice', { kind: 'events', issuedAt: T0 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
    });
    expect(a.count()).toBe(0);
  });

  it('revokeUser cancels locally and rejects with STORE_UNAVAILABLE when the fan-out fails', async () => {
    const { a, bus } = await pair();
    const lease = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    bus.fail = true;
    await expect(a.revokeUser('alice')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(lease.signal.aborted).toBe(true);
  });

  it('cancelUser reports a failed background fan-out to onError', async () => {
    const bus = memoryBus();
    const onError = vi.fn();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, onError });
    await a.ready;
    bus.fail = true;
    expect(a.cancelUser('alice')).toBe(0);
    await vi.waitFor(() =>
      expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'STORE_UNAVAILABLE' })),
    );
  });

  it('refuses registrations with STORE_UNAVAILABLE when the subscription failed', async () => {
    const bus = memoryBus();
    bus.subscribe = async () => {
      throw new Error('ECONNREFUSED');
    };
    const onError = vi.fn();
    const registry = createRegistry({ watermarkTtlMs: TTL, bus, onError });
    await expect(registry.ready).rejects.toThrow();
    await expect(registry.registerAsync('alice', { kind: 'events', issuedAt: T0 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(onError).toHaveBeenCalledOnce();
  });

  it('close stops delivery', async () => {
    const { a, b } = await pair();
    const lease = await b.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    await b.close();
    await b.close();
    await a.revokeUser('alice');
    expect(lease.signal.aborted).toBe(false);
  });
});

describe('reconcile (catching up on lost revocation messages)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** B logs `userId` out at `at` while A's deliveries are lost: the watermark is stored, A never hears. */
  async function missedLogout(bus: ReturnType<typeof memoryBus>, userId: string, at: number): Promise<void> {
    const b = createRegistry({ watermarkTtlMs: TTL, bus, now: () => at, reconcileIntervalMs: 0 });
    await b.ready;
    bus.lose = true;
    await b.revokeUser(userId);
    bus.lose = false;
    await b.close();
  }

  it('cancels exactly the leases issued at or before the stored watermark, and no other user’s', async () => {
    const bus = memoryBus();
    const t = clock();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: t.now, reconcileIntervalMs: 0 });
    await a.ready;
    const before = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 - 1 });
    const atTheMark = await a.registerAsync('alice', { kind: 'exec', issuedAt: T0 + 50 });
    const after = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 + 51 });
    const bob = await a.registerAsync('bob', { kind: 'events', issuedAt: T0 - 1 });
    void before.signal; // one signal exists before the cancel, the others are created after it
    await missedLogout(bus, 'alice', T0 + 50);
    expect(before.signal.aborted).toBe(false);

    expect(await a.reconcile()).toBe(2);
    for (const lease of [before, atTheMark]) {
      expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', status: 401, reason: 'logout' });
    }
    expect(after.signal.aborted).toBe(false);
    expect(bob.signal.aborted).toBe(false);
    expect(a.count('alice')).toBe(1);
    expect(a.count('bob')).toBe(1);
    // The watermark is recorded locally too: an old credential is refused without asking the store.
    bus.fail = true;
    await expect(a.registerAsync('alice', { kind: 'events', issuedAt: T0 + 50 })).rejects.toMatchObject({
      code: 'SESSION_REVOKED',
      reason: 'issued-before-revocation',
    });
    expect(await a.reconcile().catch(() => 'store down')).toBe('store down');
    bus.fail = false;
    expect(await a.reconcile()).toBe(0);
    expect(after.signal.aborted).toBe(false);
  });

  it('removes a user whose leases all ended, and an abort listener that registers again is kept', async () => {
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100, reconcileIntervalMs: 0 });
    await a.ready;
    const old = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    let reopened: Promise<unknown> | undefined;
    old.signal.addEventListener('abort', () => {
      reopened = a.registerAsync('alice', { kind: 'events', issuedAt: T0 + 60 });
    });
    await missedLogout(bus, 'alice', T0 + 50);
    expect(await a.reconcile()).toBe(1);
    await expect(reopened).resolves.toMatchObject({ userId: 'alice' });
    expect(a.count('alice')).toBe(1);
    expect(a.users).toBe(1);
  });

  it('runs when the bus says the subscription resumed after a gap', async () => {
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100, reconcileIntervalMs: 0 });
    await a.ready;
    const lease = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    await missedLogout(bus, 'alice', T0 + 50);
    bus.resume();
    await vi.waitFor(() => expect(lease.signal.aborted).toBe(true));
    expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
  });

  it('a failed watermark read cancels nothing, reaches onError, and the next trigger tries again', async () => {
    const bus = memoryBus();
    const onError = vi.fn();
    const a = createRegistry({
      watermarkTtlMs: TTL,
      bus,
      now: () => T0 + 100,
      onError,
      reconcileIntervalMs: 0,
    });
    await a.ready;
    const lease = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    await missedLogout(bus, 'alice', T0 + 50);
    bus.fail = true;
    await expect(a.reconcile()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    bus.resume();
    await vi.waitFor(() =>
      expect(onError).toHaveBeenCalledWith(
        expect.objectContaining({ code: 'STORE_UNAVAILABLE', status: 503 }),
      ),
    );
    expect(lease.signal.aborted).toBe(false);
    expect(a.count('alice')).toBe(1);
    bus.fail = false;
    bus.resume();
    await vi.waitFor(() => expect(lease.signal.aborted).toBe(true));
  });

  it('reads at most 64 watermarks at a time, and starts no new read after one failed', async () => {
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100, reconcileIntervalMs: 0 });
    await a.ready;
    for (let i = 0; i < 200; i++) await a.registerAsync(`user${i}`, { kind: 'events', issuedAt: T0 });
    let inFlight = 0;
    let peak = 0;
    bus.reads = 0;
    bus.watermark = async () => {
      bus.reads++;
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      if (bus.fail) throw new Error('ECONNREFUSED');
      return undefined;
    };
    expect(await a.reconcile()).toBe(0);
    expect(bus.reads).toBe(200);
    expect(peak).toBe(64);
    bus.reads = 0;
    bus.fail = true;
    await expect(a.reconcile()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(bus.reads).toBe(64);
    expect(a.count()).toBe(200);
  });

  it('runs every reconcileIntervalMs, and close() stops the timer', async () => {
    vi.useFakeTimers();
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100, reconcileIntervalMs: 1_000 });
    await a.ready;
    const lease = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    await missedLogout(bus, 'alice', T0 + 50);
    bus.reads = 0;
    await vi.advanceTimersByTimeAsync(999);
    expect(lease.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
    expect(bus.reads).toBe(1);
    // Nobody left to check: a tick reads nothing.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.reads).toBe(1);
    await a.registerAsync('bob', { kind: 'events', issuedAt: T0 + 100 });
    bus.reads = 0;
    await a.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(bus.reads).toBe(0);
  });

  it('defaults to every 30 s with a bus, and sets no timer without one or with 0', async () => {
    vi.useFakeTimers();
    const bus = memoryBus();
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100 });
    await a.ready;
    await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    bus.reads = 0;
    await vi.advanceTimersByTimeAsync(29_999);
    expect(bus.reads).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(bus.reads).toBe(1);
    await a.close();
    expect(vi.getTimerCount()).toBe(0);

    const local = createRegistry({ watermarkTtlMs: TTL, reconcileIntervalMs: 1_000 });
    local.register('alice', { kind: 'events', issuedAt: T0 });
    expect(await local.reconcile()).toBe(0);
    const off = createRegistry({ watermarkTtlMs: TTL, bus, reconcileIntervalMs: 0 });
    await off.ready;
    expect(vi.getTimerCount()).toBe(0);
    await off.close();
  });

  it('after close(), a resumed subscription triggers nothing', async () => {
    const bus = memoryBus();
    // Keep the callback past unsubscribe: a real bus may still fire one already under way.
    let onResumed: (() => void) | undefined;
    const subscribe = bus.subscribe;
    bus.subscribe = (listener, resumed) => {
      onResumed = resumed;
      return subscribe(listener, resumed);
    };
    const a = createRegistry({ watermarkTtlMs: TTL, bus, now: () => T0 + 100, reconcileIntervalMs: 0 });
    await a.ready;
    const lease = await a.registerAsync('alice', { kind: 'events', issuedAt: T0 });
    await missedLogout(bus, 'alice', T0 + 50);
    await a.close();
    bus.reads = 0;
    expect(onResumed).toBeTypeOf('function');
    onResumed?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(bus.reads).toBe(0);
    expect(lease.signal.aborted).toBe(false);
  });
});
