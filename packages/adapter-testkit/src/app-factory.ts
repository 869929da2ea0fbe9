// Each adapter hands the shared suites one small factory: build its framework's test app on the given
// primitives and listen on port 0. Everything else an adapter test needs is framework-free.
import { afterAll, beforeAll } from 'vitest';
import { createKit, type Kit } from './kit.js';
import type { Target } from './scenarios.js';

/** One adapter's test app, listening on port 0. */
export interface RunningApp {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Closes the server and every connection it holds (streams included). */
  close(): Promise<void>;
}

/** Builds and starts one framework's test app on the given primitives (each adapter's `test/app.ts`). */
export type AppFactory = (kit: Kit) => Promise<RunningApp>;

/**
 * Starts one app on fresh in-memory primitives before the file's tests and closes both after them;
 * returns accessors for `adapterScenarios` and the adapter's own tests (read inside tests only).
 */
export function useTestApp(start: AppFactory): Target {
  let kit: Kit | undefined;
  let app: RunningApp | undefined;
  beforeAll(async () => {
    kit = await createKit();
    app = await start(kit);
  });
  afterAll(async () => {
    await app?.close();
    await kit?.close();
  });
  return {
    kit: () => kit as Kit,
    url: () => (app as RunningApp).url,
  };
}
