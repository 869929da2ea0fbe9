/** A user's logout, as instances tell each other. */
export interface Revocation {
  /** The user logged out. */
  readonly userId: string;
  /** The logout moment (milliseconds since the epoch, on the publishing instance's clock). */
  readonly at: number;
  /** Id of the registry that published it, so it can skip its own echo. */
  readonly origin: string;
}

/** An active subscription of a {@link RevocationBus}. */
export interface RevocationSubscription {
  /** Stops delivery. Idempotent. */
  unsubscribe(): Promise<void>;
}

/**
 * The port the registry fans logouts out through, and reads other instances' watermarks from.
 * `@latchkey/registry/redis` implements it over Redis / Valkey pub/sub (sharded on a cluster).
 *
 * Every method that talks to a store rejects with `STORE_UNAVAILABLE` when the store cannot answer;
 * the registry reads any rejection as "no" (fail closed).
 *
 * @example
 * ```ts
 * const bus: RevocationBus = redisRevocationBus({ client, subscriber, watermarkTtlMs: 3_600_000 });
 * const registry = createRegistry({ watermarkTtlMs: 3_600_000, bus });
 * ```
 */
export interface RevocationBus {
  /** Stores the watermark (kept for the watermark TTL) and tells every subscribed instance. */
  publish(revocation: Revocation): Promise<void>;
  /** The stored watermark of `userId`, or `undefined` when the user has none. */
  watermark(userId: string): Promise<number | undefined>;
  /**
   * Delivers every published revocation to `listener`. Resolves once the subscription is live.
   *
   * Pub/sub is at-most-once: a revocation published while the subscription is down never reaches
   * `listener`. A bus that can tell calls `onResumed` each time the subscription is live again after its
   * connection was lost, so the registry re-reads the stored watermarks of its users (see
   * `reconcileIntervalMs` for losses nobody can see). Optional for a bus to honour.
   */
  subscribe(
    listener: (revocation: Revocation) => void,
    onResumed?: () => void,
  ): Promise<RevocationSubscription>;
}
