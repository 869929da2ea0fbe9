/**
 * Issue 13's scale figures for the registry: per-operation cost at N = 1,000 and N = 100,000 (the
 * revocation check also at 1M), with the structure full (and churning where it has a "full" state); the
 * figure is cost(100k) ÷ cost(1k), goal <= 1.5. The revocation check probes every key in turn, which at
 * 100k misses the CPU caches whatever holds the keys: it is judged by its growth over a bare Map's growth
 * probed the same way. Memory per item beside. All sizes are measured interleaved in one run.
 */
import { createRegistry, type Registry } from '@latchkey/registry';
import { createMemoryRevocationBus } from '@latchkey/registry/testing';
import {
  type BenchContext,
  type Benchmark,
  compareThroughput,
  type Figure,
  type Operation,
  plain,
  versus,
} from '../harness.js';
import { collector } from './registry.js';

let sink = 0;
const SMALL = 1_000;
const LARGE = 100_000;
const HUGE = 1_000_000;
const sizeLabel = (size: number): string => (size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1_000}k`);
const TTL = 15 * 60_000;
const ids = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/**
 * Cost per op in µs at 1k and at each larger size, from ops/s measured interleaved; each larger size is
 * beside 1k, held to `target` (default `<= 1.5`; `null`: reported only).
 */
async function scale(
  name: string,
  context: BenchContext,
  make: (size: number) => Promise<Operation>,
  options: {
    readonly inFlight?: number;
    readonly sizes?: readonly number[];
    readonly target?: string | null;
  } = {},
): Promise<Figure[]> {
  const sizes = options.sizes ?? [LARGE];
  const cases: Record<string, Operation> = { small: await make(SMALL) };
  for (const size of sizes) cases[String(size)] = await make(size);
  const rates = await compareThroughput(cases, context, options);
  const baseline = { name: `${name} at 1k`, value: 1e6 / (rates.small as number) };
  const target = options.target === undefined ? '<= 1.5' : options.target;
  return [
    plain(baseline.name, baseline.value, 'µs/op'),
    ...sizes.map((size) =>
      versus(
        `${name} at ${sizeLabel(size)}`,
        1e6 / (rates[String(size)] as number),
        'µs/op',
        baseline,
        target === null ? {} : { target },
      ),
    ),
  ];
}

async function fullTable(
  size: number,
  clock: { now: number },
): Promise<{ registry: Registry; users: string[] }> {
  const registry = createRegistry({ watermarkTtlMs: TTL, maxWatermarks: size, now: () => clock.now });
  const users = ids(`w${size}-`, size);
  for (const user of users) await registry.revoke(user);
  return { registry, users };
}

function heapPer(gc: () => void, count: number, fill: () => Promise<unknown>): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  return fill().then((held) => {
    gc();
    sink += held === undefined ? 0 : 1;
    return (process.memoryUsage().heapUsed - before) / count;
  });
}

const benchmarks: Benchmark[] = [
  {
    name: 'scale registry check, full watermark table',
    async run(context) {
      const clock = { now: 1_000 };
      const sizes = [LARGE, HUGE];
      // The memory hierarchy's own share: a bare Map of as many numbers, probed the same way.
      const bare = await scale(
        'bare Map.get, as many keys (1 in 2 present)',
        context,
        async (size) => {
          const map = new Map<string, number>(ids(`w${size}-`, size).map((user) => [user, 1]));
          const probes = [...map.keys(), ...ids(`clean${size}-`, size)];
          let i = 0;
          return () => {
            const value = map.get(probes[i++ % probes.length] as string);
            sink += value !== undefined && value >= 2 ? 1 : 0;
          };
        },
        { sizes, target: null },
      );
      const registry = await scale(
        'decideRevocation, table full (1 in 2 revoked)',
        context,
        async (size) => {
          const { registry, users } = await fullTable(size, clock);
          const probes = [...users, ...ids(`clean${size}-`, size)];
          let i = 0;
          return () => {
            sink += registry.decideRevocation(probes[i++ % probes.length] as string, 2_000)?.ok ? 1 : 0;
          };
        },
        { sizes, target: null },
      );
      // A hash lookup over 100x the keys misses the CPU caches whatever holds them (the bare Map's own
      // growth shows how much); what the registry must not add is growth of its own.
      return [
        ...bare,
        ...registry,
        ...sizes.map((size, k) =>
          plain(
            `decideRevocation growth ÷ bare Map growth at ${sizeLabel(size)}`,
            (registry[k + 1]?.ratio ?? Number.NaN) / (bare[k + 1]?.ratio ?? Number.NaN),
            '×',
            { target: '<= 1.5' },
          ),
        ),
      ];
    },
  },
  {
    name: 'scale registry revoke, full table churning',
    async run(context) {
      const clock = { now: 1_000 };
      return scale('revoke a new user, table full (evicts into the floor)', context, async (size) => {
        const { registry } = await fullTable(size, clock);
        let i = 0;
        return () => registry.revoke(`churn${size}-${i++}`);
      });
    },
  },
  {
    name: 'scale registry register + release, N users live',
    async run(context) {
      return scale('register + release, N users with a lease', context, async (size) => {
        const registry = createRegistry({ watermarkTtlMs: TTL, maxUsers: size + 1, now: () => 1 });
        const users = ids(`u${size}-`, size);
        for (const user of users) await registry.register(user, { issuedAtMs: 2 });
        let i = 0;
        return async () => {
          const lease = await registry.register(users[i++ % size] as string, { issuedAtMs: 2 });
          lease.release();
          sink += registry.count();
        };
      });
    },
  },
  {
    name: 'scale registry refusal, maxUsers full',
    async run(context) {
      return scale('register refused (CAPACITY_EXHAUSTED), maxUsers full', context, async (size) => {
        const registry = createRegistry({ watermarkTtlMs: TTL, maxUsers: size, now: () => 1 });
        for (const user of ids(`f${size}-`, size)) await registry.register(user, { issuedAtMs: 2 });
        let i = 0;
        return () =>
          registry.register(`new${size}-${i++}`, { issuedAtMs: 2 }).then(
            () => {
              throw new Error('expected a refusal');
            },
            () => {
              sink++;
            },
          );
      });
    },
  },
  {
    name: 'scale registry check with a bus, known set full churning',
    async run(context) {
      return scale('assertNotRevoked of a new user (store read), known set full', context, async (size) => {
        const bus = createMemoryRevocationBus({ heartbeatMs: 60_000 });
        const registry = createRegistry({
          watermarkTtlMs: TTL,
          bus,
          maxWatermarks: size,
          staleAfterMs: 600_000,
        });
        await registry.ready;
        for (const user of ids(`k${size}-`, size)) await registry.assertNotRevoked(user, Date.now());
        let i = 0;
        return () => registry.assertNotRevoked(`n${size}-${i++}`, Date.now());
      });
    },
  },
  {
    name: 'scale registry memory per item',
    async run() {
      const gc = collector();
      const count = LARGE;
      const perWatermark = await heapPer(
        gc,
        count,
        async () => (await fullTable(count, { now: 1_000 })).registry,
      );
      const perUser = await heapPer(gc, count, async () => {
        const registry = createRegistry({ watermarkTtlMs: TTL, maxUsers: count, now: () => 1 });
        for (const user of ids('m-', count)) await registry.register(user, { issuedAtMs: 2 });
        return registry;
      });
      const perKnown = await heapPer(gc, count, async () => {
        const bus = createMemoryRevocationBus({ heartbeatMs: 60_000 });
        const registry = createRegistry({
          watermarkTtlMs: TTL,
          bus,
          maxWatermarks: count,
          staleAfterMs: 600_000,
        });
        await registry.ready;
        for (const user of ids('known-', count)) await registry.assertNotRevoked(user, Date.now());
        return { registry, bus };
      });
      if (sink === 0) throw new Error('benchmark produced no results');
      return [
        plain('memory per watermark (no bus, 100k)', perWatermark, 'B/item'),
        plain('memory per user with 1 lease (100k)', perUser, 'B/item'),
        plain('memory per known-clean user (bus, 100k)', perKnown, 'B/item'),
      ];
    },
  },
];

export default benchmarks;
