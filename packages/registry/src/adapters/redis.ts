import { randomUUID } from 'node:crypto';
import { createDeadlines, StoreUnavailableError } from '@latchkey/errors';
import type { RevocationBus, RevocationListener, RevocationSubscription } from '../bus.js';
import { encodeHeartbeat, encodeRevocation, parseBusMessage } from './redis-message.js';

/**
 * The commands the bus sends on its ordinary connection. ioredis and iovalkey `Redis` and `Cluster`
 * clients fit as they are; the caller creates and owns the client.
 */
export interface RedisBusClient {
  /** `true` on a `Cluster`: the bus then uses sharded pub/sub (`SPUBLISH`). */
  readonly isCluster?: boolean;
  eval(script: string, numkeys: number, key: string, at: string, keepMs: string): Promise<unknown>;
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
  /**
   * Connection lost (`close`; on an ioredis `Cluster`, `-node` for a node connection, sharded
   * subscribers included) and connected again (`ready`): how the bus notices a gap in delivery.
   */
  on(event: 'close' | 'ready' | '-node', listener: () => void): unknown;
  off(event: 'message' | 'smessage', listener: (channel: string, message: string) => void): unknown;
  off(event: 'close' | 'ready' | '-node', listener: () => void): unknown;
}

/** Options for {@link redisRevocationBus}. */
export interface RedisRevocationBusOptions {
  /** Connection for the watermark writes, reads, publishes and heartbeats. */
  readonly client: RedisBusClient;
  /** A second connection, for the subscription only. */
  readonly subscriber: RedisBusSubscriber;
  /** The registry's `watermarkTtlMs`: the longest credential lifetime. */
  readonly watermarkTtlMs: number;
  /** The registry's `clockToleranceMs`; a watermark is stored for TTL + tolerance. Default 5,000. */
  readonly clockToleranceMs?: number;
  /** Prefix of the watermark keys and of the channel. Default `latchkey:registry:`. */
  readonly prefix?: string;
  /** Sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`). Default: `true` when the client is a cluster. */
  readonly sharded?: boolean;
  /** A store call that takes longer fails with `STORE_UNAVAILABLE` (`timeout`). Default 1,000 ms. */
  readonly timeoutMs?: number;
  /**
   * How often a heartbeat is published on the channel; its return through the subscription is what
   * keeps the registry's view live (keep it well under the registry's `staleAfterMs`). Default 1,000 ms.
   */
  readonly heartbeatMs?: number;
  /** Receives messages on the channel that are neither revocations nor heartbeats. Default: a warning. */
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

// A sender unheard for this long (an instance gone) is forgotten; one that comes back is new again.
const SENDER_MEMORY_MS = 60_000;

function defaultInvalidMessage(): void {
  process.emitWarning('@latchkey/registry: dropped a malformed revocation message', {
    code: 'LATCHKEY_REGISTRY',
  });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/**
 * A {@link RevocationBus} over Redis or Valkey: the watermark is stored under `<prefix>watermark:<user>`
 * with a `PX` of TTL + tolerance (raised, never lowered), each logout is published on
 * `<prefix>revocations` (sharded pub/sub on a cluster), and a heartbeat published on the same channel
 * every `heartbeatMs` proves the subscription delivers. Store failures and timeouts reject with
 * `STORE_UNAVAILABLE`, mapped by `@latchkey/errors`' one `toStoreError`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRegistry } from '@latchkey/registry';
 * import { redisRevocationBus } from '@latchkey/registry/redis';
 *
 * const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * const bus = redisRevocationBus({ client, subscriber: client.duplicate(), watermarkTtlMs: 3_600_000 });
 * const registry = createRegistry({ watermarkTtlMs: 3_600_000, bus });
 * await registry.ready;
 * ```
 */
export function redisRevocationBus(options: RedisRevocationBusOptions): RevocationBus {
  const { client, subscriber } = options;
  const ttlMs = positiveInteger('watermarkTtlMs', options.watermarkTtlMs);
  const toleranceMs = options.clockToleranceMs ?? 5_000;
  if (!Number.isSafeInteger(toleranceMs) || toleranceMs < 0) {
    throw new TypeError('clockToleranceMs must be a non-negative integer');
  }
  const keepMs = String(ttlMs + toleranceMs);
  const prefix = options.prefix ?? 'latchkey:registry:';
  const sharded = options.sharded ?? client.isCluster === true;
  const deadlines = createDeadlines(positiveInteger('timeoutMs', options.timeoutMs ?? 1_000));
  const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs ?? 1_000);
  const onInvalid = options.onInvalidMessage ?? defaultInvalidMessage;
  const channel = `${prefix}revocations`;
  const keyOf = (userId: string): string => `${prefix}watermark:${userId}`;
  const send = (message: string): Promise<unknown> =>
    sharded ? client.spublish(channel, message) : client.publish(channel, message);
  // Every message this bus sends carries the next number of one sequence: a receiver that sees a number
  // skipped missed a message (a subscriber that reconnected without any event reaching us, as ioredis'
  // sharded cluster subscribers do), and treats the moment as a gap.
  const sender = randomUUID();
  let sequence = 0;

  return {
    async publish(revocation) {
      // Both, even if one fails: a stored watermark without the message (or the reverse) still helps.
      const [stored, published] = await Promise.allSettled([
        deadlines.run(() =>
          client.eval(RAISE_WATERMARK, 1, keyOf(revocation.userId), String(revocation.revokedAtMs), keepMs),
        ),
        deadlines.run(() => send(encodeRevocation(sender, ++sequence, revocation))),
      ]);
      if (stored.status === 'rejected') throw stored.reason;
      if (published.status === 'rejected') throw published.reason;
    },
    async watermark(userId) {
      const value = await deadlines.run(() => client.get(keyOf(userId)));
      if (value === null) return undefined;
      const at = Number(value);
      // A value that is not a number is never read as "no watermark".
      if (!Number.isFinite(at)) throw new StoreUnavailableError('unexpected-reply');
      return at;
    },
    async subscribe(listener: RevocationListener): Promise<RevocationSubscription> {
      const event = sharded ? 'smessage' : 'message';
      const subscribeOnce = (): Promise<unknown> =>
        deadlines.run(() => (sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel)));
      let active = false;
      let lost = false;
      let subscribedAtMs = Number.POSITIVE_INFINITY;
      // The last number heard from each sender; a sender silent for a while is forgotten.
      const senders = new Map<string, { sequence: number; heardAtMs: number }>();
      const forgetSilent = (): void => {
        const before = performance.now() - SENDER_MEMORY_MS;
        for (const [id, heard] of senders) if (heard.heardAtMs < before) senders.delete(id);
      };
      const onMessage = (from: string, message: string): void => {
        if (from !== channel || !active) return;
        const parsed = parseBusMessage(message);
        if (parsed === undefined) {
          onInvalid(message);
          return;
        }
        const heard = senders.get(parsed.sender);
        // A sender's first message is its heartbeat number 1, sent as it subscribes; hearing a sender
        // first at a later number means its earlier messages passed us by (or we forgot it while it was
        // unheard for a minute): also a gap. Except while this subscription is new: every running sender
        // is first heard at some number then, within a heartbeat or two.
        const skipped =
          heard === undefined
            ? parsed.sequence > 1 && performance.now() - subscribedAtMs > 2 * heartbeatMs + 100
            : parsed.sequence > heard.sequence + 1;
        if (heard === undefined || parsed.sequence > heard.sequence) {
          senders.set(parsed.sender, { sequence: parsed.sequence, heardAtMs: performance.now() });
        }
        // A skipped number: something was missed. Reported as a gap that has just ended.
        if (skipped && !lost) listener.onLost();
        if (parsed.kind === 'revocation') listener.onRevocation(parsed.revocation);
        // Whatever came through proves the subscription delivers right now.
        lost = false;
        listener.onLive();
      };
      const onClose = (): void => {
        if (!active || lost) return;
        lost = true;
        listener.onLost();
      };
      // ioredis and iovalkey re-send SUBSCRIBE by themselves on 'ready' (autoResubscribe), but 'ready' comes
      // before the server has answered it. Our own SUBSCRIBE of the same channel is a no-op for the server
      // and, one connection being ordered, is answered only after the re-subscription: from then on
      // messages flow. Until it is answered, the view stays stale.
      const onReady = (): void => {
        if (!lost || !active) return;
        subscribeOnce().then(
          () => {
            if (!active || !lost) return;
            lost = false;
            listener.onLive();
          },
          () => {}, // still lost: the next 'ready' (or heartbeat after it) tries again
        );
      };
      // The heartbeat: published on the ordinary connection, received through the subscription. One in
      // flight at a time; a failed one is simply not answered (the registry's view then goes stale).
      let beating = false;
      const beat = (): void => {
        if (beating || !active) return;
        beating = true;
        forgetSilent();
        deadlines
          .run(() => send(encodeHeartbeat(sender, ++sequence)))
          .then(
            () => {},
            () => {},
          )
          .finally(() => {
            beating = false;
          });
      };
      subscriber.on(event, onMessage);
      subscriber.on('close', onClose);
      // ioredis' sharded cluster subscribers reconnect without a 'close' on the Cluster: '-node' says it.
      subscriber.on('-node', onClose);
      subscriber.on('ready', onReady);
      const detach = (): void => {
        subscriber.off(event, onMessage);
        subscriber.off('close', onClose);
        subscriber.off('-node', onClose);
        subscriber.off('ready', onReady);
      };
      try {
        await subscribeOnce();
      } catch (error) {
        detach();
        throw error;
      }
      active = true;
      subscribedAtMs = performance.now();
      const timer = setInterval(beat, heartbeatMs);
      timer.unref();
      listener.onLive();
      beat();
      return {
        async unsubscribe() {
          if (!active) return;
          active = false;
          clearInterval(timer);
          detach();
          await deadlines.run(() =>
            sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel),
          );
        },
      };
    },
  };
}
