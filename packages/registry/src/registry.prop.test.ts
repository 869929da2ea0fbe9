import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Revocation, RevocationBus } from './bus.js';
import { createRegistry, type Lease, type Registry } from './registry.js';

const TTL = 10_000;
const T0 = 1_700_000_000_000;
const USERS = ['alice', 'bob', 'carol'] as const;
const user = fc.constantFrom(...USERS);

describe('createRegistry properties', () => {
  test.prop([fc.array(fc.tuple(user, fc.boolean()), { maxLength: 60 }), user])(
    'every signal of the user is aborted after cancelUser, and the count is exact',
    (opens, victim) => {
      const registry = createRegistry({
        watermarkTtlMs: TTL,
        maxLeasesPerUser: 100,
        maxWatermarks: 16,
        now: () => T0,
      });
      const leases = opens.map(([who, touch]) => {
        const lease = registry.register(who, { kind: 'events', issuedAt: T0 - 1 });
        if (touch) void lease.signal; // half the signals exist before the cancel, half after
        return lease;
      });
      const expected = leases.filter((lease) => lease.userId === victim).length;
      expect(registry.cancelUser(victim)).toBe(expected);
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
  ])('release is idempotent and leaves no trace, in any order with cancelUser', (opens, picks) => {
    const registry = createRegistry({
      watermarkTtlMs: TTL,
      maxLeasesPerUser: 100,
      maxWatermarks: 16,
      now: () => T0,
    });
    const leases = opens.map(([who]) => registry.register(who, { kind: 'events', issuedAt: T0 - 1 }));
    for (const pick of picks) {
      const lease = leases[pick % Math.max(1, leases.length)];
      if (lease === undefined) continue;
      if (pick % 3 === 0) registry.cancelUser(lease.userId);
      else lease.release();
    }
    for (const lease of leases) lease.release();
    expect(registry.count()).toBe(0);
    expect(registry.users).toBe(0);
    for (const who of USERS) expect(registry.cancelUser(who)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// Model-based: register / release / cancelUser / clock sequences against a plain model.

interface ModelLease {
  readonly userId: string;
  state: 'live' | 'released' | 'cancelled';
}
interface Model {
  now: number;
  readonly cap: number;
  readonly leases: ModelLease[];
  /** Watermark value and the moment it was (last) written, for the TTL. */
  readonly watermarks: Map<string, { at: number; writtenAt: number }>;
}
interface Real {
  readonly registry: Registry;
  readonly clock: { now: number };
  readonly leases: Lease[];
}

const liveOf = (model: Model, userId: string): number =>
  model.leases.filter((lease) => lease.userId === userId && lease.state === 'live').length;

function liveWatermark(model: Model, userId: string): number | undefined {
  const entry = model.watermarks.get(userId);
  return entry !== undefined && model.now - entry.writtenAt <= TTL ? entry.at : undefined;
}

function checkAll(model: Model, real: Real): void {
  expect(real.registry.count()).toBe(model.leases.filter((lease) => lease.state === 'live').length);
  for (const who of USERS) expect(real.registry.count(who)).toBe(liveOf(model, who));
}

class Register implements fc.Command<Model, Real> {
  constructor(
    readonly userId: string,
    readonly ageMs: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const issuedAt = model.now - this.ageMs;
    const watermark = liveWatermark(model, this.userId);
    let expected: string | undefined;
    if (watermark !== undefined && issuedAt <= watermark) expected = 'SESSION_REVOKED';
    else if (liveOf(model, this.userId) >= model.cap) expected = 'TOO_MANY_SESSIONS';
    let outcome: Lease | { code: unknown };
    try {
      outcome = real.registry.register(this.userId, { kind: 'events', issuedAt });
    } catch (error) {
      outcome = { code: (error as { code?: unknown }).code };
    }
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

class Release implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.leases.length > 0;
  }
  run(model: Model, real: Real): void {
    const index = this.pick % model.leases.length;
    const lease = model.leases[index] as ModelLease;
    (real.leases[index] as Lease).release();
    if (lease.state === 'live') lease.state = 'released';
    checkAll(model, real);
  }
  toString(): string {
    return `release(#${this.pick})`;
  }
}

class Cancel implements fc.Command<Model, Real> {
  constructor(readonly userId: string) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const expected = liveOf(model, this.userId);
    expect(real.registry.cancelUser(this.userId)).toBe(expected);
    for (const lease of model.leases)
      if (lease.userId === this.userId && lease.state === 'live') lease.state = 'cancelled';
    const previous = liveWatermark(model, this.userId);
    model.watermarks.set(this.userId, {
      at: Math.max(previous ?? model.now, model.now),
      writtenAt: model.now,
    });
    checkAll(model, real);
  }
  toString(): string {
    return `cancelUser(${this.userId})`;
  }
}

class ReadSignal implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.leases.length > 0;
  }
  run(model: Model, real: Real): void {
    const index = this.pick % model.leases.length;
    const signal = (real.leases[index] as Lease).signal;
    expect(signal.aborted).toBe((model.leases[index] as ModelLease).state === 'cancelled');
  }
  toString(): string {
    return `signal(#${this.pick})`;
  }
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    model.now += this.ms;
    real.clock.now += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

const commands = [
  fc.tuple(user, fc.integer({ min: -5, max: 3 * TTL })).map(([who, age]) => new Register(who, age)),
  fc.nat().map((pick) => new Release(pick)),
  user.map((who) => new Cancel(who)),
  fc.nat().map((pick) => new ReadSignal(pick)),
  fc.integer({ min: 1, max: TTL / 2 }).map((ms) => new Advance(ms)),
];

describe('createRegistry model', () => {
  test.prop([fc.commands(commands, { maxCommands: 80 }), fc.integer({ min: 1, max: 4 })], { numRuns: 300 })(
    'register / release / cancelUser / watermark sequences match the model',
    (cmds, cap) => {
      const clock = { now: T0 };
      const setup = () => ({
        model: { now: T0, cap, leases: [], watermarks: new Map() } satisfies Model,
        real: {
          registry: createRegistry({
            watermarkTtlMs: TTL,
            maxLeasesPerUser: cap,
            maxWatermarks: 16,
            now: () => clock.now,
          }),
          clock,
          leases: [],
        } satisfies Real,
      });
      fc.modelRun(setup, cmds);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Concurrency: two instances on one bus whose store reads, store writes and message deliveries are
// ordered by fast-check's scheduler.

function scheduledBus(s: fc.Scheduler): RevocationBus {
  const listeners = new Set<(revocation: Revocation) => void>();
  const stored = new Map<string, number>();
  return {
    async publish(revocation) {
      const write = s.schedule(Promise.resolve(), 'store write').then(() => {
        stored.set(revocation.userId, Math.max(stored.get(revocation.userId) ?? 0, revocation.at));
      });
      const deliveries = [...listeners].map((listener) =>
        s.schedule(Promise.resolve(), 'deliver').then(() => listener(revocation)),
      );
      await Promise.all([write, ...deliveries]);
    },
    async watermark(userId) {
      return s.schedule(Promise.resolve(), 'store read').then(() => stored.get(userId));
    },
    async subscribe(listener) {
      listeners.add(listener);
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
    ],
    { numRuns: 10_000 },
  )(
    'no lease of an old credential outlives its user’s logout, on either instance',
    async (s, opens, logoutAfter) => {
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

      const leases: Lease[] = [];
      const tasks: Promise<unknown>[] = opens.map(([onA, who], i) => {
        const registry = onA ? a : b;
        // Credentials authenticated before the logout; registrations race with it.
        const open = registry
          .registerAsync(who, { kind: 'events', issuedAt: T0 })
          .then((lease) => leases.push(lease))
          .catch((error: unknown) => {
            expect(error).toMatchObject({ code: 'SESSION_REVOKED', reason: 'issued-before-revocation' });
            expect(who).toBe('alice');
          });
        return i === logoutAfter ? Promise.all([open, a.revokeUser('alice')]) : open;
      });
      if (logoutAfter >= opens.length) tasks.push(a.revokeUser('alice'));
      await s.waitFor(Promise.all(tasks));

      for (const lease of leases) expect(lease.signal.aborted).toBe(lease.userId === 'alice');
      expect(a.count('alice') + b.count('alice')).toBe(0);
    },
    60_000,
  );
});

// ---------------------------------------------------------------------------------------------------
// Model-based, two instances on one bus: registerAsync / revokeUser / release / clock sequences. The bus
// stores watermarks with the same TTL rule as Redis `PX` and delivers each message before `publish`
// resolves, so every step has one expected outcome. A logout whose message the other instance misses
// (at-most-once pub/sub) is followed, at some point, by a reconcile that must catch up.

interface Stamp {
  at: number;
  writtenAt: number;
}
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

const alive = (model: BusModel, stamp: Stamp | undefined): number | undefined =>
  stamp !== undefined && model.now - stamp.writtenAt <= TTL ? stamp.at : undefined;

function raise(model: BusModel, table: Map<string, Stamp>, userId: string, at: number): void {
  const previous = alive(model, table.get(userId));
  table.set(userId, { at: Math.max(previous ?? at, at), writtenAt: model.now });
}

type ClockedBus = RevocationBus & { lose: boolean };

function clockedBus(clock: { now: number }): ClockedBus {
  const listeners = new Set<(revocation: Revocation) => void>();
  const stored = new Map<string, Stamp>();
  const live = (userId: string): number | undefined => {
    const stamp = stored.get(userId);
    return stamp !== undefined && clock.now - stamp.writtenAt <= TTL ? stamp.at : undefined;
  };
  const bus: ClockedBus = {
    lose: false,
    async publish(revocation) {
      const previous = live(revocation.userId);
      stored.set(revocation.userId, {
        at: Math.max(previous ?? revocation.at, revocation.at),
        writtenAt: clock.now,
      });
      // A lost message: stored, never delivered (the publisher skips its own echo anyway).
      if (!bus.lose) for (const listener of listeners) listener(revocation);
    },
    async watermark(userId) {
      return live(userId);
    },
    async subscribe(listener) {
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

class RegisterAsync implements fc.AsyncCommand<BusModel, BusReal> {
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
    let expected: string | undefined;
    const before = alive(model, local.get(this.userId));
    if (before !== undefined && issuedAt <= before) expected = 'SESSION_REVOKED';
    else {
      const stored = alive(model, model.store.get(this.userId));
      if (stored !== undefined) raise(model, local, this.userId, stored);
      const after = alive(model, local.get(this.userId));
      const live = model.leases.filter(
        (l) => l.instance === this.instance && l.userId === this.userId && l.state === 'live',
      ).length;
      if (after !== undefined && issuedAt <= after) expected = 'SESSION_REVOKED';
      else if (live >= model.cap) expected = 'TOO_MANY_SESSIONS';
    }
    const outcome = await real.instances[this.instance]
      .registerAsync(this.userId, { kind: 'events', issuedAt })
      .catch((error: unknown) => ({ code: (error as { code?: unknown }).code }));
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
    return `registerAsync(#${this.instance}, ${this.userId}, age ${this.ageMs})`;
  }
}

class Revoke implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(
    readonly instance: 0 | 1,
    readonly userId: string,
    /** The other instance's subscriber is down: the watermark is stored, the message is lost. */
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
      expect(await real.instances[this.instance].revokeUser(this.userId)).toBe(here);
    } finally {
      real.bus.lose = false;
    }
    for (const lease of model.leases) {
      const reached = !this.lost || lease.instance === this.instance;
      if (reached && lease.userId === this.userId && lease.state === 'live') lease.state = 'cancelled';
    }
    const tables = this.lost ? [model.local[this.instance]] : model.local;
    for (const table of [...tables, model.store]) raise(model, table, this.userId, model.now);
    checkBus(model, real);
  }
  toString(): string {
    return `revokeUser(#${this.instance}, ${this.userId}${this.lost ? ', message lost' : ''})`;
  }
}

class Reconcile implements fc.AsyncCommand<BusModel, BusReal> {
  constructor(readonly instance: 0 | 1) {}
  check(): boolean {
    return true;
  }
  async run(model: BusModel, real: BusReal): Promise<void> {
    const live = model.leases.filter((l) => l.instance === this.instance && l.state === 'live');
    let expected = 0;
    for (const who of new Set(live.map((l) => l.userId))) {
      const stored = alive(model, model.store.get(who));
      if (stored === undefined) continue;
      raise(model, model.local[this.instance], who, stored);
      for (const lease of live) {
        if (lease.userId === who && lease.issuedAt <= stored) {
          lease.state = 'cancelled';
          expected++;
        }
      }
    }
    expect(await real.instances[this.instance].reconcile()).toBe(expected);
    // The invariant itself, independent of the bookkeeping above: after a reconcile no lease here is
    // older than its user's stored logout.
    for (const [i, lease] of model.leases.entries()) {
      const stored = alive(model, model.store.get(lease.userId));
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
    .map(([i, who, age]) => new RegisterAsync(i, who, age)),
  fc.tuple(instance, user, fc.boolean()).map(([i, who, lost]) => new Revoke(i, who, lost)),
  instance.map((i) => new Reconcile(i)),
  fc.nat().map((pick) => new ReleaseAny(pick)),
  fc.integer({ min: 1, max: TTL / 2 }).map((ms) => new AdvanceBoth(ms)),
];

describe('createRegistry model across two instances', () => {
  // 1,000 runs (~1 s): fewer rarely reach "credential issued in the logout's millisecond, message lost".
  test.prop([fc.commands(busCommands, { maxCommands: 60 }), fc.integer({ min: 1, max: 3 })], {
    numRuns: 1_000,
  })(
    'registerAsync / revokeUser (delivered or lost) / reconcile / release / watermark sequences match the model',
    async (cmds, cap) => {
      const clock = { now: T0 };
      const bus = clockedBus(clock);
      const options = {
        watermarkTtlMs: TTL,
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
    },
    60_000,
  );
});
