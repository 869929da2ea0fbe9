import { type LatchkeyError, toStoreError } from '@latchkey/errors';

/** What a reconcile pass works on. */
export interface ReconcileTarget {
  /** Users with live leases now. */
  userIds(): string[];
  /** Whether `userId` still has live leases. */
  has(userId: string): boolean;
  /** The stored watermark of `userId` (rejects when the store cannot answer). */
  read(userId: string): Promise<number | undefined>;
  /** Ends the user's leases issued at or before `watermarkMs`; returns how many. */
  apply(userId: string, watermarkMs: number): number;
}

/** Store reads a pass keeps in flight at once. */
export const RECONCILE_CONCURRENCY = 64;

/**
 * One reconcile pass: re-reads the stored watermark of every user with a live lease (at most
 * {@link RECONCILE_CONCURRENCY} reads at a time) and ends each lease issued at or before it: the
 * catch-up for revocation messages this instance missed. Resolves with how many leases it ended. After a
 * failed read no new read starts (with the store down each would wait for its deadline) and it rejects
 * with `STORE_UNAVAILABLE`; leases whose user could not be checked stay live (a blip is not a logout).
 *
 * @example
 * ```ts
 * const ended = await reconcileOnce({ userIds, has, read: bus.watermark, apply });
 * ```
 */
export async function reconcileOnce(target: ReconcileTarget): Promise<number> {
  const pending = target.userIds();
  let next = 0;
  let ended = 0;
  let failure: LatchkeyError | undefined;
  const reader = async (): Promise<void> => {
    for (let userId = pending[next++]; userId !== undefined; userId = pending[next++]) {
      if (failure !== undefined) return;
      if (!target.has(userId)) continue;
      let stored: number | undefined;
      try {
        stored = await target.read(userId);
      } catch (error) {
        failure ??= toStoreError(error);
        return;
      }
      if (stored !== undefined) ended += target.apply(userId, stored);
    }
  };
  const readers = Math.min(RECONCILE_CONCURRENCY, pending.length);
  await Promise.all(Array.from({ length: readers }, reader));
  if (failure !== undefined) throw failure;
  return ended;
}

/**
 * Runs passes in the background, never two at once: a trigger during a pass asks for one more after
 * it, because the running pass may have read the store before the watermark it should catch was written.
 *
 * @example
 * ```ts
 * const background = createBackgroundReconcile(() => reconcileOnce(target), onError);
 * background.trigger();
 * ```
 */
export function createBackgroundReconcile(
  pass: () => Promise<number>,
  onError: (error: unknown) => void,
): { trigger(): void; stop(): void } {
  let running = false;
  let again = false;
  let stopped = false;
  const trigger = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    pass()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          trigger();
        }
      });
  };
  return {
    trigger,
    stop() {
      stopped = true;
    },
  };
}
