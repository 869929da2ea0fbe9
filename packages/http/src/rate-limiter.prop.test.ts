import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

const step = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.nat({ max: 3000 })),
  key: fc.constantFrom('a', 'b', 'c', 'd'),
});
const bucket = fc.record({
  ratePerSecond: fc.constantFrom(0.25, 0.5, 1, 2, 3, 7.5),
  burst: fc.integer({ min: 1, max: 6 }),
});

test.prop([
  bucket,
  fc.option(bucket, { nil: undefined }),
  fc.integer({ min: 1, max: 5 }),
  fc.array(step, { maxLength: 80 }),
])(
  'never admits more than burst + rate × elapsed, per key and globally, in any window',
  (perKey, global, maxKeys, steps) => {
    let t = 5_000;
    const limiter = createRateLimiter({ ...perKey, global, maxKeys, now: () => t });
    const admitted: Array<{ t: number; key: string }> = [];
    for (const { advanceMs, key } of steps) {
      t += advanceMs;
      try {
        limiter.take(key);
        admitted.push({ t, key });
      } catch (error) {
        expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
        expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger((error as { retryAfterSeconds: number }).retryAfterSeconds)).toBe(true);
      }
      expect(limiter.size).toBeLessThanOrEqual(maxKeys);
    }
    const bound = (rule: { ratePerSecond: number; burst: number }, events: Array<{ t: number }>): void => {
      for (let i = 0; i < events.length; i++) {
        for (let j = i; j < events.length; j++) {
          const elapsed = ((events[j]?.t ?? 0) - (events[i]?.t ?? 0)) / 1000;
          expect(j - i + 1).toBeLessThanOrEqual(rule.burst + rule.ratePerSecond * elapsed + 1e-9);
        }
      }
    };
    for (const key of ['a', 'b', 'c', 'd'])
      bound(
        perKey,
        admitted.filter((event) => event.key === key),
      );
    if (global !== undefined) bound(global, admitted);
  },
);

test.prop([bucket, fc.array(fc.string({ maxLength: 8 }), { maxLength: 50 })])(
  'a key seen for the first time is admitted while the table has room and there is no global limit',
  (perKey, keys) => {
    const limiter = createRateLimiter({ ...perKey, maxKeys: 1_000, now: () => 0 });
    const seen = new Set<string>();
    for (const key of keys) {
      if (!seen.has(key)) expect(() => limiter.take(key)).not.toThrow();
      seen.add(key);
    }
  },
);

test.prop([
  bucket,
  fc.integer({ min: 1, max: 20 }),
  fc.array(step, { maxLength: 60 }),
  fc.integer({ min: 1, max: 40 }),
])(
  'once burst ÷ rate seconds pass without traffic, the whole table is free for new keys',
  (perKey, maxKeys, steps, fresh) => {
    let t = 1_000;
    const limiter = createRateLimiter({ ...perKey, maxKeys, now: () => t });
    for (const { advanceMs, key } of steps) {
      t += advanceMs;
      try {
        limiter.take(key);
      } catch {
        // refusals are fine here
      }
    }
    t += Math.ceil((perKey.burst * 1000) / perKey.ratePerSecond);
    for (let i = 0; i < Math.min(fresh, maxKeys); i++) expect(() => limiter.take(`fresh-${i}`)).not.toThrow();
    expect(limiter.size).toBeLessThanOrEqual(maxKeys);
  },
);
