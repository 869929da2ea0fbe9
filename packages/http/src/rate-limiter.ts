import { RateLimitedError } from '@latchkey/errors';

/** A token bucket: `burst` requests at once, refilled at `ratePerSecond`. */
export interface BucketOptions {
  /** Sustained rate, requests per second (> 0; fractions allowed, e.g. 0.5 = one every 2 s). */
  readonly ratePerSecond: number;
  /** Requests allowed at once (an integer ≥ 1); also the bucket's capacity. */
  readonly burst: number;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions extends BucketOptions {
  /** A second bucket shared by every key, checked as well. Without it there is no global limit. */
  readonly global?: BucketOptions | undefined;
  /** Most keys tracked at once (default 10,000). See {@link createRateLimiter} for what happens when full. */
  readonly maxKeys?: number | undefined;
  /** Clock in milliseconds. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** A per-key and global token-bucket limiter. */
export interface RateLimiter {
  /** Spends one token of `key` (and of the global bucket), or throws `RATE_LIMITED` (429). */
  take(key: string): void;
  /** Keys currently tracked (never more than `maxKeys`). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

function checkBucket(options: BucketOptions, label: string): void {
  const { ratePerSecond, burst } = options;
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new TypeError(`${label}ratePerSecond must be a positive number`);
  }
  if (!Number.isSafeInteger(burst) || burst < 1) throw new TypeError(`${label}burst must be an integer >= 1`);
}

/** Tokens in `bucket` at `now`. A clock that steps back refills nothing (and never drains). */
function refill(bucket: Bucket, now: number, options: BucketOptions): void {
  if (now > bucket.at) {
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + ((now - bucket.at) * options.ratePerSecond) / 1000,
    );
    bucket.at = now;
  }
}

/** Whole seconds (≥ 1) until `bucket` holds `wanted` tokens. */
function secondsUntil(bucket: Bucket, wanted: number, options: BucketOptions): number {
  return Math.max(1, Math.ceil((wanted - bucket.tokens) / options.ratePerSecond));
}

/**
 * A token-bucket rate limiter for `/init` and similar endpoints (T9): each key (a client address, a
 * session id) gets `burst` requests at once, refilled at `ratePerSecond`; an optional `global` bucket
 * limits all keys together. A refused request spends nothing. `retryAfterSeconds` on the error is
 * whole seconds, at least 1.
 *
 * The key table is bounded by `maxKeys`. When a new key arrives and the table is full, buckets that
 * have refilled completely are dropped first — a full bucket is exactly a fresh one, so forgetting it
 * loses nothing. If none is full, the new key is refused with reason `global` (fail closed: evicting
 * a partly spent bucket would hand its key a fresh burst). Until the earliest bucket can be full
 * again, further new keys are refused without rescanning the table, so a flood of keys costs O(1)
 * per request.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ ratePerSecond: 2, burst: 5, global: { ratePerSecond: 50, burst: 100 } });
 * limiter.take(clientAddress); // throws RateLimitedError (429, retryAfterSeconds) when over
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  checkBucket(options, '');
  const perKey: BucketOptions = { ratePerSecond: options.ratePerSecond, burst: options.burst };
  const globalOptions = options.global;
  if (globalOptions !== undefined) checkBucket(globalOptions, 'global.');
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new TypeError('maxKeys must be an integer >= 1');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function');

  const buckets = new Map<string, Bucket>();
  const global: Bucket | undefined =
    globalOptions === undefined ? undefined : { tokens: globalOptions.burst, at: Number.NEGATIVE_INFINITY };
  // Before this instant no tracked bucket can have refilled, so a sweep would free nothing.
  let noFullBucketUntil = Number.NEGATIVE_INFINITY;

  /** Drops every full bucket; returns when the next one may be full if none was. */
  function sweep(t: number): number | undefined {
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, bucket] of buckets) {
      refill(bucket, t, perKey);
      if (bucket.tokens >= perKey.burst) buckets.delete(key);
      else earliest = Math.min(earliest, t + ((perKey.burst - bucket.tokens) * 1000) / perKey.ratePerSecond);
    }
    return buckets.size < maxKeys ? undefined : earliest;
  }

  return {
    take(key: string): void {
      if (typeof key !== 'string') throw new TypeError('key must be a string');
      const t = now();
      if (global !== undefined && global.at === Number.NEGATIVE_INFINITY) global.at = t;
      let bucket = buckets.get(key);
      const isNew = bucket === undefined;
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) {
          const fullAt = t < noFullBucketUntil ? noFullBucketUntil : sweep(t);
          if (fullAt !== undefined) {
            noFullBucketUntil = fullAt;
            throw new RateLimitedError('global', Math.max(1, Math.ceil((fullAt - t) / 1000)));
          }
        }
        bucket = { tokens: perKey.burst, at: t };
      } else {
        refill(bucket, t, perKey);
      }
      if (bucket.tokens < 1) throw new RateLimitedError('per-key', secondsUntil(bucket, 1, perKey));
      if (global !== undefined && globalOptions !== undefined) {
        refill(global, t, globalOptions);
        if (global.tokens < 1) throw new RateLimitedError('global', secondsUntil(global, 1, globalOptions));
        global.tokens -= 1;
      }
      bucket.tokens -= 1;
      if (isNew) buckets.set(key, bucket);
    },
    get size(): number {
      return buckets.size;
    },
  };
}
