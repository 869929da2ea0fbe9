/**
 * Replay guards remember the `jti` of every accepted token until it could no longer be accepted
 * (`exp` + clock tolerance). The key is always the `jti`, never the token: ECDSA signatures are
 * malleable (`s` → `n − s` is a second valid signature), so one set of claims has several valid tokens.
 */
import { CapacityExhaustedError } from '@latchkey/errors';
import { createExpiryQueue } from './expiry-queue.js';
import { clockOption, integerOption } from './options.js';

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

/** An in-process replay guard; `size` counts the ids held (live, or expired and not yet reclaimed). */
export interface MemoryReplayGuard extends ReplayGuard {
  readonly size: number;
}

// Expired ids reclaimed per claim, beyond the one a full guard needs: spreads a burst of expiries
// over the following claims instead of paying for it in one.
const RECLAIM_PER_CLAIM = 8;

/**
 * The refusal of a full guard, built without a stack trace: it is a capacity signal, not a bug, and a
 * flood of refusals (a guard full of live ids is what an attacker aims for) should cost what a hit costs;
 * capturing a stack is most of an error's price.
 */
function fullError(): CapacityExhaustedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CapacityExhaustedError('replay-guard-full');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * A bounded in-process replay guard for one process (a sandbox). When it holds `max` live ids it
 * refuses new tokens with `CAPACITY_EXHAUSTED` (`replay-guard-full`, 503) rather than evicting one:
 * evicting a live id would let its token be replayed. Expired ids are reclaimed in order of expiry
 * (see `expiry-queue.ts`), a few per claim, so no claim ever scans the live ids: a claim costs O(1)
 * amortised whether the guard is empty, full and churning, or full of live ids.
 *
 * @example
 * ```ts
 * const replayGuard = createMemoryReplayGuard({ max: 10_000 });
 * const verifier = createBootstrapVerifier({ publicKey, issuer, audience, replayGuard });
 * ```
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions): MemoryReplayGuard {
  const max = integerOption('max', options.max, 0, 1, 2 ** 24);
  const now = clockOption(options.now);
  const held = new Map<string, number>();
  const order = createExpiryQueue();

  // Pops entries whose expiry has passed, at most `budget` of them; true when it freed an id.
  const reclaim = (at: number, budget: number): boolean => {
    let freed = false;
    for (let i = 0; i < budget && order.peek() <= at; i++) {
      const jti = order.shift() as string;
      // The id may have been claimed again since (a later expiry): only an expired hold is dropped.
      const expiresAt = held.get(jti);
      if (expiresAt !== undefined && expiresAt <= at) {
        held.delete(jti);
        freed = true;
      }
    }
    return freed;
  };

  const claimSync = (jti: string, expiresAtMs: number): boolean => {
    const at = now();
    reclaim(at, RECLAIM_PER_CLAIM);
    const existing = held.get(jti);
    if (existing !== undefined) {
      if (existing > at) return false;
      held.delete(jti);
    }
    // A token already past its acceptance window cannot be accepted by a verifier: nothing to hold.
    if (!(expiresAtMs > at)) return true;
    // Full: reclaim until one id is free or the earliest expiry is still live (then refuse, as cheaply
    // as a hit). Every entry is popped once, so this is amortised O(1) too.
    while (held.size >= max) {
      if (order.peek() > at) throw fullError();
      reclaim(at, 1);
    }
    held.set(jti, expiresAtMs);
    order.push(expiresAtMs, jti);
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
