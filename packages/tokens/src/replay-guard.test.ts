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
