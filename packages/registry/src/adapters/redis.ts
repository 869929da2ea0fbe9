import { LatchkeyError, StoreUnavailableError } from '@latchkey/errors';
import type { Revocation, RevocationBus, RevocationSubscription } from '../bus.js';

/**
 * The commands the bus sends on its ordinary connection. ioredis and iovalkey `Redis` and `Cluster`
 * clients fit as they are; the caller creates and owns the client.
 */
export interface RedisBusClient {
  /** `true` on a `Cluster`: the bus then uses sharded pub/sub (`SPUBLISH`). */
  readonly isCluster?: boolean;
  eval(script: string, numkeys: number, key: string, at: string, ttlMs: string): Promise<unknown>;
  get(key: string): Promise<string | null>;
  publish(channel: string, message: string): Promise<unknown>;
  spublish(channel: string, message: string): Promise<unknown>;
}

/**
 * The connection the bus subscribes on. A connection in subscriber mode can send nothing else, so it
 * must not be the `client`: pass a second client, e.g. `client.duplicate()`. On a cluster with ioredis,
 * create it with `shardedSubscribers: true` so each `SSUBSCRIBE` reaches the shard owning the channel.
 */
export interface RedisBusSubscriber {
  readonly isCluster?: boolean;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  on(event: 'message' | 'smessage', listener: (channel: string, message: string) => void): unknown;
  /** Connection lost (`close`) and connected again (`ready`): how the bus notices a gap in delivery. */
  on(event: 'close' | 'ready', listener: () => void): unknown;
  off(event: 'message' | 'smessage', listener: (channel: string, message: string) => void): unknown;
  off(event: 'close' | 'ready', listener: () => void): unknown;
}

/** Options for {@link redisRevocationBus}. */
export interface RedisRevocationBusOptions {
  /** Connection for the watermark writes, reads and publishes. */
  readonly client: RedisBusClient;
  /** A second connection, for the subscription only. */
  readonly subscriber: RedisBusSubscriber;
  /** How long a stored watermark lives: the registry's `watermarkTtlMs`. */
  readonly watermarkTtlMs: number;
  /** Prefix of the watermark keys and of the channel. Default `latchkey:registry:`. */
  readonly prefix?: string;
  /** Sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`). Default: `true` when the client is a cluster. */
  readonly sharded?: boolean;
  /** A store call that takes longer fails with `STORE_UNAVAILABLE` (`timeout`). Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Receives messages on the channel that are not revocations (dropped). Default: a process warning. */
  readonly onInvalidMessage?: (message: string) => void;
}

