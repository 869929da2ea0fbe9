import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { RevocationBus, RevocationListener } from './bus.js';
import type { Lease } from './lease.js';
import { createRegistry, type Registry } from './registry.js';

const TTL = 10_000;
// Tolerance 0 in these models: a watermark lives exactly TTL ms after it was recorded.
const T0 = 1_700_000_000_000;
const USERS = ['alice', 'bob', 'carol'] as const;
const user = fc.constantFrom(...USERS);

describe('createRegistry properties', () => {
  test.prop([fc.array(fc.tuple(user, fc.boolean()), { maxLength: 60 }), user])(
    'every signal of the user is aborted after revoke, and the count is exact',
    async (opens, victim) => {
      const registry = createRegistry({
        watermarkTtlMs: TTL,
        maxLeasesPerUser: 100,
        maxWatermarks: 16,
        clockToleranceMs: 0,
        now: () => T0,
      });
      const leases: Lease[] = [];
      for (const [who, touch] of opens) {
        const lease = await registry.register(who, { kind: 'events', issuedAtMs: T0 - 1 });
        if (touch) void lease.signal; // half the signals exist before the logout, half after
        leases.push(lease);
      }
      const expected = leases.filter((lease) => lease.userId === victim).length;
      expect(await registry.revoke(victim)).toBe(expected);
      for (const lease of leases) {
        expect(lease.signal.aborted).toBe(lease.userId === victim);
        if (lease.userId === victim) expect(lease.signal.reason).toMatchObject({ code: 'SESSION_REVOKED' });
      }
      expect(registry.count(victim)).toBe(0);
      expect(registry.count()).toBe(leases.length - expected);
    },
  );

  test.prop([
    fc.array(fc.tuple(user, fc.nat({ max: 3 })), { maxLength: 40 }),
    fc.array(fc.nat(), { maxLength: 80 }),
  ])('release is idempotent and leaves no trace, in any order with revoke', async (opens, picks) => {
    const registry = createRegistry({
      watermarkTtlMs: TTL,
      maxLeasesPerUser: 100,
      maxWatermarks: 16,
      clockToleranceMs: 0,
      now: () => T0,
    });
    const leases: Lease[] = [];
    for (const [who] of opens) leases.push(await registry.register(who, { issuedAtMs: T0 - 1 }));
    for (const pick of picks) {
      const lease = leases[pick % Math.max(1, leases.length)];
      if (lease === undefined) continue;
      if (pick % 3 === 0) await registry.revoke(lease.userId);
      else lease.release();
    }
    for (const lease of leases) lease.release();
    expect(registry.count()).toBe(0);
    expect(registry.users).toBe(0);
    for (const who of USERS) expect(await registry.revoke(who)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// Model-based: register / release / revoke / clock sequences against a plain model.

interface ModelLease {
  readonly userId: string;
  state: 'live' | 'released' | 'cancelled';
}
interface Model {
  now: number;
  readonly cap: number;
  readonly leases: ModelLease[];
  /** Watermark value and the moment it was (last) raised, for the TTL. */
  readonly watermarks: Map<string, Stamp>;
}
interface Real {
  readonly registry: Registry;
  readonly clock: { now: number };
  readonly leases: Lease[];
}
interface Stamp {
  at: number;
  writtenAt: number;
}

const liveOf = (model: { leases: ModelLease[] }, userId: string): number =>
  model.leases.filter((lease) => lease.userId === userId && lease.state === 'live').length;

const alive = (now: number, stamp: Stamp | undefined): number | undefined =>
  stamp !== undefined && now - stamp.writtenAt < TTL ? stamp.at : undefined;

/** The table's rule: a higher watermark replaces (and restarts the TTL); a lower or equal one changes nothing. */
function raise(now: number, table: Map<string, Stamp>, userId: string, at: number): void {
  const previous = alive(now, table.get(userId));
  if (previous !== undefined && previous >= at) return;
  table.set(userId, { at, writtenAt: now });
}

function checkAll(model: Model, real: Real): void {
  expect(real.registry.count()).toBe(model.leases.filter((lease) => lease.state === 'live').length);
  for (const who of USERS) expect(real.registry.count(who)).toBe(liveOf(model, who));
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

class Register implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userId: string,
    readonly ageMs: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const issuedAtMs = model.now - this.ageMs;
    const watermark = alive(model.now, model.watermarks.get(this.userId));
    let expected: string | undefined;
    if (watermark !== undefined && issuedAtMs <= watermark) expected = 'UNAUTHENTICATED';
    else if (liveOf(model, this.userId) >= model.cap) expected = 'TOO_MANY_SESSIONS';
    const decision = real.registry.decideRevocation(this.userId, issuedAtMs);
    expect(decision?.ok).toBe(expected !== 'UNAUTHENTICATED');
    const outcome = await real.registry
      .register(this.userId, { kind: 'events', issuedAtMs })
      .catch((error: unknown) => ({ code: codeOf(error) }));
    if (expected === undefined) {
      expect(outcome).toHaveProperty('signal');
      real.leases.push(outcome as Lease);
      model.leases.push({ userId: this.userId, state: 'live' });
    } else {
      expect(outcome).toEqual({ code: expected });
    }
    checkAll(model, real);
  }
  toString(): string {
    return `register(${this.userId}, age ${this.ageMs})`;
  }
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.leases.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = this.pick % model.leases.length;
    const lease = model.leases[index] as ModelLease;
    const { release } = real.leases[index] as Lease; // bound: called unbound on purpose
    release();
    if (lease.state === 'live') lease.state = 'released';
    checkAll(model, real);
  }
  toString(): string {
    return `release(#${this.pick})`;
  }
}

class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(readonly userId: string) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const expected = liveOf(model, this.userId);
    expect(await real.registry.revoke(this.userId)).toBe(expected);
    for (const lease of model.leases)
      if (lease.userId === this.userId && lease.state === 'live') lease.state = 'cancelled';
    raise(model.now, model.watermarks, this.userId, model.now);
    checkAll(model, real);
  }
  toString(): string {
    return `revoke(${this.userId})`;
  }
}

class ReadSignal implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.leases.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const index = this.pick % model.leases.length;
    const signal = (real.leases[index] as Lease).signal;
    expect(signal.aborted).toBe((model.leases[index] as ModelLease).state === 'cancelled');
  }
  toString(): string {
    return `signal(#${this.pick})`;
  }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms;
    real.clock.now += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

