import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RevocationBus } from '../bus.js';
import { createRegistry, type Registry } from '../registry.js';

/** What {@link revocationBusConformance} runs against: buses of several instances on one store. */
export interface RevocationBusFixture {
  /** A bus for one more instance (its own connections), sharing the store with the others. */
  connect(): RevocationBus | Promise<RevocationBus>;
  /** The heartbeat interval the buses use, in ms (the suite's registries go stale after 4 of them). */
  readonly heartbeatMs: number;
  /**
   * Cuts every subscription's connection, as a killed subscriber or a network drop would. The buses
   * must come back by themselves (a client's reconnect) or when this resolves.
   */
  interruptSubscribers(): Promise<void>;
  /** Makes the store stop answering, as a paused server; the returned function makes it answer again. */
  pauseStore(): Promise<() => Promise<void>>;
  /** Closes every connection `connect` opened and stops the servers. */
  close(): Promise<void>;
}

const TTL_MS = 60_000;
const STORE_TIMEOUT_MS = 500;

/**
 * The conformance suite every {@link RevocationBus} passes, as Vitest tests (Vitest is an optional peer
 * of this entry only): fan-out between instances within 1 s, the stored watermark raised and never
 * lowered, an instance that missed a message refusing from the store, heartbeats keeping the view live,
 * and the fault cases: subscribers killed (stale view, store reads, recovery) and the store paused
 * (`STORE_UNAVAILABLE` within the deadline, never a success, recovery).
 *
 * @example
 * ```ts
 * // my-bus.int.test.ts
 * revocationBusConformance('my bus', async () => ({ connect, heartbeatMs: 100, interruptSubscribers, pauseStore, close }));
 * ```
 */
