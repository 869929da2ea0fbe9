import { StoreUnavailableError } from '@latchkey/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRegistry, type Registry, type RegistryOptions } from './registry.js';
import { createMemoryRevocationBus, type MemoryRevocationBus } from './testing/memory-bus.js';

const TTL = 60_000;
const TOLERANCE = 5_000;
const T0 = 1_700_000_000_000;
const opened: Registry[] = [];

function registry(options: Partial<RegistryOptions> = {}, clock = { now: T0 }): Registry {
  const created = createRegistry({
    watermarkTtlMs: TTL,
    now: () => clock.now,
    onError: () => {},
    ...options,
  });
  opened.push(created);
  return created;
}

afterEach(async () => {
  for (const created of opened.splice(0)) await created.close();
  vi.useRealTimers();
});

describe('createRegistry', () => {
  it('rejects bad options with a TypeError', () => {
    expect(() => createRegistry({} as RegistryOptions)).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: 1_000, maxUsers: 0 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: 1_000, maxLeasesPerUser: 1.5 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: 1_000, staleAfterMs: -1 })).toThrow(TypeError);
    expect(() => createRegistry({ watermarkTtlMs: 1_000, storeTimeoutMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createRegistry(null as unknown as RegistryOptions)).toThrow(TypeError);
  });
});

describe('register', () => {
  it('hands out live leases carrying the user, issue time and kind', async () => {
    const r = registry();
    const lease = await r.register('alice', { issuedAtMs: T0 - 1, kind: 'events' });
    expect(lease).toMatchObject({ userId: 'alice', issuedAtMs: T0 - 1, kind: 'events' });
    expect(lease.signal.aborted).toBe(false);
    expect((await r.register('alice', { issuedAtMs: T0 })).kind).toBe('lease');
    expect(r.count()).toBe(2);
    expect(r.count('alice')).toBe(2);
  });

  it('rejects a bad user id or options with a TypeError', async () => {
    const r = registry();
    await expect(r.register('', { issuedAtMs: T0 })).rejects.toThrow(TypeError);
    await expect(r.register('x'.repeat(1_025), { issuedAtMs: T0 })).rejects.toThrow(TypeError);
    await expect(r.register(1 as unknown as string, { issuedAtMs: T0 })).rejects.toThrow(TypeError);
    await expect(r.register('a', { issuedAtMs: Number.NaN })).rejects.toThrow(TypeError);
    await expect(r.register('a', null as never)).rejects.toThrow(TypeError);
    await expect(r.register('a', { issuedAtMs: T0, kind: 1 as never })).rejects.toThrow(TypeError);
  });

  it('refuses the lease over the per-user cap with TOO_MANY_SESSIONS', async () => {
    const r = registry({ maxLeasesPerUser: 2 });
    await r.register('alice', { issuedAtMs: T0 });
    await r.register('alice', { issuedAtMs: T0 });
    await expect(r.register('alice', { issuedAtMs: T0 })).rejects.toMatchObject({
      code: 'TOO_MANY_SESSIONS',
      status: 429,
    });
    await r.register('bob', { issuedAtMs: T0 });
  });

  it('refuses one user more than maxUsers with CAPACITY_EXHAUSTED (registry-full)', async () => {
    const r = registry({ maxUsers: 2 });
    const first = await r.register('a', { issuedAtMs: T0 });
    await r.register('b', { issuedAtMs: T0 });
    await expect(r.register('c', { issuedAtMs: T0 })).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      status: 503,
      reason: 'registry-full',
    });
    await r.register('a', { issuedAtMs: T0 }); // an existing user is not a new one
    first.release();
    await r.register('a', { issuedAtMs: T0 });
    expect(r.users).toBe(2);
  });

  it('refuses a credential issued at or before the last logout with UNAUTHENTICATED (revoked)', async () => {
    const clock = { now: T0 };
    const r = registry({}, clock);
    await r.revoke('alice');
    await expect(r.register('alice', { issuedAtMs: T0 })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'revoked',
    });
    // A login in the next millisecond works.
    await r.register('alice', { issuedAtMs: T0 + 1 });
  });

  it('rejects with STORE_UNAVAILABLE (closed) after close()', async () => {
    const r = registry();
    await r.close();
    await expect(r.register('alice', { issuedAtMs: T0 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'closed',
    });
  });
});

