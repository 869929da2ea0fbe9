/**
 * The registry against bare-Map baselines measured in the same run: the revocation check of every
 * request on a live view (goal >= 5M/s), register + release, register + revoke, a revoke that ends
 * 10,000 leases, and memory per live lease. Every result feeds `sink`, so no case can be optimised away.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SessionRevokedError } from '@latchkey/errors';
import { createRegistry, type Lease } from '@latchkey/registry';
import { createMemoryRevocationBus } from '@latchkey/registry/testing';
import { type Benchmark, compareThroughput, median, plain, versus } from '../harness.js';

let sink = 0;

const USERS: readonly string[] = Array.from({ length: 1_024 }, (_, i) => `user-${i}`);
const TTL = 15 * 60_000;
// A fixed clock: every watermark is at 1, every credential issued at 2, so logouts never refuse the
// next open and both sides do the same work each iteration.
const NOW = (): number => 1;
const CREDENTIAL = { kind: 'events', issuedAtMs: 2 } as const;

type BareMap = Map<string, Map<number, AbortController>>;

function bareOpen(map: BareMap, user: string, id: number): AbortController {
  let leases = map.get(user);
  if (leases === undefined) {
    leases = new Map();
    map.set(user, leases);
  }
  const controller = new AbortController();
  leases.set(id, controller);
  return controller;
}

function bareRelease(map: BareMap, user: string, id: number): void {
  const leases = map.get(user);
  if (leases === undefined) return;
  leases.delete(id);
  if (leases.size === 0) map.delete(user);
}

function bareCancel(map: BareMap, user: string): number {
  const leases = map.get(user);
  if (leases === undefined) return 0;
  map.delete(user);
  const reason = new SessionRevokedError('logout');
  for (const controller of leases.values()) controller.abort(reason);
  return leases.size;
}

const onAbort = (): void => {
  sink++;
};

/** `gc()` without `--expose-gc` on the command line. */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const LEASES_FOR_MEMORY = 100_000;
const USERS_FOR_MEMORY = 1_000;
const USERS_FOR_MEMORY_IDS: readonly string[] = Array.from(
  { length: USERS_FOR_MEMORY },
  (_, i) => `member-${i}`,
);

function heapPerLease(gc: () => void, fill: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = fill();
  gc();
  const after = process.memoryUsage().heapUsed;
  sink += held === undefined ? 0 : 1;
  return (after - before) / LEASES_FOR_MEMORY;
}

