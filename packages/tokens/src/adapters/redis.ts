/**
 * `@latchkey/tokens/redis`: a replay guard on Redis or Valkey, through one atomic command:
 * `SET <prefix><jti> 1 PX <ms> NX`. `OK` means this caller is the first to claim the id; `null` means
 * someone already did. Works with any client that has that `set` overload: ioredis 5/6, iovalkey and
 * their `Cluster` clients (one key per command, so any slot is fine); no client library is imported.
 * Failures and deadlines are `@latchkey/errors`' one mapping (`toStoreError`, `createDeadlines`).
 */
import { createDeadlines, StoreUnavailableError } from '@latchkey/errors';
import { clockOption, integerOption } from '../options.js';
import type { ReplayGuard } from '../replay-guard.js';

/** The one command the Redis replay guard sends, as ioredis and iovalkey type it. */
export interface RedisReplayClient {
  set(
    key: string,
    value: string,
    millisecondsToken: 'PX',
    milliseconds: number,
    nx: 'NX',
  ): Promise<'OK' | null>;
}

/** Options of {@link redisReplayGuard}. */
export interface RedisReplayGuardOptions {
  /** Key prefix; default `latchkey:jti:`. */
  readonly prefix?: string;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /**
   * Longest wait for the server, in milliseconds (default 2000). A client that queues commands while
   * disconnected would otherwise hold the request forever; past this the claim fails closed.
   */
  readonly timeoutMs?: number;
}

/**
 * A replay guard shared by every instance that verifies tokens, on Redis or Valkey. A store error or a
 * timeout rejects with `STORE_UNAVAILABLE` (503): the token is refused, never taken as "not replayed".
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisReplayGuard } from '@latchkey/tokens/redis';
 * const replayGuard = redisReplayGuard(new Redis(process.env.REDIS_URL ?? ''), { prefix: 'sandbox:jti:' });
 * ```
 */
export function redisReplayGuard(
  client: RedisReplayClient,
  options: RedisReplayGuardOptions = {},
): ReplayGuard {
  if (typeof client?.set !== 'function') throw new TypeError('client must have set()');
  const prefix = options.prefix ?? 'latchkey:jti:';
  if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
  const now = clockOption(options.now);
  const deadlines = createDeadlines(integerOption('timeoutMs', options.timeoutMs, 2000, 1, 60_000));

  return {
    async claim(jti: string, expiresAtMs: number): Promise<boolean> {
      const ttl = Math.ceil(expiresAtMs - now());
      // Past its acceptance window a token is refused by the verifier anyway; PX must be positive.
      if (!(ttl > 0)) return true;
      const reply = await deadlines.run(() => client.set(prefix + jti, '1', 'PX', ttl, 'NX'));
      if (reply === 'OK') return true;
      if (reply === null) return false;
      throw new StoreUnavailableError('unexpected-reply');
    },
  };
}
