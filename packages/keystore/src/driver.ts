import type { SessionKeyNames } from './session-id.js';

/** Which of a session's two entries to read. */
export type SessionPart = 'record' | 'key';

/** One page of a scan over every master. */
export interface ScanPage {
  /** Entry names matching the pattern (a name may appear on more than one page, as with SCAN). */
  readonly names: readonly string[];
  /** Opaque cursor of the next page, or `null` when the scan is complete. */
  readonly cursor: string | null;
}

/**
 * The port a session store drives, shaped by what the core needs. Both names of a session share one
 * hash tag (one cluster slot), so every multi-key operation here is single-slot and atomic. A driver
 * only translates calls to its client; it throws whatever the client throws (the store maps failures
 * to `STORE_UNAVAILABLE` and applies its own timeout around every call).
 *
 * Implement it for another client and check it with `runSessionStoreConformance` from
 * `@latchkey/keystore/testing`.
 *
 * @example
 * ```ts
 * const store = createSessionStore({ driver: ioredisDriver(new Redis(url)), keyring });
 * ```
 */
export interface SessionStoreDriver {
  /** Writes both entries with the same TTL in one atomic step (one MULTI/EXEC or one command). */
  write(names: SessionKeyNames, record: string, key: string, ttlSeconds: number): Promise<void>;
  /** The value of one entry, or `null` when it does not exist (expired or deleted). */
  read(names: SessionKeyNames, part: SessionPart): Promise<string | null>;
  /** Sets the TTL of both entries atomically; `true` only when both exist. */
  touch(names: SessionKeyNames, ttlSeconds: number): Promise<boolean>;
  /** Removes both entries with one command (`UNLINK`); `true` when anything was removed. */
  delete(names: SessionKeyNames): Promise<boolean>;
  /**
   * One page of the names matching `pattern` (a SCAN glob), across every master of a cluster.
   * `cursor` is `null` to start, then the cursor of the previous page.
   */
  scan(pattern: string, cursor: string | null, count: number): Promise<ScanPage>;
  /**
   * Replaces the encrypted key of a session with `next` only while it still equals `expected`,
   * keeping its TTL; `false` when it changed or vanished meanwhile (a rewrap never resurrects a
   * deleted session nor overwrites a newer put).
   */
  swapKey(names: SessionKeyNames, expected: string, next: string): Promise<boolean>;
}
