/** Which of a session's two entries to read. */
export type SessionPart = 'record' | 'key';

/** One page of a scan over every session a driver holds. */
export interface ScanPage {
  /** Session ids (an id may appear on more than one page, as with SCAN). */
  readonly sessionIds: readonly string[];
  /** Opaque cursor of the next page, or `null` when the scan is complete. */
  readonly cursor: string | null;
}

/**
 * The port a session store drives, shaped by what the core needs. A driver owns where a session's two
 * entries live (on Redis: `<prefix>:{<sessionId>}:rec` and `…:key`, one hash tag, so one cluster slot
 * and every multi-key operation here single-slot and atomic). It is given session ids the store has
 * already validated. A driver only translates calls to its client; it throws whatever the client throws
 * (the store maps failures to `STORE_UNAVAILABLE` and applies its own deadline around every call).
 *
 * Implement it for another client and check it with `runSessionStoreConformance` from
 * `@latchkey/keystore/testing`.
 *
 * @example
 * ```ts
 * const store = createSessionStore({ driver: redisSessionDriver(new Redis(url)), keyring });
 * ```
 */
export interface SessionStoreDriver {
  /** Writes both entries with the same TTL in one atomic step (one MULTI/EXEC or one command). */
  write(sessionId: string, record: string, key: string, ttlSeconds: number): Promise<void>;
  /** The value of one entry, or `null` when it does not exist (expired or deleted). */
  read(sessionId: string, part: SessionPart): Promise<string | null>;
  /** Sets the TTL of both entries atomically; `true` only when both exist. */
  touch(sessionId: string, ttlSeconds: number): Promise<boolean>;
  /** Removes both entries with one command (`UNLINK`); `true` when anything was removed. */
  delete(sessionId: string): Promise<boolean>;
  /**
   * One page of about `count` session ids, across every master of a cluster, in O(page). `cursor` is
   * `null` to start, then the cursor of the previous page. Every session present for the whole scan is
   * returned at least once.
   */
  scan(cursor: string | null, count: number): Promise<ScanPage>;
  /**
   * Replaces the encrypted key of a session with `next` only while it still equals `expected`,
   * keeping its TTL; `false` when it changed or vanished meanwhile (a rewrap never resurrects a
   * deleted session nor overwrites a newer put).
   */
  swapKey(sessionId: string, expected: string, next: string): Promise<boolean>;
}
