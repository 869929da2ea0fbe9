/**
 * Issue 13 for `@latchkey/http`: what a new key costs the `/init` rate limiter as its table grows,
 * at N = 1k and N = 100k tracked keys (`maxKeys` = N), in the states that used to turn linear:
 *
 * - full of live buckets (nothing has refilled): a new key is refused — beside a refused tracked key
 *   (`per-key`), which throws the same error, so the ratio shows the bookkeeping alone;
 * - full and churning: the clock moves so that the least recently spent bucket is full again just as
 *   each new key arrives, so every new key reclaims one bucket and is admitted;
 * - a tracked key admitted (a hit), for scale;
 * - a bare `Map` used as a FIFO with the same turnover: what any key table pays at that size.
 *
 * Each figure is cost(100k) ÷ cost(1k) in the same run (goal ≤ 1.5), plus the memory per bucket; the
 * churning case, whose new keys touch cold memory at 100k whatever holds them, is judged by its growth
 * over the bare Map's growth.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRateLimiter, type RateLimiter } from '@latchkey/http';
import { type BenchContext, type Benchmark, median, plain, versus } from '../harness.js';

let sink = 0;
const SIZES = { small: 1_000, large: 100_000 } as const;
const GOAL = '<= 1.5';

const keyOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${i >> 24}`;

/** A limiter whose table holds `size` buckets, none of which refills while `clock.t` stands still. */
function fullOfLive(size: number): { limiter: RateLimiter; tracked: string[] } {
  const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: size, now: () => 0 });
  const tracked: string[] = [];
  for (let i = 0; i < size; i++) {
    const key = keyOf(i);
    limiter.take(key);
    tracked.push(key);
  }
  return { limiter, tracked };
}

/**
 * A limiter whose buckets refill in 1 s and whose clock advances 1 s ÷ size per call, a hair faster,
 * so the head of the table is full again each time a new key arrives.
 */
function churning(size: number): { take: () => void } {
  let t = 0;
  const stepMs = (1000 / size) * 1.0001;
  const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: size, now: () => t });
  let next = 0;
  for (; next < size; next++) {
    limiter.take(keyOf(next));
    t += stepMs;
  }
  return {
    take: () => {
      t += stepMs;
      limiter.take(keyOf(next++));
    },
  };
}

/**
 * The least any key table with turnover does per new key: a bare `Map` used as a FIFO (delete the
 * oldest key, look the new one up, insert it), over the same keys. Its own 100k ÷ 1k ratio shows what
 * the memory hierarchy and V8's hash table cost at that size, whatever the limiter does.
 */
function bareMapChurn(size: number): () => void {
  const map = new Map<string, { tokens: number; at: number }>();
  const ring: string[] = new Array<string>(size);
  let head = 0;
  let next = 0;
  for (; next < size; next++) {
    const key = keyOf(next);
    map.set(key, { tokens: 0, at: next });
    ring[next] = key;
  }
  return () => {
    map.delete(ring[head] as string);
    const key = keyOf(next++);
    if (map.get(key) === undefined) map.set(key, { tokens: 0, at: next });
    ring[head] = key;
    head = head + 1 === size ? 0 : head + 1;
  };
}

/** Runs `fn`, swallowing the RateLimitedError it is expected to throw. */
function refused(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    sink += (error as { status: number }).status & 1;
    return;
  }
  throw new Error('expected a refusal');
}

/**
 * CPU nanoseconds per call of each case: `batch` calls timed with `process.cpuUsage()`, cases
 * interleaved round by round, the median over rounds. CPU time rather than wall time, because on a
 * shared machine wall time mostly measures the neighbours; the ratio between sizes is what matters.
 */
function cpuNsPerOp<K extends string>(
  cases: Record<K, () => void>,
  context: BenchContext,
): Record<K, number> {
  const names = Object.keys(cases) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  const batch = 20_000;
  const timed = (op: () => void): number => {
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) op();
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / batch;
  };
  for (const name of names) timed(cases[name]); // warm-up
  const rounds = Math.max(5, context.rounds * 3);
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, k) => names[(k + round) % names.length] as K);
    for (const name of order) samples.get(name)?.push(timed(cases[name]));
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<
    K,
    number
  >;
}

