import { StoreUnavailableError } from './codes.js';
import { LatchkeyError } from './latchkey-error.js';

type Reason = StoreUnavailableError['reason'];

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function describe(error: unknown): { name: string; message: string; code: string } {
  if (typeof error !== 'object' || error === null) return { name: '', message: String(error), code: '' };
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof name === 'string' ? name : '',
    message: typeof message === 'string' ? message : '',
    code: typeof code === 'string' ? code : '',
  };
}

/**
 * Why a store call failed, from what ioredis / iovalkey (and most RESP clients) throw. Anything not
 * recognised is `unexpected-reply`: still `STORE_UNAVAILABLE`, never "not found".
 */
export function storeFailureReason(error: unknown): Reason {
  const { name, message, code } = describe(error);
  const lastError = (error as { lastNodeError?: unknown } | null)?.lastNodeError;
  if (CONNECTION_CODES.has(code) || name === 'MaxRetriesPerRequestError') return 'connection';
  if (
    message.startsWith('CLUSTERDOWN') ||
    message.startsWith('TRYAGAIN') ||
    name === 'ClusterAllFailedError'
  ) {
    return 'cluster-down';
  }
  if (message.startsWith('Too many Cluster redirections')) {
    // ioredis retried past its limit; the last node error says whether the cluster was down or moving.
    return lastError !== undefined && storeFailureReason(lastError) === 'cluster-down'
      ? 'cluster-down'
      : 'redirect';
  }
  if (message.startsWith('MOVED') || message.startsWith('ASK')) return 'redirect';
  if (message.includes("Stream isn't writeable") || message.includes('None of startup nodes is available'))
    return 'connection';
  if (
    message.startsWith('Connection is closed') ||
    message.includes('aborted') ||
    message.includes('Connection is discarded')
  ) {
    return 'closed';
  }
  if (message.includes('timed out') || message.startsWith('Socket timeout')) return 'timeout';
  if (message.startsWith('LOADING') || message.startsWith('MASTERDOWN') || message.startsWith('READONLY'))
    return 'cluster-down';
  if (lastError !== undefined && lastError !== error) return storeFailureReason(lastError);
  return 'unexpected-reply';
}

/**
 * Maps anything a driver threw to a `LatchkeyError`: typed errors pass through, the rest becomes
 * `StoreUnavailableError` with the client error as `cause` (clients do not put values in messages).
 */
export function toStoreError(error: unknown): LatchkeyError {
  if (LatchkeyError.is(error)) return error;
  return new StoreUnavailableError(storeFailureReason(error), { cause: error });
}

/** Runs driver calls under one deadline each; see {@link createDeadlines}. */
export interface Deadlines {
  run<T>(call: () => Promise<T>): Promise<T>;
}

/**
 * Deadlines for driver calls, all of the same length, swept by one timer instead of a timer per call
 * (a `setTimeout` + `clearTimeout` per call is a measurable share of a 25 µs round trip). A call past
 * its deadline rejects with `StoreUnavailableError('timeout')` within one tick (`timeoutMs / 10`, at
 * most 20 ms) after it. The call's own promise stays observed, so a command that later rejects is never
 * an unhandled rejection; its outcome is unknown (a timed-out write may still land).
 */
export function createDeadlines(timeoutMs: number): Deadlines {
  interface Pending {
    readonly at: number;
    readonly reject: (error: unknown) => void;
  }
  // Every deadline has the same length, so insertion order is deadline order: a sweep stops at the
  // first entry still in time.
  const pending = new Set<Pending>();
  const tick = Math.max(1, Math.min(20, Math.floor(timeoutMs / 10)));
  let timer: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    const now = performance.now();
    for (const entry of pending) {
      if (entry.at > now) break;
      pending.delete(entry);
      entry.reject(new StoreUnavailableError('timeout'));
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    run<T>(call: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const entry: Pending = { at: performance.now() + timeoutMs, reject };
        pending.add(entry);
        timer ??= setInterval(sweep, tick);
        let started: Promise<T>;
        try {
          started = call();
        } catch (error) {
          started = Promise.reject(error);
        }
        started.then(
          (value) => {
            pending.delete(entry);
            resolve(value);
          },
          (error: unknown) => {
            pending.delete(entry);
            reject(toStoreError(error));
          },
        );
      });
    },
  };
}
