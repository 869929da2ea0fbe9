/**
 * Replay guards remember the `jti` of every accepted token until it could no longer be accepted
 * (`exp` + clock tolerance). The key is always the `jti`, never the token: ECDSA signatures are
 * malleable (`s` → `n − s` is a second valid signature), so one set of claims has several valid tokens.
 */
import { CapacityExhaustedError } from '@latchkey/errors';

/**
 * Remembers token ids. `claim` resolves `true` when `jti` was not claimed before (it is now, until
 * `expiresAtMs`), `false` when it was (a replay). It rejects with a `LatchkeyError` (for example
 * `STORE_UNAVAILABLE` or `CAPACITY_EXHAUSTED`) when it cannot tell: callers treat that as a refusal,
 * never as "not replayed". Anything but `true` is read as a replay.
 */
export interface ReplayGuard {
  claim(jti: string, expiresAtMs: number): Promise<boolean>;
}

/** Options of {@link createMemoryReplayGuard}. */
export interface MemoryReplayGuardOptions {
  /** Most ids held at once. When that many live ids are held, new claims are refused. */
  readonly max: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** An in-process replay guard; `size` counts the ids held (live or not yet reclaimed). */
export interface MemoryReplayGuard extends ReplayGuard {
  readonly size: number;
}

/**
 * A bounded in-process replay guard for one process (a sandbox). When it holds `max` live ids it
 * refuses new tokens with `CAPACITY_EXHAUSTED` (`replay-guard-full`, 503) rather than evicting one:
 * evicting a live id would let its token be replayed. Expired ids are reclaimed.
 *
 * @example
 * ```ts
 * const replayGuard = createMemoryReplayGuard({ max: 10_000 });
 * const verifier = createBootstrapVerifier({ publicKey, issuer, audience, replayGuard });
 * ```
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions): MemoryReplayGuard {
  const { max } = options;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
  const now = options.now ?? Date.now;
  const held = new Map<string, number>();
  // Earliest expiry among the held ids after the last sweep: until then a sweep frees nothing, so a
  // guard full of live ids refuses in O(1) instead of rescanning on every claim.
  let nextReclaimAt = Number.POSITIVE_INFINITY;

  const sweep = (at: number): void => {
    nextReclaimAt = Number.POSITIVE_INFINITY;
    for (const [jti, expiresAt] of held) {
      if (expiresAt <= at) held.delete(jti);
      else if (expiresAt < nextReclaimAt) nextReclaimAt = expiresAt;
    }
  };

  const claimSync = (jti: string, expiresAtMs: number): boolean => {
    const at = now();
    const existing = held.get(jti);
    if (existing !== undefined) {
      if (existing > at) return false;
      held.delete(jti);
    }
    // A token already past its acceptance window cannot be accepted by a verifier: nothing to hold.
    if (!(expiresAtMs > at)) return true;
    if (held.size >= max) {
      if (at >= nextReclaimAt) sweep(at);
      if (held.size >= max) throw new CapacityExhaustedError('replay-guard-full');
    }
    held.set(jti, expiresAtMs);
    if (expiresAtMs < nextReclaimAt) nextReclaimAt = expiresAtMs;
    return true;
  };

  return {
    claim(jti: string, expiresAtMs: number): Promise<boolean> {
      try {
        return Promise.resolve(claimSync(jti, expiresAtMs));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    get size(): number {
      return held.size;
    },
  };
}
