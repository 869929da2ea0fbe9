import { LatchkeyError } from '@latchkey/errors';
import { type Fingerprint, sessionFingerprint } from '../fingerprint.js';
import { errorFields, type Logger } from '../log.js';

/** What one sweep did. */
export interface SweepReport {
  /** Sessions whose record the store answered for (present or gone). */
  readonly checked: number;
  /** Sandboxes stopped because the store said their session is gone. */
  readonly stopped: number;
  /** Sessions kept because the store did not answer for them (retried at the next sweep). */
  readonly unanswered: number;
}

/** A periodic sweep over the sessions that have a sandbox in this process. */
export interface SessionSweeper {
  /**
   * Runs one sweep now, or joins the one already running: two sweeps never run at once. Never
   * rejects; after {@link SessionSweeper.close} it does nothing.
   */
  sweep(): Promise<SweepReport>;
  /** Stops the timer; a sweep in progress starts no further reads and stops no further sandbox. */
  close(): void;
}

/** Options of {@link createSessionSweeper}: the effects are injected, the policy lives here. */
export interface SessionSweeperOptions {
  /** Session ids with a sandbox here that are fully created (a session being created has no record yet). */
  readonly candidates: () => Iterable<string>;
  /** `true` when the store holds the session, `false` when it definitely does not; throws when it cannot say. */
  readonly exists: (sessionId: string) => Promise<boolean>;
  /** Stops the session's sandbox and drops what this process caches for it. */
  readonly retire: (sessionId: string) => Promise<void>;
  readonly log: Logger;
  /** What log lines carry instead of a session id; default the process's keyed fingerprint. */
  readonly fingerprint?: Fingerprint;
  /** Milliseconds between sweeps; `0` runs no timer (sweeps only on {@link SessionSweeper.sweep}). */
  readonly intervalMs: number;
  /** Record reads in flight at once. */
  readonly concurrency: number;
}

// setInterval clamps anything above 2^31 - 1 ms to 1 ms: refuse it instead of sweeping in a busy loop.
const MAX_INTERVAL_MS = 2 ** 31 - 1;
const MAX_CONCURRENCY = 1_024;
const NOTHING: SweepReport = Object.freeze({ checked: 0, stopped: 0, unanswered: 0 });

/**
 * Stops the local sandboxes whose session is gone from the shared store (deleted through another
 * router, or expired), on an unref'd timer. Fails closed the right way round: only a definite "no
 * such session" stops a sandbox; a store that cannot answer stops nothing (a blip must not end every
 * session) and is logged once per sweep, then retried at the next tick. A tick that finds the previous
 * sweep still running is skipped.
 *
 * @example
 * ```ts
 * const sweeper = createSessionSweeper({
 *   candidates: () => launcher.sessionIds(),
 *   exists: async (id) => (await sessions.getRecord(id)) !== null,
 *   retire: (id) => launcher.stop(id),
 *   log, intervalMs: 10_000, concurrency: 32,
 * });
 * ```
 */
export function createSessionSweeper(options: SessionSweeperOptions): SessionSweeper {
  const { intervalMs, concurrency, log } = options;
  const fingerprint = options.fingerprint ?? sessionFingerprint;
  if (!Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new TypeError(`sweepIntervalMs must be an integer from 0 to ${MAX_INTERVAL_MS}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new TypeError(`sweepConcurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  let closed = false;
  let running: Promise<SweepReport> | undefined;

  const run = async (): Promise<SweepReport> => {
    const ids = [...options.candidates()];
    let next = 0;
    let checked = 0;
    let stopped = 0;
    let unanswered = 0;
    let failure: { readonly error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      for (let id = ids[next++]; id !== undefined && !closed; id = ids[next++]) {
        let present: boolean;
        try {
          present = await options.exists(id);
        } catch (error) {
          // Not an answer: the session may well be alive. Keep its sandbox, try again next sweep.
          unanswered++;
          failure ??= { error };
          continue;
        }
        checked++;
        if (present || closed) continue;
        try {
          await options.retire(id);
          stopped++;
          log.info('session-swept', { session: fingerprint(id) });
        } catch (error) {
          log.error('sandbox-stop-failed', { session: fingerprint(id), ...errorFields(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
    if (failure !== undefined && !closed) {
      // One line per sweep, however many reads failed: an outage must not flood the log.
      const event = LatchkeyError.is(failure.error, 'STORE_UNAVAILABLE')
        ? 'store-unavailable'
        : 'sweep-failed';
      log.warn(event, { during: 'sweep', unanswered, ...errorFields(failure.error) });
    }
    return { checked, stopped, unanswered };
  };

  const sweep = (): Promise<SweepReport> => {
    if (closed) return Promise.resolve(NOTHING);
    running ??= run()
      .catch((error: unknown) => {
        log.error('sweep-failed', { during: 'sweep', ...errorFields(error) });
        return NOTHING;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  if (intervalMs > 0) {
    timer = setInterval(() => {
      if (running === undefined) void sweep();
    }, intervalMs);
    // The sweep is housekeeping: it must never keep a process alive that has nothing else to do.
    timer.unref();
  }

  return {
    sweep,
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
