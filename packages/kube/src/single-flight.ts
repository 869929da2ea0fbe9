import { CapacityExhaustedError } from '@latchkey/errors';

/** Shares one running task per key among concurrent callers, with a cap on tasks running at once. */
export interface SingleFlight<T> {
  /**
   * Joins the task running under `key`, or starts `task` when none runs. The caller's `signal` only
   * ends the caller's wait: the task keeps running for everyone else (and for the cache).
   * Throws `CAPACITY_EXHAUSTED` when `maxInFlight` tasks already run and none runs under `key`.
   */
  run(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now. */
  readonly inFlight: number;
}

/**
 * @example
 * ```ts
 * const flights = createSingleFlight<Identity>(256);
 * const identity = await flights.run(key, () => reviewAtApiServer(token), request.signal);
 * ```
 */
export function createSingleFlight<T>(maxInFlight: number): SingleFlight<T> {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new TypeError('maxInFlight must be a positive integer');
  }
  const running = new Map<string, Promise<T>>();
  return {
    run(key, task, signal) {
      let shared = running.get(key);
      if (shared === undefined) {
        if (running.size >= maxInFlight)
          return Promise.reject(new CapacityExhaustedError('reviews-in-flight'));
        shared = Promise.resolve()
          .then(task)
          .finally(() => running.delete(key));
        running.set(key, shared);
        // Every caller may abandon it; the task's failure must not then surface as unhandled.
        shared.catch(() => undefined);
      }
      return signal === undefined ? shared : abandonable(shared, signal);
    },
    get inFlight() {
      return running.size;
    },
  };
}

function abandonable<T>(shared: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
