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
  /**
   * Runs `call` under the deadline. `onValue`, when given, maps the call's value before the returned
   * promise settles (one promise hop instead of a `.then` after it); an error it throws rejects the
   * promise as it is, not as a store failure.
   */
  run<T>(call: () => Promise<T>): Promise<T>;
  run<T, U>(call: () => Promise<T>, onValue: (value: T) => U): Promise<U>;
}

/** One pending call, linked in deadline order; `at` is `-1` once settled. */
interface Pending {
  at: number;
  prev: Pending | null;
  next: Pending | null;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Deadlines for driver calls, all of the same length, swept by one timer instead of a timer per call
 * (a `setTimeout` + `clearTimeout` per call is a measurable share of a 25 µs round trip). A call past
 * its deadline rejects with `StoreUnavailableError('timeout')` within one tick (`timeoutMs / 10`, at
 * most 20 ms) after it. The call's own promise stays observed, so a command that later rejects is never
 * an unhandled rejection; its outcome is unknown (a timed-out write may still land).
 *
 * Pending calls sit in an intrusive doubly linked list (equal lengths, so insertion order is deadline
 * order): settling unlinks in O(1) and a sweep stops at the first call still in time. A `Set` here cost
 * ~3 µs of CPU per call with 64 in flight (its table churns on every add/delete), a third of a GET.
 * `onValue` exists for the same budget: a read that parses its reply saves a promise and a microtask.
 *
 * @example
 * ```ts
 * const deadlines = createDeadlines(300);
 * const value = await deadlines.run(() => client.get(key)); // StoreUnavailableError('timeout') past 300 ms
 * ```
 */
export function createDeadlines(timeoutMs: number): Deadlines {
  let first: Pending | null = null;
  let last: Pending | null = null;
  const unlink = (entry: Pending): void => {
    if (entry.prev === null) first = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) last = entry.prev;
    else entry.next.prev = entry.prev;
    entry.at = -1;
  };
  const tick = Math.max(1, Math.min(20, Math.floor(timeoutMs / 10)));
  let timer: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    const now = performance.now();
    while (first !== null && first.at <= now) {
      const entry: Pending = first;
      unlink(entry);
      entry.reject(new StoreUnavailableError('timeout'));
    }
    if (first === null && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    run<T, U>(call: () => Promise<T>, onValue?: (value: T) => U): Promise<U> {
      let started: Promise<T>;
      try {
        started = call();
      } catch (error) {
        return Promise.reject(toStoreError(error));
      }
      let entry: Pending | undefined;
      const promise = new Promise<U>((resolve, reject) => {
        entry = {
          at: performance.now() + timeoutMs,
          prev: last,
          next: null,
          resolve: resolve as (value: unknown) => void,
          reject,
        };
      });
      const pending = entry as Pending;
      if (last === null) first = pending;
      else last.next = pending;
      last = pending;
      timer ??= setInterval(sweep, tick);
      started.then(
        (value) => {
          if (pending.at === -1) return;
          unlink(pending);
          if (onValue === undefined) pending.resolve(value);
          else {
            try {
              pending.resolve(onValue(value));
            } catch (error) {
              pending.reject(error);
            }
          }
        },
        (error: unknown) => {
          if (pending.at === -1) return;
          unlink(pending);
          pending.reject(toStoreError(error));
        },
      );
      return promise;
    },
  };
}
