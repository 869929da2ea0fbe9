/**
 * Measurement primitives. Every figure is measured beside its baseline in the same run, with the
 * cases interleaved round by round (A B C, B C A, C A B, …) so that drift in machine load lands on all
 * of them alike; each figure is the median over rounds.
 */

/** One printed figure. `ratio` is `value / baselineValue`: above 1 is faster for a rate, slower for a time. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: string | null;
  readonly baselineValue: number | null;
  readonly ratio: number | null;
  /** The 99th percentile, beside a p50 latency figure. */
  readonly p99?: number;
  /** A target the figure is held to, e.g. `>= 0.90`, printed beside it. */
  readonly target?: string;
}

/** How long and how often to measure. */
export interface BenchContext {
  readonly rounds: number;
  readonly roundMs: number;
}

/** A named benchmark; running it yields its figures, baselines included. */
export interface Benchmark {
  readonly name: string;
  run(context: BenchContext): Promise<Figure[]>;
}

/** An operation to measure: synchronous, or returning a promise. */
export type Operation = () => unknown;

/** A figure with no baseline (a baseline itself, or a plain report). */
export function plain(name: string, value: number, unit: string, extra: Partial<Figure> = {}): Figure {
  return { name, value, unit, baseline: null, baselineValue: null, ratio: null, ...extra };
}

/** A figure beside its baseline. */
export function versus(
  name: string,
  value: number,
  unit: string,
  baseline: { readonly name: string; readonly value: number },
  extra: Partial<Figure> = {},
): Figure {
  return {
    name,
    value,
    unit,
    baseline: baseline.name,
    baselineValue: baseline.value,
    ratio: baseline.value === 0 ? null : value / baseline.value,
    ...extra,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const index = Math.min(
    sortedValues.length - 1,
    Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1),
  );
  return sortedValues[index] as number;
}

/** `items` rotated left by `by`: round `by` of an interleaved measurement starts with a different case. */
export function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const now = (): number => performance.now();

/** Runs `op` for `ms`, returning ops/s. Sync ops run in a tight loop; async ops keep `inFlight` pending. */
async function throughputOnce(op: Operation, ms: number, inFlight: number): Promise<number> {
  const first = op();
  if (!(first instanceof Promise) && inFlight === 1) {
    let count = 1;
    const start = now();
    const end = start + ms;
    let t = start;
    while (t < end) {
      for (let i = 0; i < 64; i++) op();
      count += 64;
      t = now();
    }
    return count / ((t - start) / 1000);
  }
  await first;
  let count = 0;
  const start = now();
  const end = start + ms;
  const worker = async (): Promise<void> => {
    while (now() < end) {
      await op();
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return count / ((now() - start) / 1000);
}

/**
 * Median ops/s of each case over `context.rounds` interleaved rounds.
 *
 * @param options.inFlight operations kept pending at once (async cases), default 1
 * @param options.warmupMs time each case runs before the first round, so the JIT and caches settle
 */
export async function compareThroughput<K extends string>(
  cases: Record<K, Operation>,
  context: BenchContext,
  options: { readonly inFlight?: number; readonly warmupMs?: number } = {},
): Promise<Record<K, number>> {
  const names = Object.keys(cases) as K[];
  const inFlight = options.inFlight ?? 1;
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const name of names)
    await throughputOnce(cases[name], options.warmupMs ?? Math.min(200, context.roundMs), inFlight);
  for (let round = 0; round < context.rounds; round++) {
    for (const name of rotated(names, round)) {
      samples.get(name)?.push(await throughputOnce(cases[name], context.roundMs, inFlight));
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name) ?? [])])) as Record<
    K,
    number
  >;
}

/** p50 and p99 latency in microseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/**
 * Latency of each case, one operation at a time, over interleaved rounds: the p50 and p99 of each
 * round, then their medians over rounds.
 */
export async function compareLatency<K extends string>(
  cases: Record<K, Operation>,
  context: BenchContext,
  options: { readonly samplesPerRound?: number; readonly warmup?: number } = {},
): Promise<Record<K, Latency>> {
  const names = Object.keys(cases) as K[];
  const perRound = options.samplesPerRound ?? 2_000;
  const p50s = new Map<K, number[]>(names.map((name) => [name, []]));
  const p99s = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < (options.warmup ?? 500); i++) await cases[name]();
  for (let round = 0; round < context.rounds; round++) {
    for (const name of rotated(names, round)) {
      const times = new Float64Array(perRound);
      const op = cases[name];
      for (let i = 0; i < perRound; i++) {
        const start = now();
        await op();
        times[i] = (now() - start) * 1000;
      }
      const sorted = Array.from(times).sort((a, b) => a - b);
      p50s.get(name)?.push(percentile(sorted, 50));
      p99s.get(name)?.push(percentile(sorted, 99));
    }
  }
  return Object.fromEntries(
    names.map((name) => [name, { p50: median(p50s.get(name) ?? []), p99: median(p99s.get(name) ?? []) }]),
  ) as Record<K, Latency>;
}
