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

/**
 * A key's bucket, also a node of the table's recency list (least recently spent first). Intrusive
 * links rather than a Map's insertion order: moving a node to the tail is a few pointer writes, and
 * finding the head never walks over deleted entries.
 */
interface Bucket {
  tokens: number;
  at: number;
  readonly key: string;
  prev: Bucket | undefined;
  next: Bucket | undefined;
}

function checkBucket(options: BucketOptions, label: string): void {
  const { ratePerSecond, burst } = options;
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new TypeError(`${label}ratePerSecond must be a positive number`);
  }
  if (!Number.isSafeInteger(burst) || burst < 1) throw new TypeError(`${label}burst must be an integer >= 1`);
}

/** Tokens in `bucket` at `now`. A clock that steps back refills nothing (and never drains). */
function refill(bucket: { tokens: number; at: number }, now: number, options: BucketOptions): void {
  if (now > bucket.at) {
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + ((now - bucket.at) * options.ratePerSecond) / 1000,
    );
    bucket.at = now;
  }
}

/** Whole seconds (≥ 1) until `bucket` holds `wanted` tokens. */
function secondsUntil(bucket: { tokens: number }, wanted: number, options: BucketOptions): number {
  return Math.max(1, Math.ceil((wanted - bucket.tokens) / options.ratePerSecond));
}

/**
 * A token-bucket rate limiter for `/init` and similar endpoints (T9): each key (a client address, a
 * session id) gets `burst` requests at once, refilled at `ratePerSecond`; an optional `global` bucket
 * limits all keys together. A refused request spends nothing. `retryAfterSeconds` on the error is
 * whole seconds, at least 1.
 *
 * The key table is bounded by `maxKeys`, and every operation is O(1) (amortised), full or not.
 * Buckets are kept in the order they were last spent from. A bucket that has refilled completely is
 * exactly a fresh one, so it can be forgotten: a new key first reclaims such buckets from the head of
 * that order (the least recently spent, which is surely full once `burst ÷ ratePerSecond` seconds have
 * passed). When the head is still refilling, the new key is refused with reason `global` and a
 * `Retry-After` of when the head will be full (fail closed: evicting a partly spent bucket would
 * hand its key a fresh burst); that refusal reads one bucket, as cheap as a hit.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ ratePerSecond: 2, burst: 5, global: { ratePerSecond: 50, burst: 100 } });
 * limiter.take('203.0.113.7'); // throws RateLimitedError (429, retryAfterSeconds) when over
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

  const { burst, ratePerSecond } = perKey;
  const msPerToken = 1000 / ratePerSecond;
  const buckets = new Map<string, Bucket>();
  // Least recently spent first.
  let head: Bucket | undefined;
  let tail: Bucket | undefined;
  const global: { tokens: number; at: number } | undefined =
    globalOptions === undefined ? undefined : { tokens: globalOptions.burst, at: Number.NEGATIVE_INFINITY };

  const unlink = (bucket: Bucket): void => {
    if (bucket.prev === undefined) head = bucket.next;
    else bucket.prev.next = bucket.next;
    if (bucket.next === undefined) tail = bucket.prev;
    else bucket.next.prev = bucket.prev;
    bucket.prev = undefined;
    bucket.next = undefined;
  };
  const append = (bucket: Bucket): void => {
    bucket.prev = tail;
    if (tail === undefined) head = bucket;
    else tail.next = bucket;
    tail = bucket;
  };
  /** When `bucket` holds `burst` tokens again (its state does not change while it is not spent from). */
  const fullAt = (bucket: Bucket): number => bucket.at + (burst - bucket.tokens) * msPerToken;

  /**
   * Forgets full buckets at the head: all of them while the table is full, and at most two more
   * otherwise, so the table shrinks back as traffic moves on. Each bucket is reclaimed once, so the
   * work is O(1) amortised per new key. Returns the head's refill time when the table stays full.
   */
  const reclaim = (t: number): number | undefined => {
    let spare = 2;
    while (head !== undefined && (buckets.size >= maxKeys || spare > 0)) {
      const at = fullAt(head);
      if (at > t) return buckets.size >= maxKeys ? at : undefined;
      const bucket = head;
      unlink(bucket);
      buckets.delete(bucket.key);
      spare -= 1;
    }
    return undefined;
  };

  return {
    take(key: string): void {
      if (typeof key !== 'string') throw new TypeError('key must be a string');
      const t = now();
      if (global !== undefined && global.at === Number.NEGATIVE_INFINITY) global.at = t;
      let bucket = buckets.get(key);
      const isNew = bucket === undefined;
      if (bucket === undefined) {
        const refillAt = reclaim(t);
        if (refillAt !== undefined) {
          throw new RateLimitedError('global', Math.max(1, Math.ceil((refillAt - t) / 1000)));
        }
        bucket = { tokens: burst, at: t, key, prev: undefined, next: undefined };
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
      if (isNew) {
        buckets.set(key, bucket);
        append(bucket);
      } else if (bucket !== tail) {
        // Spent from: it is now the one that refills last, so it moves to the tail.
        unlink(bucket);
        append(bucket);
      }
    },
    get size(): number {
      return buckets.size;
    },
  };
}
