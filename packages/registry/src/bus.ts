/** A user's logout, as instances tell each other. */
export interface Revocation {
  /** The user logged out. */
  readonly userId: string;
  /** The logout moment, in milliseconds since the epoch on the publishing instance's clock. */
  readonly revokedAtMs: number;
  /** Id of the registry that published it, so it can skip its own echo. */
  readonly origin: string;
}

/**
 * What a {@link RevocationBus} tells its subscriber. `onLive` and `onLost` are how the registry knows
 * whether its local view of revocations is current (see `staleAfterMs`).
 */
export interface RevocationListener {
  /** A published revocation (from any instance, this one included). */
  onRevocation(revocation: Revocation): void;
  /**
   * The subscription was seen delivering just now: it was (re)established, or a heartbeat or any message
   * came back through it. A bus calls it at least every `heartbeatMs` while it works.
   */
  onLive(): void;
  /** The subscription's connection was lost: messages may be missed until the next `onLive`. */
  onLost(): void;
}

/** An active subscription of a {@link RevocationBus}. */
export interface RevocationSubscription {
  /** Stops delivery and the heartbeat. Idempotent. */
  unsubscribe(): Promise<void>;
}

/**
 * The port the registry fans logouts out through and reads the shared watermarks from.
 * `@latchkey/registry/redis` implements it over Redis / Valkey pub/sub (sharded on a cluster);
 * `@latchkey/registry/testing` has a memory one and the conformance suite every bus passes.
 *
 * Every method that talks to a store rejects with `STORE_UNAVAILABLE` when the store cannot answer; the
 * registry reads any rejection as "cannot tell" and fails closed.
 *
 * @example
 * ```ts
 * const bus: RevocationBus = redisRevocationBus({ client, subscriber, watermarkTtlMs: 3_600_000 });
 * const registry = createRegistry({ watermarkTtlMs: 3_600_000, bus });
 * ```
 */
export interface RevocationBus {
  /**
   * Stores the watermark (raised, never lowered; kept for the watermark TTL plus the clock tolerance)
   * and tells every subscribed instance.
   */
  publish(revocation: Revocation): Promise<void>;
  /** The stored watermark of `userId` in milliseconds, or `undefined` when the user has none. */
  watermark(userId: string): Promise<number | undefined>;
  /**
   * Delivers every published revocation to `listener` and reports the subscription's health. Resolves
   * once the subscription is live (after a first `onLive`). Pub/sub is at-most-once: a revocation
   * published while the subscription is down never arrives, so the registry treats everything between
   * `onLost` (or a missed heartbeat) and the next `onLive` as a gap and reads the store.
   */
  subscribe(listener: RevocationListener): Promise<RevocationSubscription>;
}
