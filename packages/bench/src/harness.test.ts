import { describe, expect, it } from 'vitest';
import { compareLatency, compareThroughput, median, percentile, plain, versus } from './harness.js';
import { formatTable, meetsTarget } from './table.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('percentile', () => {
  it('uses the nearest-rank method on sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('versus', () => {
  it('states the ratio as value over baseline', () => {
    expect(versus('a', 90, 'ops/s', { name: 'b', value: 100 })).toMatchObject({
      baseline: 'b',
      baselineValue: 100,
      ratio: 0.9,
    });
    expect(versus('a', 1, 'ops/s', { name: 'b', value: 0 }).ratio).toBeNull();
    expect(plain('b', 100, 'ops/s')).toMatchObject({ baseline: null, ratio: null });
  });
});

describe('compareThroughput', () => {
  it('measures sync and async cases and ranks a slower case below a faster one', async () => {
    let sink = 0;
    const result = await compareThroughput(
      {
        fast: () => {
          sink += 1;
        },
        slow: () => {
          for (let i = 0; i < 2_000; i++) sink += i;
        },
        async: async () => {
          sink += 1;
        },
      },
      { rounds: 3, roundMs: 20 },
      { warmupMs: 5 },
    );
    expect(result.fast).toBeGreaterThan(result.slow);
    expect(result.async).toBeGreaterThan(0);
    expect(sink).toBeGreaterThan(0);
  });

  it('keeps several async operations in flight', async () => {
    const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
    const { one } = await compareThroughput({ one: wait }, { rounds: 1, roundMs: 100 }, { warmupMs: 5 });
    const { many } = await compareThroughput(
      { many: wait },
      { rounds: 1, roundMs: 100 },
      { inFlight: 8, warmupMs: 5 },
    );
    expect(many).toBeGreaterThan(one * 3);
  });
});

describe('compareLatency', () => {
  it('reports p50 at or below p99, in microseconds', async () => {
    const { sleep } = await compareLatency(
      { sleep: () => new Promise((resolve) => setTimeout(resolve, 1)) },
      { rounds: 2, roundMs: 10 },
      { samplesPerRound: 20, warmup: 2 },
    );
    expect(sleep.p50).toBeGreaterThanOrEqual(900);
    expect(sleep.p99).toBeGreaterThanOrEqual(sleep.p50);
  });
});

describe('formatTable', () => {
  it('prints one aligned row per figure with its ratio', () => {
    const table = formatTable([
      plain('raw', 1000, 'ops/s'),
      versus('session sign', 950, 'ops/s', { name: 'raw', value: 1000 }, { target: '>= 0.90' }),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain('0.95×');
    expect(lines[3]).toContain('>= 0.90');
    expect(lines[3]?.endsWith('yes')).toBe(true);
  });

  it('judges a ratio, a value with a unit, and leaves reported figures unjudged', () => {
    const base = { name: 'raw', value: 100 };
    expect(meetsTarget(versus('a', 96, 'ops/s', base, { target: '>= 0.95' }))).toBe(true);
    expect(meetsTarget(versus('b', 94, 'ops/s', base, { target: '>= 0.95' }))).toBe(false);
    expect(meetsTarget(versus('c', 150, 'µs', base, { target: '<= 1.5' }))).toBe(true);
    expect(meetsTarget(versus('d', 151, 'µs', base, { target: '<= 1.50' }))).toBe(false);
    expect(meetsTarget(plain('e', 1.2, '×', { target: '<= 1.50' }))).toBe(true);
    expect(meetsTarget(versus('f', 2e6, 'ops/s', base, { target: '>= 1M/s' }))).toBe(true);
    expect(meetsTarget(plain('g', 0.9e6, 'ops/s', { target: '>= 1M/s' }))).toBe(false);
    expect(meetsTarget(plain('h', 25, 'ms', { target: '<= 20 ms' }))).toBe(false);
    expect(meetsTarget(plain('i', Number.NaN, '×', { target: '<= 1.50' }))).toBe(false);
    expect(meetsTarget(plain('j', 1, '×', { target: 'reported' }))).toBeUndefined();
    expect(meetsTarget(plain('k', 1, '×'))).toBeUndefined();
  });
});