// Raises the stored watermark, never lowers it: instances' clocks differ and messages race.
const RAISE_WATERMARK = `local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

function storeError(error: unknown): LatchkeyError {
  if (LatchkeyError.is(error)) return error;
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('CLUSTERDOWN')) return new StoreUnavailableError('cluster-down', { cause: error });
  if (message.startsWith('MOVED') || message.startsWith('ASK')) {
    return new StoreUnavailableError('redirect', { cause: error });
  }
  if (/closed|ended/i.test(message)) return new StoreUnavailableError('closed', { cause: error });
  return new StoreUnavailableError('connection', { cause: error });
}

async function bounded<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError('timeout')), timeoutMs);
  });
  try {
    return await Promise.race([operation(), timeout]);
  } catch (error) {
    throw storeError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses a message from the channel; anything malformed is `undefined`. */
export function parseRevocation(message: string): Revocation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, u, at, o } = value as Record<string, unknown>;
  if (v !== 1 || typeof u !== 'string' || u.length === 0) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof o !== 'string') return undefined;
  return { userId: u, at, origin: o };
}

function defaultInvalidMessage(): void {
  process.emitWarning('@latchkey/registry: dropped a malformed revocation message', {
    code: 'LATCHKEY_REGISTRY',
  });
}

/**
 * A {@link RevocationBus} over Redis or Valkey: the watermark is stored under `<prefix>watermark:<user>`
 * with a `PX` TTL, and each logout is published on `<prefix>revocations` (sharded pub/sub on a
 * cluster), so every instance cancels the user's leases and an instance that missed the message still
 * refuses old credentials. Store errors and timeouts reject with `STORE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRegistry } from '@latchkey/registry';
 * import { redisRevocationBus } from '@latchkey/registry/redis';
 *
 * const client = new Redis(process.env.REDIS_URL);
 * const bus = redisRevocationBus({ client, subscriber: client.duplicate(), watermarkTtlMs: 900_000 });
 * const registry = createRegistry({ watermarkTtlMs: 900_000, bus });
 * await registry.ready;
 * ```
 */
export function redisRevocationBus(options: RedisRevocationBusOptions): RevocationBus {
  const { client, subscriber } = options;
  if (!Number.isSafeInteger(options.watermarkTtlMs) || options.watermarkTtlMs < 1) {
    throw new TypeError('watermarkTtlMs must be a positive integer');
  }
  const ttl = String(options.watermarkTtlMs);
  const prefix = options.prefix ?? 'latchkey:registry:';
  const sharded = options.sharded ?? client.isCluster === true;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const onInvalid = options.onInvalidMessage ?? defaultInvalidMessage;
  const channel = `${prefix}revocations`;
  const keyOf = (userId: string): string => `${prefix}watermark:${userId}`;

  return {
    async publish(revocation) {
      const message = JSON.stringify({ v: 1, u: revocation.userId, at: revocation.at, o: revocation.origin });
      // Both, even if one fails: a stored watermark without the message (or the reverse) still helps.
      const [stored, published] = await Promise.allSettled([
        bounded(
          () => client.eval(RAISE_WATERMARK, 1, keyOf(revocation.userId), String(revocation.at), ttl),
          timeoutMs,
        ),
        bounded(
          () => (sharded ? client.spublish(channel, message) : client.publish(channel, message)),
          timeoutMs,
        ),
      ]);
      if (stored.status === 'rejected') throw stored.reason;
      if (published.status === 'rejected') throw published.reason;
    },
    async watermark(userId) {
      const value = await bounded(() => client.get(keyOf(userId)), timeoutMs);
      if (value === null) return undefined;
      const at = Number(value);
      // A value that is not a number is not read as "no watermark".
      if (!Number.isFinite(at)) throw new StoreUnavailableError('unexpected-reply');
      return at;
    },
    async subscribe(listener, onResumed): Promise<RevocationSubscription> {
      const event = sharded ? 'smessage' : 'message';
      const subscribeOnce = (): Promise<unknown> =>
        bounded(() => (sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel)), timeoutMs);
      const onMessage = (from: string, message: string): void => {
        if (from !== channel) return;
        const revocation = parseRevocation(message);
        if (revocation === undefined) onInvalid(message);
        else listener(revocation);
      };
      let active = false;
      let lost = false;
      const onClose = (): void => {
        lost = true;
      };
      // ioredis and iovalkey re-send SUBSCRIBE by themselves on 'ready' (autoResubscribe), but 'ready' comes
      // before the server has answered it. Our own SUBSCRIBE of the same channel is a no-op for the server
      // and, one connection being ordered, is answered only after the re-subscription: from then on
      // messages flow, so a store read that follows misses nothing. A failed confirmation still resumes:
      // whatever was lost so far is caught up now, and the periodic reconcile covers the rest.
      const onReady = (): void => {
        if (!lost || !active) return;
        lost = false;
        const resume = (): void => {
          if (active) onResumed?.();
        };
        subscribeOnce().then(resume, resume);
      };
      subscriber.on(event, onMessage);
      subscriber.on('close', onClose);
      subscriber.on('ready', onReady);
      const detach = (): void => {
        subscriber.off(event, onMessage);
        subscriber.off('close', onClose);
        subscriber.off('ready', onReady);
      };
      try {
        await subscribeOnce();
      } catch (error) {
        detach();
        throw error;
      }
      active = true;
      return {
        async unsubscribe() {
          if (!active) return;
          active = false;
          detach();
          await bounded(
            () => (sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel)),
            timeoutMs,
          );
        },
      };
    },
  };
}