const benchmarks: Benchmark[] = [
  {
    name: 'registry revocation check (live view)',
    async run(context) {
      // 1,000 users, 1 in 8 logged out: the check answers from the local view for every one of them.
      const watermarks = new Map<string, number>();
      const local = createRegistry({ watermarkTtlMs: TTL, now: NOW });
      const clock = { now: 1 };
      const bus = createMemoryRevocationBus({ heartbeatMs: 1_000 });
      const shared = createRegistry({ watermarkTtlMs: TTL, bus, now: () => clock.now, staleAfterMs: 60_000 });
      await shared.ready;
      for (let i = 0; i < USERS.length; i += 8) {
        watermarks.set(USERS[i] as string, 1);
        await local.revoke(USERS[i] as string);
        await shared.revoke(USERS[i] as string);
      }
      // A whole watermark lifetime of uninterrupted subscription: misses are known clean.
      clock.now += TTL + 5_001;
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const watermark = watermarks.get(USERS[i++ & 1023] as string);
            sink += watermark !== undefined && 2 <= watermark ? 1 : 0;
          },
          local: () => {
            sink += local.decideRevocation(USERS[i++ & 1023] as string, 2)?.ok === true ? 1 : 0;
          },
          shared: () => {
            sink += shared.decideRevocation(USERS[i++ & 1023] as string, clock.now)?.ok === true ? 1 : 0;
          },
        },
        context,
      );
      await shared.close();
      const baseline = { name: 'bare Map.get + compare', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('decideRevocation, no bus', rates.local, 'ops/s', baseline, { target: '>= 5M/s' }),
        versus('decideRevocation, bus, live view', rates.shared, 'ops/s', baseline, { target: '>= 5M/s' }),
      ];
    },
  },
  {
    name: 'registry register + release',
    async run(context) {
      const bare: BareMap = new Map();
      const registry = createRegistry({ watermarkTtlMs: TTL, now: NOW });
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: async () => {
            const user = USERS[i & 15] as string;
            const id = i++;
            bareOpen(bare, user, id);
            bareRelease(bare, user, id);
          },
          registry: async () => {
            const lease = await registry.register(USERS[i++ & 15] as string, CREDENTIAL);
            sink += lease.issuedAtMs & 1;
            lease.release();
          },
        },
        context,
      );
      const baseline = { name: 'bare Map register + delete (async fn)', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('registry register + release', rates.registry, 'ops/s', baseline, { target: '>= 1M/s' }),
      ];
    },
  },
  {
    name: 'registry register + revoke',
    async run(context) {
      const bare: BareMap = new Map();
      const registry = createRegistry({ watermarkTtlMs: TTL, now: NOW });
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: async () => {
            const user = USERS[i & 15] as string;
            bareOpen(bare, user, i++);
            sink += bareCancel(bare, user);
          },
          registry: async () => {
            const user = USERS[i++ & 15] as string;
            await registry.register(user, CREDENTIAL);
            sink += await registry.revoke(user);
          },
        },
        context,
      );
      const baseline = { name: 'bare Map register + abort(reason) (async fn)', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('registry register + revoke', rates.registry, 'ops/s', baseline, { target: '>= 0.50' }),
      ];
    },
  },
  {
    name: 'registry revoke 10k leases',
    async run(context) {
      const COUNT = 10_000;
      const gc = collector();
      let clock = 1;
      const registry = createRegistry({ watermarkTtlMs: TTL, maxLeasesPerUser: COUNT, now: () => clock });
      const bareTimes: number[] = [];
      const registryTimes: number[] = [];
      const rounds = Math.max(5, context.rounds * 2);
      for (let round = 0; round < rounds + 1; round++) {
        // Each lease as a stream holds it: signal read, one abort listener.
        const user = `big-${round}`;
        const bare: BareMap = new Map();
        for (let id = 0; id < COUNT; id++) bareOpen(bare, user, id).signal.addEventListener('abort', onAbort);
        clock++;
        const leases: Lease[] = [];
        for (let id = 0; id < COUNT; id++) {
          const lease = await registry.register(user, { kind: 'events', issuedAtMs: clock });
          lease.signal.addEventListener('abort', onAbort);
          leases.push(lease);
        }
        clock++;
        const order = round % 2 === 0 ? ['bare', 'registry'] : ['registry', 'bare'];
        for (const side of order) {
          gc();
          const start = performance.now();
          sink += side === 'bare' ? bareCancel(bare, user) : await registry.revoke(user);
          const elapsed = performance.now() - start;
          if (round > 0) (side === 'bare' ? bareTimes : registryTimes).push(elapsed);
        }
        sink += leases.length;
      }
      const baseline = { name: 'bare Map abort 10k', value: median(bareTimes) };
      return [
        plain(baseline.name, baseline.value, 'ms'),
        versus('registry revoke 10k leases', median(registryTimes), 'ms', baseline, { target: '<= 20 ms' }),
      ];
    },
  },
  {
    name: 'registry memory per lease',
    async run(context) {
      const gc = collector();
      const perUser = LEASES_FOR_MEMORY / USERS_FOR_MEMORY;
      const bareSamples: number[] = [];
      const registrySamples: number[] = [];
      const fillRegistry = async (): Promise<number> => {
        gc();
        const before = process.memoryUsage().heapUsed;
        const registry = createRegistry({ watermarkTtlMs: TTL, maxLeasesPerUser: perUser, now: NOW });
        for (let i = 0; i < LEASES_FOR_MEMORY; i++) {
          const lease = await registry.register(
            USERS_FOR_MEMORY_IDS[i % USERS_FOR_MEMORY] as string,
            CREDENTIAL,
          );
          lease.signal.addEventListener('abort', onAbort);
        }
        gc();
        const after = process.memoryUsage().heapUsed;
        sink += registry.count();
        return (after - before) / LEASES_FOR_MEMORY;
      };
      for (let round = 0; round < Math.max(3, context.rounds); round++) {
        bareSamples.push(
          heapPerLease(gc, () => {
            const map: BareMap = new Map();
            for (let i = 0; i < LEASES_FOR_MEMORY; i++) {
              bareOpen(map, USERS_FOR_MEMORY_IDS[i % USERS_FOR_MEMORY] as string, i).signal.addEventListener(
                'abort',
                onAbort,
              );
            }
            return map;
          }),
        );
        registrySamples.push(await fillRegistry());
      }
      if (sink === 0) throw new Error('benchmark produced no results');
      const baseline = { name: 'bare Map + signal + 1 listener', value: median(bareSamples) };
      return [
        plain(baseline.name, baseline.value, 'B/lease'),
        versus('registry memory per live lease', median(registrySamples), 'B/lease', baseline, {
          target: '<= 1.15',
        }),
      ];
    },
  },
];

export default benchmarks;