describe('Lease', () => {
  it('release is bound, removes the lease without aborting, and is idempotent', async () => {
    const r = registry();
    const lease = await r.register('alice', { issuedAtMs: T0 });
    const { release } = lease;
    release();
    release();
    expect(lease.signal.aborted).toBe(false);
    expect(r.count()).toBe(0);
    expect(r.users).toBe(0);
  });

  it('a signal first read after the logout is already aborted with the typed reason', async () => {
    const r = registry();
    const lease = await r.register('alice', { issuedAtMs: T0 - 1 });
    expect(await r.revoke('alice', 'token-revoked')).toBe(1);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'token-revoked' });
    lease.release(); // a no-op now
    expect(r.count()).toBe(0);
  });
});

describe('revoke', () => {
  it('aborts every live lease of the user, no one else’s, and returns how many', async () => {
    const r = registry();
    const alice = [
      await r.register('alice', { issuedAtMs: T0 }),
      await r.register('alice', { issuedAtMs: T0 }),
    ];
    void alice[0]?.signal; // one signal exists before, one is created after
    const bob = await r.register('bob', { issuedAtMs: T0 });
    expect(await r.revoke('alice')).toBe(2);
    for (const lease of alice)
      expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
    expect(bob.signal.aborted).toBe(false);
    expect(r.count()).toBe(1);
    expect(await r.revoke('alice')).toBe(0);
  });

  it('records the watermark before aborting: an abort listener cannot register again with the old credential', async () => {
    const r = registry();
    const lease = await r.register('alice', { issuedAtMs: T0 });
    const again = new Promise((resolve) => {
      lease.signal.addEventListener('abort', () => {
        resolve(r.register('alice', { issuedAtMs: T0 }).catch((error: unknown) => error));
      });
    });
    await r.revoke('alice');
    expect(await again).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
  });

  it('ends local leases before the fan-out, and rejects with STORE_UNAVAILABLE when the fan-out fails', async () => {
    const bus = createMemoryRevocationBus();
    const r = registry({ bus });
    await r.ready;
    const lease = await r.register('alice', { issuedAtMs: T0 - 1 });
    bus.failing = true;
    await expect(r.revoke('alice')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(lease.signal.aborted).toBe(true);
    expect(r.decideRevocation('alice', T0 - 1)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
  });
});

describe('assertNotRevoked / decideRevocation without a bus', () => {
  it('answers from the local table: revoked at or before the logout, fine after it', async () => {
    const clock = { now: T0 };
    const r = registry({}, clock);
    expect(r.decideRevocation('alice', T0)).toEqual({ ok: true });
    await r.revoke('alice');
    expect(r.decideRevocation('alice', T0)).toEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
      reason: 'revoked',
    });
    await expect(r.assertNotRevoked('alice', T0 - 100)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'revoked',
    });
    await expect(r.assertNotRevoked('alice', T0 + 1)).resolves.toBeUndefined();
    expect(() => r.decideRevocation('', T0)).toThrow(TypeError);
    expect(() => r.decideRevocation('a', Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('keeps the watermark for the TTL plus the clock tolerance, then forgets it', async () => {
    const clock = { now: T0 };
    const r = registry({ clockToleranceMs: TOLERANCE }, clock);
    await r.revoke('alice');
    clock.now = T0 + TTL + TOLERANCE - 1;
    expect(r.decideRevocation('alice', T0)).toMatchObject({ ok: false });
    clock.now = T0 + TTL + TOLERANCE;
    expect(r.decideRevocation('alice', T0)).toEqual({ ok: true });
  });

  it('fails closed with a global floor when the table overflows (CAPACITY_EXHAUSTED), until it ages out', async () => {
    const clock = { now: T0 };
    const r = registry({ maxWatermarks: 2, clockToleranceMs: 0 }, clock);
    await r.revoke('a');
    clock.now += 10;
    await r.revoke('b');
    clock.now += 10;
    await r.revoke('c'); // pushes a's watermark (T0) into the floor
    expect(r.decideRevocation('a', T0)).toEqual({
      ok: false,
      code: 'CAPACITY_EXHAUSTED',
      reason: 'registry-full',
    });
    expect(r.decideRevocation('nobody', T0)).toMatchObject({ ok: false, code: 'CAPACITY_EXHAUSTED' });
    await expect(r.assertNotRevoked('nobody', T0 - 1)).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      status: 503,
    });
    expect(r.decideRevocation('nobody', T0 + 1)).toEqual({ ok: true });
    expect(r.decideRevocation('b', T0 + 10)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    clock.now = T0 + TTL;
    expect(r.decideRevocation('nobody', T0)).toEqual({ ok: true });
  });
});

describe('with a bus', () => {
  const pair = async (
    options: Partial<RegistryOptions> = {},
  ): Promise<{ bus: MemoryRevocationBus; a: Registry; b: Registry }> => {
    const bus = createMemoryRevocationBus({ heartbeatMs: 20 });
    const a = registry({ bus, now: Date.now, staleAfterMs: 200, ...options });
    const b = registry({ bus, now: Date.now, staleAfterMs: 200, ...options });
    await Promise.all([a.ready, b.ready]);
    return { bus, a, b };
  };

  it('a logout on one instance ends the user’s leases and refuses old tokens on the other', async () => {
    const { a, b } = await pair();
    const issuedAtMs = Date.now() - 1;
    const lease = await b.register('alice', { issuedAtMs });
    await a.revoke('alice');
    expect(lease.signal.aborted).toBe(true);
    expect(b.decideRevocation('alice', issuedAtMs)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
  });

  it('reads the store once for a user it cannot vouch for, then answers from its view', async () => {
    const { bus, b } = await pair();
    const issuedAtMs = Date.now();
    expect(b.decideRevocation('carol', issuedAtMs)).toBeUndefined();
    const reads = bus.reads;
    await Promise.all([b.assertNotRevoked('carol', issuedAtMs), b.assertNotRevoked('carol', issuedAtMs)]);
    expect(bus.reads - reads).toBe(1); // one read in flight per user
    expect(b.decideRevocation('carol', issuedAtMs)).toEqual({ ok: true });
    for (let i = 0; i < 100; i++) await b.assertNotRevoked('carol', issuedAtMs);
    expect(bus.reads - reads).toBe(1);
  });

  it('refuses from the stored watermark when the message was lost', async () => {
    const { bus, a, b } = await pair();
    const issuedAtMs = Date.now() - 1;
    bus.dropping = true;
    await a.revoke('dave');
    bus.dropping = false;
    await expect(b.assertNotRevoked('dave', issuedAtMs)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(b.register('dave', { issuedAtMs })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('goes stale when the subscription is lost: store reads, STORE_UNAVAILABLE if those fail, and recovers', async () => {
    const { bus, b } = await pair();
    const issuedAtMs = Date.now();
    await b.assertNotRevoked('erin', issuedAtMs);
    expect(b.decideRevocation('erin', issuedAtMs)).toEqual({ ok: true });
    bus.interrupt();
    expect(b.decideRevocation('erin', issuedAtMs)).toBeUndefined();
    await expect(b.assertNotRevoked('erin', issuedAtMs)).resolves.toBeUndefined(); // the store answers
    expect(b.decideRevocation('erin', issuedAtMs)).toBeUndefined(); // but teaches nothing while stale
    bus.failing = true;
    await expect(b.assertNotRevoked('erin', issuedAtMs)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(b.register('erin', { issuedAtMs })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    bus.failing = false;
    bus.restore();
    await b.assertNotRevoked('erin', issuedAtMs);
    expect(b.decideRevocation('erin', issuedAtMs)).toEqual({ ok: true });
  });

  it('goes stale when no heartbeat came back for staleAfterMs', async () => {
    const { bus, b } = await pair({ staleAfterMs: 100 });
    const issuedAtMs = Date.now();
    await b.assertNotRevoked('fay', issuedAtMs);
    bus.pause(); // no heartbeat, no store answer
    await vi.waitFor(() => expect(b.decideRevocation('fay', issuedAtMs)).toBeUndefined(), { timeout: 1_000 });
    bus.unpause();
    await vi.waitFor(
      async () => {
        await b.assertNotRevoked('fay', issuedAtMs);
        expect(b.decideRevocation('fay', issuedAtMs)).toEqual({ ok: true });
      },
      { timeout: 1_000 },
    );
  });

  it('a store that never answers fails with STORE_UNAVAILABLE (timeout) within storeTimeoutMs', async () => {
    const { bus, b } = await pair({ storeTimeoutMs: 100 });
    bus.pause();
    const started = performance.now();
    await expect(b.assertNotRevoked('gus', Date.now())).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'timeout',
    });
    expect(performance.now() - started).toBeLessThan(400);
    bus.unpause();
  });

  it('a full table never refuses a valid token: evicted watermarks send misses to the store', async () => {
    const { a, b } = await pair({ maxWatermarks: 2 });
    const issuedAtMs = Date.now() - 1;
    for (const user of ['u1', 'u2', 'u3', 'u4']) await a.revoke(user);
    for (const user of ['u1', 'u2', 'u3', 'u4']) {
      await expect(b.assertNotRevoked(user, issuedAtMs)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    await expect(b.assertNotRevoked('never-logged-out', issuedAtMs)).resolves.toBeUndefined();
    await expect(b.register('never-logged-out', { issuedAtMs })).resolves.toMatchObject({
      userId: 'never-logged-out',
    });
  });

  it('a flood of distinct logouts locks out no one who did not log out, at one store read per such user', async () => {
    const { bus, a, b } = await pair({ maxWatermarks: 100 });
    const issuedAtMs = Date.now() - 1;
    for (let i = 0; i < 1_000; i++) await a.revoke(`flood-${i}`);
    const reads = bus.reads;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) {
        expect(b.decideRevocation(`flood-${i}`, issuedAtMs)?.ok).not.toBe(true);
        await expect(b.assertNotRevoked(`flood-${i}`, issuedAtMs)).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
        await expect(b.assertNotRevoked(`calm-${i}`, issuedAtMs)).resolves.toBeUndefined();
      }
    }
    // The 50 calm users were read once each and are then known clean; flooded users evicted from the
    // full table are read again (their watermark is the store's to tell).
    const calmReads = bus.reads - reads;
    expect(calmReads).toBeGreaterThanOrEqual(50);
    for (let i = 0; i < 50; i++) expect(b.decideRevocation(`calm-${i}`, issuedAtMs)).toEqual({ ok: true });
  });

  it('retries a subscription that failed to start, reporting it to onError', async () => {
    const bus = createMemoryRevocationBus({ heartbeatMs: 20 });
    bus.failing = true;
    const onError = vi.fn();
    const r = registry({ bus, onError, now: Date.now });
    await expect(r.ready).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(onError).toHaveBeenCalled();
    bus.failing = false;
    await vi.waitFor(
      async () => {
        await r.assertNotRevoked('hal', Date.now());
        expect(r.decideRevocation('hal', Date.now() - 1)).toEqual({ ok: true });
      },
      { timeout: 3_000, interval: 50 },
    );
  });
});

describe('cancelAll / close', () => {
  it('cancelAll aborts every live lease with STORE_UNAVAILABLE (closed) by default, or the given reason', async () => {
    const r = registry();
    const leases = [await r.register('a', { issuedAtMs: T0 }), await r.register('b', { issuedAtMs: T0 })];
    expect(r.cancelAll()).toBe(2);
    for (const lease of leases)
      expect(lease.signal.reason).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'closed' });
    const next = await r.register('a', { issuedAtMs: T0 }); // not a logout: the user may come back
    expect(r.cancelAll('logout')).toBe(1);
    expect(next.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
    expect(r.count()).toBe(0);
    expect(() => r.cancelAll(new Error('x') as never)).toThrow(TypeError);
  });

  it('close ends every lease, stops listening, and is idempotent', async () => {
    const bus = createMemoryRevocationBus({ heartbeatMs: 20 });
    const a = registry({ bus, now: Date.now });
    const b = registry({ bus, now: Date.now });
    await Promise.all([a.ready, b.ready]);
    const lease = await b.register('ivy', { issuedAtMs: Date.now() - 1 });
    await b.close();
    await b.close();
    expect(lease.signal.aborted).toBe(true);
    expect(b.decideRevocation('ivy', Date.now())).toBeUndefined();
  });
});