/** Heap bytes per bucket of a limiter holding `size` keys, with the keys themselves counted. */
function bytesPerBucket(size: number): { limiter: number; bareMap: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const measure = (fill: () => unknown): number => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = fill();
    gc();
    const after = process.memoryUsage().heapUsed;
    sink += held === undefined ? 0 : 1;
    return (after - before) / size;
  };
  return {
    limiter: measure(() => fullOfLive(size).limiter),
    bareMap: measure(() => {
      const map = new Map<string, { tokens: number; at: number }>();
      for (let i = 0; i < size; i++) map.set(keyOf(i), { tokens: 0, at: i });
      return map;
    }),
  };
}

const benchmarks: Benchmark[] = [
  {
    name: 'scale: rate limiter new key',
    async run(context) {
      const small = fullOfLive(SIZES.small);
      const large = fullOfLive(SIZES.large);
      const churnSmall = churning(SIZES.small);
      const churnLarge = churning(SIZES.large);
      // Hits: a generous limiter so each take is admitted, over every tracked key in turn.
      const hitSmall = createRateLimiter({ ratePerSecond: 1e9, burst: 1e9, maxKeys: SIZES.small });
      const hitLarge = createRateLimiter({ ratePerSecond: 1e9, burst: 1e9, maxKeys: SIZES.large });
      for (let k = 0; k < SIZES.large; k++) {
        if (k < SIZES.small) hitSmall.take(keyOf(k));
        hitLarge.take(keyOf(k));
      }
      let i = 0;
      let n = 0;
      const cost = cpuNsPerOp(
        {
          refuseNewSmall: () => refused(() => small.limiter.take(`new-${i++ & 1023}`)),
          refuseNewLarge: () => refused(() => large.limiter.take(`new-${i++ & 1023}`)),
          refuseTrackedSmall: () =>
            refused(() => small.limiter.take(small.tracked[i++ % SIZES.small] as string)),
          refuseTrackedLarge: () =>
            refused(() => large.limiter.take(large.tracked[i++ % SIZES.large] as string)),
          churnSmall: churnSmall.take,
          churnLarge: churnLarge.take,
          bareChurnSmall: bareMapChurn(SIZES.small),
          bareChurnLarge: bareMapChurn(SIZES.large),
          hitSmall: () => hitSmall.take(small.tracked[n++ % SIZES.small] as string),
          hitLarge: () => hitLarge.take(large.tracked[n++ % SIZES.large] as string),
        },
        context,
      );
      const memory = bytesPerBucket(SIZES.large);
      const figure = (label: string, smallNs: number, largeNs: number, target: string | null = GOAL) => [
        plain(`${label}, N = 1k`, smallNs, 'cpu ns/op'),
        versus(
          `${label}, N = 100k`,
          largeNs,
          'cpu ns/op',
          { name: `${label}, N = 1k`, value: smallNs },
          target === null ? {} : { target },
        ),
      ];
      const figures = [
        ...figure('new key refused, full of live buckets', cost.refuseNewSmall, cost.refuseNewLarge),
        versus(
          'new key refused ÷ tracked key refused, N = 100k',
          cost.refuseNewLarge,
          'cpu ns/op',
          { name: 'tracked key refused (per-key), N = 100k', value: cost.refuseTrackedLarge },
          { target: GOAL },
        ),
        ...figure('new key admitted, full and churning', cost.churnSmall, cost.churnLarge, null),
        ...figure(
          'bare Map FIFO churn (delete oldest, insert new)',
          cost.bareChurnSmall,
          cost.bareChurnLarge,
          null,
        ),
        versus('limiter churn ÷ bare Map churn, N = 100k', cost.churnLarge, 'cpu ns/op', {
          name: 'bare Map FIFO churn, N = 100k',
          value: cost.bareChurnLarge,
        }),
        // Churn over 100x the keys misses the CPU caches whatever holds them: the limiter is held to
        // adding no growth of its own beyond the bare Map's.
        plain(
          'limiter churn growth ÷ bare Map churn growth, 100k ÷ 1k',
          cost.churnLarge / cost.churnSmall / (cost.bareChurnLarge / cost.bareChurnSmall),
          '×',
          { target: GOAL },
        ),
        ...figure('tracked key admitted (hit)', cost.hitSmall, cost.hitLarge),
        versus('memory per bucket (100k, with its key)', memory.limiter, 'B', {
          name: 'bare Map<string, { tokens, at }> entry',
          value: memory.bareMap,
        }),
      ];
      if (sink === 0) throw new Error('benchmark produced no results');
      return figures;
    },
  },
];

export default benchmarks;
