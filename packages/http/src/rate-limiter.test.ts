import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number): void => {
      t += ms;
    },
  };
}

const refusal = (fn: () => void): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('createRateLimiter', () => {
  it('admits a burst, then refuses with RATE_LIMITED / per-key and a Retry-After', () => {
    const { now } = clock();
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 5, now });
    for (let i = 0; i < 5; i++) limiter.take('a');
    expect(refusal(() => limiter.take('a'))).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      reason: 'per-key',
      retryAfterSeconds: 1,
    });
  });

  it('refills at the given rate', () => {
    const { now, advance } = clock();
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 1, now });
    limiter.take('a');
    advance(499);
    expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
    advance(1);
    expect(refusal(() => limiter.take('a'))).toBeUndefined();
  });

  it('reports whole seconds until the next token, at least 1', () => {
    const { now } = clock();
    const limiter = createRateLimiter({ ratePerSecond: 0.1, burst: 1, now });
    limiter.take('a');
    expect(refusal(() => limiter.take('a'))).toMatchObject({ retryAfterSeconds: 10 });
  });

  it('keeps keys apart', () => {
    const { now } = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, now });
    limiter.take('a');
    expect(refusal(() => limiter.take('b'))).toBeUndefined();
    expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
  });

  it('applies the global bucket across keys, and a refusal spends nothing', () => {
    const { now, advance } = clock();
    const limiter = createRateLimiter({
      ratePerSecond: 1,
      burst: 2,
      global: { ratePerSecond: 1, burst: 3 },
      now,
    });
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect(refusal(() => limiter.take('d'))).toMatchObject({ code: 'RATE_LIMITED', reason: 'global' });
    advance(1000);
    // 'd' was refused, so it still has its whole burst; the global bucket has one token again.
    limiter.take('d');
    expect(refusal(() => limiter.take('d'))).toMatchObject({ reason: 'global' });
  });

  it('does not refill when the clock steps back', () => {
    const { now, advance } = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, now });
    limiter.take('a');
    advance(-60_000);
    expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
    advance(60_000 + 999);
    expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
    advance(1);
    expect(refusal(() => limiter.take('a'))).toBeUndefined();
  });

  describe('with a full key table', () => {
    it('drops buckets that refilled completely to make room', () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 2, now });
      limiter.take('a');
      limiter.take('b');
      advance(1000);
      limiter.take('c');
      expect(limiter.size).toBeLessThanOrEqual(2);
    });

    it('refuses a new key with reason global when no bucket is full (fail closed)', () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 2, now });
      for (const key of ['a', 'a', 'b', 'b']) limiter.take(key);
      expect(refusal(() => limiter.take('c'))).toMatchObject({
        code: 'RATE_LIMITED',
        reason: 'global',
        retryAfterSeconds: 2,
      });
      // The tracked keys keep their spent buckets: eviction never hands them a fresh burst.
      expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
      expect(limiter.size).toBe(2);
      advance(1000);
      expect(refusal(() => limiter.take('c'))).toMatchObject({ reason: 'global', retryAfterSeconds: 1 });
      advance(1000);
      limiter.take('c');
      expect(limiter.size).toBe(1); // 'a' and 'b' were both full again, so both were dropped
    });
  });

  describe('reclaiming in the order buckets were last spent from', () => {
    it("reclaims the least recently spent bucket once it is full, and answers the head's refill time", () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 1, burst: 3, maxKeys: 2, now });
      limiter.take('a'); // a: 2 left, full at +1 s
      limiter.take('b');
      limiter.take('b'); // b: 1 left, full at +2 s
      expect(refusal(() => limiter.take('c'))).toMatchObject({ reason: 'global', retryAfterSeconds: 1 });
      advance(1000);
      limiter.take('c'); // a is full again: reclaimed for c
      expect(limiter.size).toBe(2);
      // a was forgotten, so it comes back as a new key and b (still refilling) is the head.
      expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'global', retryAfterSeconds: 1 });
    });

    it('moves a bucket to the back of the order when it is spent from again', () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 2, now });
      limiter.take('a');
      advance(500);
      limiter.take('b');
      advance(500);
      limiter.take('a'); // a is full again and spent: now the most recent, full at 2 s
      advance(600);
      // b (full at 1.5 s) is now the head: reclaimed for c, while a is still refilling.
      limiter.take('c');
      expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
    });

    it('gives the table back as traffic moves on, without a sweep', () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 10, burst: 1, maxKeys: 100, now });
      for (let i = 0; i < 50; i++) limiter.take(`old-${i}`);
      expect(limiter.size).toBe(50);
      advance(1000);
      for (let i = 0; i < 25; i++) limiter.take(`new-${i}`);
      // Each new key reclaims up to two full buckets: the 50 old ones are gone after 25 new keys.
      expect(limiter.size).toBe(25);
    });

    it('never evicts a bucket that is still refilling, however many new keys arrive', () => {
      const { now, advance } = clock();
      const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 3, now });
      for (const key of ['a', 'b', 'c']) limiter.take(key);
      for (let i = 0; i < 1000; i++)
        expect(refusal(() => limiter.take(`flood-${i}`))).toMatchObject({ reason: 'global' });
      expect(refusal(() => limiter.take('a'))).toMatchObject({ reason: 'per-key' });
      advance(1000);
      limiter.take('a');
    });
  });

  it('throws a TypeError on bad options or keys', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(TypeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 0.5 })).toThrow(TypeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 0 })).toThrow(TypeError);
    expect(() =>
      createRateLimiter({ ratePerSecond: 1, burst: 1, global: { ratePerSecond: Number.NaN, burst: 1 } }),
    ).toThrow(TypeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 1 }).take(1 as unknown as string)).toThrow(
      TypeError,
    );
  });
});
