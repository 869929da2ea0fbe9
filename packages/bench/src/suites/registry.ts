/**
 * The lease registry against a bare `Map<user, Map<id, AbortController>>` measured in the same run:
 * open + release, open + cancel, cancelling a user with 10,000 leases, and memory per live lease.
 * Every result feeds `sink` (read after the run), so no case can be optimised away.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SessionRevokedError } from '@latchkey/errors';
import { createRegistry, type Lease } from '@latchkey/registry';
import { type Benchmark, compareThroughput, median, plain, versus } from '../harness.js';

let sink = 0;

const USERS: readonly string[] = Array.from({ length: 16 }, (_, i) => `user-${i}`);
const TTL = 15 * 60_000;
// A fixed clock: every watermark is at 1, every credential issued at 2, so logouts never refuse the
// next open and both sides do the same work each iteration.
const NOW = (): number => 1;
const CREDENTIAL = { kind: 'events', issuedAt: 2 } as const;

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
function collector(): () => void {
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
    name: 'registry register + release',
    async run(context) {
      const bare: BareMap = new Map();
      const registry = createRegistry({ watermarkTtlMs: TTL, now: NOW });
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const user = USERS[i & 15] as string;
            const id = i++;
            bareOpen(bare, user, id);
            bareRelease(bare, user, id);
          },
          registry: () => {
            const lease = registry.register(USERS[i++ & 15] as string, CREDENTIAL);
            sink += lease.id & 1;
            lease.release();
          },
        },
        context,
      );
      return [
        plain('bare Map register + delete', rates.bare, 'ops/s'),
        versus(
          'registry register + release',
          rates.registry,
          'ops/s',
          {
            name: 'bare Map register + delete',
            value: rates.bare,
          },
          { target: '>= 1M/s' },
        ),
      ];
    },
  },
  {
    name: 'registry register + cancel',
    async run(context) {
      const bare: BareMap = new Map();
      const registry = createRegistry({ watermarkTtlMs: TTL, now: NOW });
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const user = USERS[i & 15] as string;
            bareOpen(bare, user, i++);
            sink += bareCancel(bare, user);
          },
          registry: () => {
            const user = USERS[i++ & 15] as string;
            registry.register(user, CREDENTIAL);
            sink += registry.cancelUser(user);
          },
        },
        context,
      );
      const baseline = { name: 'bare Map register + abort(reason)', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('registry register + cancel', rates.registry, 'ops/s', baseline, { target: '>= 0.90' }),
      ];
    },
  },
  {
    name: 'registry cancelUser 10k',
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
          const lease = registry.register(user, { kind: 'events', issuedAt: clock });
          lease.signal.addEventListener('abort', onAbort);
          leases.push(lease);
        }
        clock++;
        // Alternate which side goes first, so drift lands on both.
        const order = round % 2 === 0 ? ['bare', 'registry'] : ['registry', 'bare'];
        for (const side of order) {
          // A collection left over from building the leases must not land inside either timing.
          gc();
          const start = performance.now();
          sink += side === 'bare' ? bareCancel(bare, user) : registry.cancelUser(user);
          const elapsed = performance.now() - start;
          // Round 0 is warm-up.
          if (round > 0) (side === 'bare' ? bareTimes : registryTimes).push(elapsed);
        }
        sink += leases.length;
      }
      const baseline = { name: 'bare Map abort 10k', value: median(bareTimes) };
      return [
        plain(baseline.name, baseline.value, 'ms'),
        versus('registry cancelUser 10k', median(registryTimes), 'ms', baseline, { target: '<= 20 ms' }),
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
      for (let round = 0; round < Math.max(3, context.rounds); round++) {
        const measureBare = () =>
          heapPerLease(gc, () => {
            const map: BareMap = new Map();
            for (let i = 0; i < LEASES_FOR_MEMORY; i++) {
              bareOpen(map, USERS_FOR_MEMORY_IDS[i % USERS_FOR_MEMORY] as string, i).signal.addEventListener(
                'abort',
                onAbort,
              );
            }
            return map;
          });
        const measureRegistry = () =>
          heapPerLease(gc, () => {
            const registry = createRegistry({
              watermarkTtlMs: TTL,
              maxLeasesPerUser: perUser,
              maxWatermarks: 16,
              now: NOW,
            });
            for (let i = 0; i < LEASES_FOR_MEMORY; i++) {
              registry
                .register(USERS_FOR_MEMORY_IDS[i % USERS_FOR_MEMORY] as string, CREDENTIAL)
                .signal.addEventListener('abort', onAbort);
            }
            return registry;
          });
        if (round % 2 === 0) {
          bareSamples.push(measureBare());
          registrySamples.push(measureRegistry());
        } else {
          registrySamples.push(measureRegistry());
          bareSamples.push(measureBare());
        }
      }
      // Reading the sink keeps every case observable; it is never zero after a run.
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
