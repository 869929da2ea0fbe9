import { describe, expect, it } from 'vitest';
import { createMemoryReplayGuard } from './replay-guard.js';

describe('createMemoryReplayGuard', () => {
  it('accepts a jti once until it expires, then forgets it', async () => {
    let clock = 1000;
    const guard = createMemoryReplayGuard({ max: 10, now: () => clock });
    expect(await guard.claim('a', 2000)).toBe(true);
    expect(await guard.claim('a', 2000)).toBe(false);
    clock = 2000;
    expect(await guard.claim('a', 3000)).toBe(true);
  });

  it('refuses new ids with CAPACITY_EXHAUSTED when full of live ids, without evicting any', async () => {
    const guard = createMemoryReplayGuard({ max: 2, now: () => 1000 });
    await guard.claim('a', 5000);
    await guard.claim('b', 5000);
    await expect(guard.claim('c', 5000)).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      reason: 'replay-guard-full',
      status: 503,
    });
    expect(await guard.claim('a', 5000)).toBe(false);
    expect(guard.size).toBe(2);
  });

  it('reclaims expired ids when full', async () => {
    let clock = 1000;
    const guard = createMemoryReplayGuard({ max: 2, now: () => clock });
    await guard.claim('a', 2000);
    await guard.claim('b', 9000);
    clock = 2500;
    expect(await guard.claim('c', 9000)).toBe(true);
    expect(await guard.claim('b', 9000)).toBe(false);
    expect(guard.size).toBe(2);
  });

  it('holds nothing for a token already past its window', async () => {
    const guard = createMemoryReplayGuard({ max: 1, now: () => 5000 });
    expect(await guard.claim('old', 4000)).toBe(true);
    expect(guard.size).toBe(0);
  });

  it('rejects a bad max with TypeError', () => {
    expect(() => createMemoryReplayGuard({ max: 0 })).toThrow(TypeError);
  });
});

describe('createMemoryReplayGuard at scale', () => {
  it('full and churning, reclaims in order without rescanning live ids, and stays exact', async () => {
    let clock = 0;
    const max = 10_000;
    const guard = createMemoryReplayGuard({ max, now: () => clock });
    for (let i = 0; i < max; i++) expect(await guard.claim(`f${i}`, i + 1)).toBe(true);
    await expect(guard.claim('extra', max + 10)).rejects.toMatchObject({ code: 'CAPACITY_EXHAUSTED' });
    // One id expires per tick: every new claim fits, every id still live is still a replay.
    for (let i = 0; i < max; i++) {
      clock = i + 1;
      expect(await guard.claim(`c${i}`, clock + max)).toBe(true);
      if (i + 1 < max) expect(await guard.claim(`f${i + 1}`, 0)).toBe(false);
    }
    expect(guard.size).toBe(max);
  });

  it('frees an id claimed again with a later expiry only when that later expiry passes', async () => {
    let clock = 0;
    const guard = createMemoryReplayGuard({ max: 1, now: () => clock });
    expect(await guard.claim('a', 10)).toBe(true);
    clock = 10;
    expect(await guard.claim('a', 100)).toBe(true);
    clock = 50;
    expect(await guard.claim('a', 100)).toBe(false);
    await expect(guard.claim('b', 100)).rejects.toMatchObject({ code: 'CAPACITY_EXHAUSTED' });
    clock = 100;
    expect(await guard.claim('b', 200)).toBe(true);
  });
});
