/**
 * `@latchkey/tokens/testing`: the memory replay guard and the conformance suite every `ReplayGuard`
 * passes, as Vitest tests. Vitest is an optional peer of this entry only: importing the main entry or
 * `./redis` never loads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayGuard } from './replay-guard.js';

export {
  createMemoryReplayGuard,
  type MemoryReplayGuard,
  type MemoryReplayGuardOptions,
} from './replay-guard.js';

/** What {@link runReplayGuardConformance} runs against. */
export interface ReplayGuardBackend {
  /** Names the `describe` block. */
  readonly name: string;
  /** Called once before the suite (start a server, connect a client). */
  setup?(): Promise<void>;
  /**
   * A guard under test whose ids all live under `prefix` (fresh per test, so tests stay independent
   * on a shared server). It uses the real clock; `timeoutMs`, when the backend has a deadline, is the
   * one the suite expects a paused store to be refused within.
   */
  createGuard(prefix: string): ReplayGuard;
  /**
   * Makes the store stop answering, as a paused server; the returned function makes it answer again.
   * Backends without a store (memory) leave it out and the fault case is not run.
   */
  pause?(): Promise<() => Promise<void>>;
  /** The backend's deadline in ms, checked against a paused store; default 2000. */
  readonly timeoutMs?: number;
  /** Called once after the suite. */
  teardown?(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The conformance suite every {@link ReplayGuard} passes: an id is accepted once until its expiry and
 * again after it, exactly one of 100 concurrent claims wins, ids are independent, a claim already past
 * its window holds nothing, and a paused store fails closed (`STORE_UNAVAILABLE` within the deadline,
 * never `true`) and recovers. Run it over every backend with `describe.each`.
 *
 * @example
 * ```ts
 * // my-guard.int.test.ts
 * describe.each([memory, redis])('$name', (backend) => runReplayGuardConformance(backend));
 * ```
 */
export function runReplayGuardConformance(backend: ReplayGuardBackend): void {
  describe(`replay guard conformance: ${backend.name}`, () => {
    let run = 0;
    const base = `conf-${process.pid}-${Date.now().toString(36)}`;
    const fresh = (): ReplayGuard => backend.createGuard(`${base}-${++run}:`);

    beforeAll(async () => {
      await backend.setup?.();
    });
    afterAll(async () => {
      await backend.teardown?.();
    });

    it('accepts an id once within its window', async () => {
      const guard = fresh();
      const until = Date.now() + 30_000;
      expect(await guard.claim('a', until)).toBe(true);
      expect(await guard.claim('a', until)).toBe(false);
      expect(await guard.claim('a', until + 1000)).toBe(false);
      expect(await guard.claim('b', until)).toBe(true);
    });

    it('lets exactly one of 100 concurrent claims of one id win', async () => {
      const guard = fresh();
      const until = Date.now() + 30_000;
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(Array.from({ length: 100 }, () => guard.claim(`c${round}`, until)));
        expect(results.filter((first) => first === true)).toHaveLength(1);
      }
    });

    it('releases an id once its window has passed', async () => {
      const guard = fresh();
      expect(await guard.claim('short', Date.now() + 200)).toBe(true);
      expect(await guard.claim('short', Date.now() + 200)).toBe(false);
      await sleep(300);
      expect(await guard.claim('short', Date.now() + 30_000)).toBe(true);
      expect(await guard.claim('short', Date.now() + 30_000)).toBe(false);
    });

    it('holds nothing for a claim already past its window', async () => {
      const guard = fresh();
      expect(await guard.claim('late', Date.now() - 1)).toBe(true);
      expect(await guard.claim('late', Date.now() + 30_000)).toBe(true);
    });

    const { pause } = backend;
    // Only backends with a store have this fault case (memory has nothing to pause).
    if (pause !== undefined) {
      it('fails closed with STORE_UNAVAILABLE within its deadline while the store is paused, then recovers', async () => {
        const guard = fresh();
        const timeoutMs = backend.timeoutMs ?? 2000;
        expect(await guard.claim('before', Date.now() + 30_000)).toBe(true);
        const resume = await pause();
        try {
          const started = performance.now();
          await expect(guard.claim('during', Date.now() + 30_000)).rejects.toMatchObject({
            code: 'STORE_UNAVAILABLE',
            status: 503,
          });
          expect(performance.now() - started).toBeLessThan(timeoutMs + 500);
        } finally {
          await resume();
        }
        // Back: a replay is a replay again, a new id is new.
        expect(await guard.claim('before', Date.now() + 30_000)).toBe(false);
        expect(await guard.claim('after', Date.now() + 30_000)).toBe(true);
      }, 20_000);
    }
  });
}
