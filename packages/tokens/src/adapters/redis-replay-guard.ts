/**
 * A replay guard on Redis or Valkey, through one atomic command: `SET <prefix><jti> 1 PX <ms> NX`.
 * `OK` means this caller is the first to claim the id; `null` means someone already did. Works with any
 * client that has that `set` overload: ioredis, iovalkey and their `Cluster` clients (one key per
 * command, so any slot is fine).
 */
import { LatchkeyError, StoreUnavailableError } from '@latchkey/errors';
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

/** Options of {@link createRedisReplayGuard}. */
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

function storeReason(error: unknown): StoreUnavailableError['reason'] {
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('CLUSTERDOWN')) return 'cluster-down';
  if (message.startsWith('MOVED') || message.startsWith('ASK') || message.startsWith('TRYAGAIN'))
    return 'redirect';
  if (/closed/i.test(message)) return 'closed';
  if (/timed? ?out/i.test(message)) return 'timeout';
  return 'connection';
}

/**
 * A replay guard shared by every instance that verifies tokens, on Redis or Valkey. A store error or a
 * timeout rejects with `STORE_UNAVAILABLE` (503): the token is refused, never taken as "not replayed".
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const replayGuard = createRedisReplayGuard(new Redis(process.env.REDIS_URL ?? ''), { prefix: 'sandbox:jti:' });
 * ```
 */
export function createRedisReplayGuard(
  client: RedisReplayClient,
  options: RedisReplayGuardOptions = {},
): ReplayGuard {
  const prefix = options.prefix ?? 'latchkey:jti:';
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new TypeError('timeoutMs must be a positive integer');

  return {
    async claim(jti: string, expiresAtMs: number): Promise<boolean> {
      const ttl = Math.ceil(expiresAtMs - now());
      // Past its acceptance window a token is refused by the verifier anyway; PX must be positive.
      if (!(ttl > 0)) return true;
      let timer: NodeJS.Timeout | undefined;
      try {
        const reply = await Promise.race([
          client.set(prefix + jti, '1', 'PX', ttl, 'NX'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new StoreUnavailableError('timeout')), timeoutMs);
          }),
        ]);
        if (reply === 'OK') return true;
        if (reply === null) return false;
        throw new StoreUnavailableError('unexpected-reply');
      } catch (error) {
        if (LatchkeyError.is(error)) throw error;
        throw new StoreUnavailableError(storeReason(error), { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