const commands = [
  fc
    .tuple(user, fc.oneof(fc.constantFrom(0, -1), fc.integer({ min: -5, max: 3 * TTL })))
    .map(([who, age]) => new Register(who, age)),
  fc.nat().map((pick) => new Release(pick)),
  user.map((who) => new Revoke(who)),
  fc.nat().map((pick) => new ReadSignal(pick)),
  fc.integer({ min: 1, max: TTL / 2 }).map((ms) => new Advance(ms)),
];

describe('createRegistry model', () => {
  test.prop([fc.commands(commands, { maxCommands: 80 }), fc.integer({ min: 1, max: 4 })], { numRuns: 300 })(
    'register / release / revoke / watermark sequences match the model',
    async (cmds, cap) => {
      const clock = { now: T0 };
      await fc.asyncModelRun(
        () => ({
          model: { now: T0, cap, leases: [], watermarks: new Map() } satisfies Model,
          real: {
            registry: createRegistry({
              watermarkTtlMs: TTL,
              clockToleranceMs: 0,
              maxLeasesPerUser: cap,
              maxWatermarks: 16,
              now: () => clock.now,
            }),
            clock,
            leases: [],
          } satisfies Real,
        }),
        cmds,
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Concurrency: two instances on one bus whose store reads, store writes and message deliveries are
// ordered by fast-check's scheduler.

function scheduledBus(s: fc.Scheduler): RevocationBus {
  const listeners = new Set<RevocationListener>();
  const stored = new Map<string, number>();
  return {
    async publish(revocation) {
      const write = s.schedule(Promise.resolve(), 'store write').then(() => {
        stored.set(revocation.userId, Math.max(stored.get(revocation.userId) ?? 0, revocation.revokedAtMs));
      });
      const deliveries = [...listeners].map((listener) =>
        s.schedule(Promise.resolve(), 'deliver').then(() => listener.onRevocation(revocation)),
      );
      await Promise.all([write, ...deliveries]);
    },
    async watermark(userId) {
      return s.schedule(Promise.resolve(), 'store read').then(() => stored.get(userId));
    },
    async subscribe(listener) {
      listeners.add(listener);
      listener.onLive();
      return {
        async unsubscribe() {
          listeners.delete(listener);
        },
      };
    },
  };
}

describe('createRegistry under concurrent logout and registration', () => {
  test.prop(
    [
      fc.scheduler(),
      fc.array(fc.tuple(fc.boolean(), fc.constantFrom('alice', 'bob')), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: 4 }),
      fc.boolean(),
    ],
    { numRuns: 1_500 },
  )(
    'no lease or passed check of an old credential outlives its user’s logout, on either instance',
    async (s, opens, logoutAfter, checkFirst) => {
      const bus = scheduledBus(s);
      const LOGOUT_AT = T0 + 100;
      const options = {
        watermarkTtlMs: TTL,
        maxWatermarks: 16,
        bus,
        now: () => LOGOUT_AT,
        reconcileIntervalMs: 0,
      };
      const a = createRegistry(options);
      const b = createRegistry(options);
      await Promise.all([a.ready, b.ready]);
      // Some users already known clean on b before the race: the fast path must stay safe too.
      if (checkFirst) await s.waitFor(b.assertNotRevoked('alice', T0));

      const leases: Lease[] = [];
      let logoutDone = false;
      const logout = () =>
        a.revoke('alice').then(() => {
          logoutDone = true;
        });
      const tasks: Promise<unknown>[] = opens.map(([onA, who], i) => {
        const registry = onA ? a : b;
        // Credentials authenticated before the logout; registrations race with it.
        const open = registry
          .register(who, { kind: 'events', issuedAtMs: T0 })
          .then((lease) => leases.push(lease))
          .catch((error: unknown) => {
            expect(error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
            expect(who).toBe('alice');
          });
        return i === logoutAfter ? Promise.all([open, logout()]) : open;
      });
      if (logoutAfter >= opens.length) tasks.push(logout());
      await s.waitFor(Promise.all(tasks));
      expect(logoutDone).toBe(true);

      for (const lease of leases) expect(lease.signal.aborted).toBe(lease.userId === 'alice');
      expect(a.count('alice') + b.count('alice')).toBe(0);
      // Once the logout is done, neither instance passes an old credential of alice.
      for (const registry of [a, b]) {
        await expect(s.waitFor(registry.assertNotRevoked('alice', T0))).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
      }
      await Promise.all([a.close(), b.close()]);
    },
    60_000,
  );
});

// ---------------------------------------------------------------------------------------------------
// Model-based, two instances on one bus: register / revoke / reconcile / release / clock sequences. The
// bus stores watermarks with the same TTL rule as Redis `PX` and delivers each message before `publish`
// resolves. A message the other instance misses is LOST, and noticed as a gap the way the Redis bus's
// sequence numbers notice it (`onLost`, then `onLive`): that instance then catches up (reconcile of its
// leases, store reads for the users it had known). Outcome rule, whether or not the instance read the
// store: a credential is refused iff issued at or before max(its local watermark, the stored one).

interface BusModel {
  now: number;
  readonly cap: number;
  readonly leases: Array<{
    readonly instance: number;
    readonly userId: string;
    readonly issuedAt: number;
    state: 'live' | 'released' | 'cancelled';
  }>;
  /** Each instance's own watermark table, and the store's. */
  readonly local: [Map<string, Stamp>, Map<string, Stamp>];
  readonly store: Map<string, Stamp>;
}
interface BusReal {
  readonly instances: [Registry, Registry];
  readonly bus: ClockedBus;
  readonly clock: { now: number };
  readonly leases: Lease[];
}

type ClockedBus = RevocationBus & {
  lose: boolean;
  reads: number;
  stored(userId: string): number | undefined;
};

function clockedBus(clock: { now: number }): ClockedBus {
  const listeners = new Set<RevocationListener>();
  const store = new Map<string, Stamp>();
  const bus: ClockedBus = {
    lose: false,
    reads: 0,
    stored: (userId) => alive(clock.now, store.get(userId)),
    async publish(revocation) {
      raise(clock.now, store, revocation.userId, revocation.revokedAtMs);
      for (const listener of listeners) {
        if (!bus.lose) {
          listener.onRevocation(revocation);
          continue;
        }
        // Lost, and noticed as a gap (the publisher skips its own echo anyway).
        listener.onLost();
        listener.onLive();
      }
    },
    async watermark(userId) {
      bus.reads++;
      return alive(clock.now, store.get(userId));
    },
    async subscribe(listener) {
      listeners.add(listener);
      listener.onLive();
      return {
        async unsubscribe() {
          listeners.delete(listener);
        },
      };
    },
  };
  return bus;
}

function checkBus(model: BusModel, real: BusReal): void {
  for (const instance of [0, 1] as const) {
    for (const who of USERS) {
      const expected = model.leases.filter(
        (l) => l.instance === instance && l.userId === who && l.state === 'live',
      );
      expect(real.instances[instance].count(who)).toBe(expected.length);
    }
  }
  model.leases.forEach((lease, i) => {
    expect(real.leases[i]?.signal.aborted).toBe(lease.state === 'cancelled');
  });
}

/** Lets background work on the memory bus (a reconcile after a gap) finish. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** What a reconcile of `instance` does to the model: ends leases at or before the stored watermark. */
function reconcileModel(model: BusModel, instance: number): number {
  const live = model.leases.filter((l) => l.instance === instance && l.state === 'live');
  let ended = 0;
  for (const who of new Set(live.map((l) => l.userId))) {
    const stored = alive(model.now, model.store.get(who));
    if (stored === undefined) continue;
    raise(model.now, model.local[instance] as Map<string, Stamp>, who, stored);
    for (const lease of live) {
      if (lease.userId === who && lease.issuedAt <= stored) {
        lease.state = 'cancelled';
        ended++;
      }
    }
  }
  return ended;
}

class RegisterOn implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(
    readonly instance: 0 | 1,
    readonly userId: string,
    readonly ageMs: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    const issuedAt = model.now - this.ageMs;
    const local = model.local[this.instance];
    const localMs = alive(model.now, local.get(this.userId));
    const storedMs = alive(model.now, model.store.get(this.userId));
    const refused = Math.max(localMs ?? -Infinity, storedMs ?? -Infinity) >= issuedAt;
    const live = model.leases.filter(
      (l) => l.instance === this.instance && l.userId === this.userId && l.state === 'live',
    ).length;
    const expected = refused ? 'UNAUTHENTICATED' : live >= model.cap ? 'TOO_MANY_SESSIONS' : undefined;
    const reads = real.bus.reads;
    const outcome = await real.instances[this.instance]
      .register(this.userId, { kind: 'events', issuedAtMs: issuedAt })
      .catch((error: unknown) => ({ code: codeOf(error) }));
    // A store read is recorded in the local table (it only ever raises it).
    if (real.bus.reads > reads && storedMs !== undefined) raise(model.now, local, this.userId, storedMs);
    if (expected === undefined) {
      expect(outcome).toHaveProperty('signal');
      real.leases.push(outcome as Lease);
      model.leases.push({ instance: this.instance, userId: this.userId, issuedAt, state: 'live' });
    } else {
      expect(outcome).toEqual({ code: expected });
    }
    checkBus(model, real);
  }
  toString(): string {
    return `register(#${this.instance}, ${this.userId}, age ${this.ageMs})`;
  }
}

class RevokeOn implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(
    readonly instance: 0 | 1,
    readonly userId: string,
    /** The other instance misses the message (and notices the gap). */
    readonly lost: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    const here = model.leases.filter(
      (l) => l.instance === this.instance && l.userId === this.userId && l.state === 'live',
    ).length;
    real.bus.lose = this.lost;
    try {
      expect(await real.instances[this.instance].revoke(this.userId)).toBe(here);
    } finally {
      real.bus.lose = false;
    }
    const other = 1 - this.instance;
    for (const lease of model.leases) {
      const reached = !this.lost || lease.instance === this.instance;
      if (reached && lease.userId === this.userId && lease.state === 'live') lease.state = 'cancelled';
    }
    const tables = this.lost ? [model.local[this.instance]] : model.local;
    for (const table of [...tables, model.store]) raise(model.now, table, this.userId, model.now);
    if (this.lost) {
      // The gap makes the other instance reconcile its leases in the background.
      await settle();
      reconcileModel(model, other);
    }
    checkBus(model, real);
  }
  toString(): string {
    return `revoke(#${this.instance}, ${this.userId}${this.lost ? ', message lost' : ''})`;
  }
}

class Reconcile implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(readonly instance: 0 | 1) {}
  check(): boolean {
    return true;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    const expected = reconcileModel(model, this.instance);
    expect(await real.instances[this.instance].reconcile()).toBe(expected);
    // The invariant itself: after a reconcile no lease here is older than its user's stored logout.
    for (const [i, lease] of model.leases.entries()) {
      const stored = alive(model.now, model.store.get(lease.userId));
      if (lease.instance !== this.instance || stored === undefined || lease.issuedAt > stored) continue;
      expect(real.leases[i]?.signal.aborted || lease.state === 'released').toBe(true);
    }
    checkBus(model, real);
  }
  toString(): string {
    return `reconcile(#${this.instance})`;
  }
}

class ReleaseAny implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(readonly pick: number) {}
  check(model: BusModel): boolean {
    return model.leases.length > 0;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    const index = this.pick % model.leases.length;
    real.leases[index]?.release();
    const lease = model.leases[index];
    if (lease?.state === 'live') lease.state = 'released';
    checkBus(model, real);
  }
  toString(): string {
    return `release(#${this.pick})`;
  }
}

class AdvanceBoth implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    model.now += this.ms;
    real.clock.now += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

const instance = fc.constantFrom(0 as const, 1 as const);
const busCommands = [
  fc
    // Ages near 0 often: a credential issued in the very millisecond of a later logout tests the boundary.
    .tuple(instance, user, fc.oneof(fc.constantFrom(0, -1), fc.integer({ min: -5, max: 3 * TTL })))
    .map(([i, who, age]) => new RegisterOn(i, who, age)),
  fc.tuple(instance, user, fc.boolean()).map(([i, who, lost]) => new RevokeOn(i, who, lost)),
  instance.map((i) => new Reconcile(i)),
  fc.nat().map((pick) => new ReleaseAny(pick)),
  fc.integer({ min: 1, max: TTL / 2 }).map((ms) => new AdvanceBoth(ms)),
];

describe('createRegistry model across two instances', () => {
  test.prop([fc.commands(busCommands, { maxCommands: 60 }), fc.integer({ min: 1, max: 3 })], {
    numRuns: 1_000,
  })(
    'register / revoke (delivered or lost) / reconcile / release / watermark sequences match the model',
    async (cmds, cap) => {
      const clock = { now: T0 };
      const bus = clockedBus(clock);
      const options = {
        watermarkTtlMs: TTL,
        clockToleranceMs: 0,
        maxLeasesPerUser: cap,
        maxWatermarks: 16,
        bus,
        now: () => clock.now,
        reconcileIntervalMs: 0,
      };
      const instances: [Registry, Registry] = [createRegistry(options), createRegistry(options)];
      await Promise.all(instances.map((registry) => registry.ready));
      await fc.asyncModelRun(
        () => ({
          model: {
            now: T0,
            cap,
            leases: [],
            local: [new Map(), new Map()],
            store: new Map(),
          } satisfies BusModel,
          real: { instances, bus, clock, leases: [] } satisfies BusReal,
        }),
        cmds,
      );
      await Promise.all(instances.map((registry) => registry.close()));
    },
    60_000,
  );
});