export function revocationBusConformance(
  name: string,
  makeFixture: () => Promise<RevocationBusFixture>,
): void {
  describe(`revocation bus conformance: ${name}`, () => {
    let fixture: RevocationBusFixture;
    const registries: Registry[] = [];
    let users = 0;
    const freshUser = (): string => `user-${process.pid}-${Date.now()}-${users++}`;
    const instance = async (): Promise<Registry> => {
      const registry = createRegistry({
        watermarkTtlMs: TTL_MS,
        bus: await fixture.connect(),
        staleAfterMs: fixture.heartbeatMs * 4,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        reconcileIntervalMs: 0,
        onError: () => {},
      });
      registries.push(registry);
      await registry.ready;
      return registry;
    };
    const refusedWith = async (promise: Promise<unknown>, code: string): Promise<void> => {
      await expect(promise).rejects.toMatchObject({ code });
    };

    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => {
      for (const registry of registries) await registry.close().catch(() => {});
      await fixture?.close();
    });

    it('a logout on A refuses B’s older tokens and ends B’s leases within 1 s; a later login works', async () => {
      const a = await instance();
      const b = await instance();
      const alice = freshUser();
      const bob = freshUser();
      const before = Date.now() - 10;
      const lease = await b.register(alice, { issuedAtMs: before, kind: 'events' });
      const other = await b.register(bob, { issuedAtMs: before });
      const started = performance.now();
      expect(await a.revoke(alice)).toBe(0);
      await vi.waitFor(() => expect(lease.signal.aborted).toBe(true), { timeout: 1_000, interval: 5 });
      await refusedWith(b.assertNotRevoked(alice, before), 'UNAUTHENTICATED');
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED', reason: 'logout' });
      expect(other.signal.aborted).toBe(false);
      await expect(b.assertNotRevoked(bob, before)).resolves.toBeUndefined();
      // A token issued after the logout (the next millisecond) works on both instances.
      const after = Date.now() + 1;
      await expect(a.assertNotRevoked(alice, after)).resolves.toBeUndefined();
      await expect(b.assertNotRevoked(alice, after)).resolves.toBeUndefined();
      expect(b.count(alice)).toBe(0);
      expect(b.count(bob)).toBe(1);
    });

    it('stores the highest watermark: a lower one never lowers it', async () => {
      const bus = await fixture.connect();
      const user = freshUser();
      const at = Date.now();
      await bus.publish({ userId: user, revokedAtMs: at, origin: 'conformance' });
      await bus.publish({ userId: user, revokedAtMs: at - 5_000, origin: 'conformance' });
      expect(await bus.watermark(user)).toBe(at);
      await bus.publish({ userId: user, revokedAtMs: at + 1, origin: 'conformance' });
      expect(await bus.watermark(user)).toBe(at + 1);
      expect(await bus.watermark(freshUser())).toBeUndefined();
    });

    it('an instance started after the logout refuses from the store, then answers from its view', async () => {
      const a = await instance();
      const user = freshUser();
      const before = Date.now() - 10;
      await a.revoke(user);
      const late = await instance();
      // A fresh view has not seen a whole watermark lifetime: it cannot tell on its own.
      expect(late.decideRevocation(user, before)).toBeUndefined();
      await refusedWith(late.assertNotRevoked(user, before), 'UNAUTHENTICATED');
      await refusedWith(late.register(user, { issuedAtMs: before }), 'UNAUTHENTICATED');
      // Read once: now known, so the synchronous check answers.
      expect(late.decideRevocation(user, before)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
      expect(late.decideRevocation(user, Date.now() + 1)).toEqual({ ok: true });
      const clean = freshUser();
      await late.assertNotRevoked(clean, before);
      expect(late.decideRevocation(clean, before)).toEqual({ ok: true });
    });

    it('heartbeats keep the view live past staleAfterMs', async () => {
      const b = await instance();
      const user = freshUser();
      await b.assertNotRevoked(user, Date.now());
      await new Promise((resolve) => setTimeout(resolve, fixture.heartbeatMs * 10));
      expect(b.decideRevocation(user, Date.now())).toEqual({ ok: true });
    });

    it('subscribers killed: the view goes stale and reads the store; a logout of the gap is honoured; it recovers', async () => {
      const a = await instance();
      const b = await instance();
      const user = freshUser();
      const before = Date.now() - 10;
      await b.assertNotRevoked(user, before);
      expect(b.decideRevocation(user, before)).toEqual({ ok: true });
      await fixture.interruptSubscribers();
      // A logout published into the gap (B's subscriber may not be back yet): B must still refuse the
      // user's old tokens within 1 s, from the message, or from the store once it notices the gap.
      // (A busy server may time a publish out while its clients reconnect: the logout is retried.)
      await vi.waitFor(() => a.revoke(user), { timeout: 5_000, interval: 50 });
      const revokedAt = performance.now();
      await vi.waitFor(() => refusedWith(b.assertNotRevoked(user, before), 'UNAUTHENTICATED'), {
        timeout: 1_000 + fixture.heartbeatMs * 2,
        interval: 10,
      });
      expect(performance.now() - revokedAt).toBeLessThan(1_000 + fixture.heartbeatMs * 2);
      // Recovery: live again, the user known again from one read, synchronous answers are back.
      const later = Date.now() + 1;
      await vi.waitFor(
        async () => {
          await b.assertNotRevoked(user, later);
          expect(b.decideRevocation(user, later)).toEqual({ ok: true });
          expect(b.decideRevocation(user, before)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
        },
        { timeout: 10_000, interval: 50 },
      );
    });

    it('store paused: STORE_UNAVAILABLE within the deadline, never ok; it recovers', async () => {
      const b = await instance();
      const known = freshUser();
      const before = Date.now() - 10;
      await b.assertNotRevoked(known, before);
      const resume = await fixture.pauseStore();
      try {
        // A user the view cannot vouch for needs the store: refused within the deadline.
        const started = performance.now();
        await refusedWith(b.assertNotRevoked(freshUser(), before), 'STORE_UNAVAILABLE');
        await refusedWith(b.register(freshUser(), { issuedAtMs: before }), 'STORE_UNAVAILABLE');
        expect(performance.now() - started).toBeLessThan(2 * STORE_TIMEOUT_MS + 400);
        // Once no heartbeat has come back for staleAfterMs, not even a known user is answered alone.
        await vi.waitFor(() => expect(b.decideRevocation(known, before)).toBeUndefined(), {
          timeout: fixture.heartbeatMs * 8,
          interval: 10,
        });
        const stale = performance.now();
        await refusedWith(b.assertNotRevoked(known, before), 'STORE_UNAVAILABLE');
        expect(performance.now() - stale).toBeLessThan(STORE_TIMEOUT_MS + 400);
      } finally {
        await resume();
      }
      await vi.waitFor(
        async () => {
          await b.assertNotRevoked(known, before);
          expect(b.decideRevocation(known, before)).toEqual({ ok: true });
        },
        { timeout: 10_000, interval: 50 },
      );
    });
  });
}
