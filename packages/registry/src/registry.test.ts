import { SessionRevokedError } from '@latchkey/errors';
import { describe, expect, it, vi } from 'vitest';
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

/** An in-process bus: what one instance publishes, every subscriber receives; the store is a Map. */
function memoryBus(): RevocationBus & { stored: Map<string, number>; fail: boolean } {
  const listeners = new Set<(revocation: Revocation) => void>();
  const stored = new Map<string, number>();
  const bus = {
    stored,
    fail: false,
    async publish(revocation: Revocation) {
      if (bus.fail) throw new Error('ECONNREFUSED');
      stored.set(revocation.userId, Math.max(stored.get(revocation.userId) ?? 0, revocation.at));
      for (const listener of listeners) listener(revocation);
    },
    async watermark(userId: string) {
      if (bus.fail) throw new Error('ECONNREFUSED');
      return stored.get(userId);
    },
    async subscribe(listener: (revocation: Revocation) => void) {
      listeners.add(listener);
      return {
        async unsubscribe() {
          listeners.delete(listener);
        },
      };
    },
  };
  return bus;
}

describe('createRegistry', () => {
  it('rejects bad options with a TypeError', () => {
    expect(() => createRegistry({ watermarkTtlMs: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: TTL, maxLeasesPerUser: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: TTL, maxWatermarks: 1.5 })).toThrow(TypeError);
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
