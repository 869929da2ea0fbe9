import { LatchkeyError } from '@latchkey/errors';
import type { SessionStoreDriver } from './driver.js';
import { envelopeKeyId, openEnvelope, sealEnvelope } from './envelope.js';
import type { Keyring } from './keyring.js';

/** Options of `SessionStore.rewrap`. */
export interface RewrapOptions {
  /** Cursor returned by the previous call; omit to start. */
  readonly cursor?: string | null;
  /** Sessions per page (a SCAN COUNT hint per master on Redis); default 100, at most 10,000. */
  readonly batch?: number;
  /** Sessions of the page in flight at once (reads, then compare-and-swaps); default 16, at most 256. */
  readonly concurrency?: number;
}

/** Outcome of one `SessionStore.rewrap` page. */
export interface RewrapResult {
  /** Pass it to the next call; `null` once every master has been scanned. */
  readonly cursor: string | null;
  readonly scanned: number;
  /** Entries moved to the current key. */
  readonly rewrapped: number;
  /** Entries already under the current key, or changed / deleted meanwhile. */
  readonly skipped: number;
  /** Entries that could not be decrypted (unknown key id, corrupt); left as they are and reported. */
  readonly failed: number;
}

/** What a rewrap needs from its store. */
export interface RewrapContext {
  readonly driver: SessionStoreDriver;
  readonly keyring: Keyring;
  /** Runs one driver call under the store's deadline and failure mapping. */
  call<T>(run: () => Promise<T>): Promise<T>;
  /** Reports an entry that failed to decrypt (never throws). */
  reportDecryptFailure(error: LatchkeyError): void;
}

type Outcome = 'rewrapped' | 'skipped' | 'failed';

async function rewrapOne(context: RewrapContext, sessionId: string): Promise<Outcome> {
  const { driver, keyring, call } = context;
  const stored = await call(() => driver.read(sessionId, 'key'));
  let next: string;
  try {
    if (stored === null || envelopeKeyId(stored) === keyring.current) return 'skipped';
    const plaintext = openEnvelope(keyring, sessionId, stored);
    try {
      next = sealEnvelope(keyring, sessionId, plaintext);
    } finally {
      plaintext.fill(0);
    }
  } catch (error) {
    if (!LatchkeyError.is(error, 'DECRYPT_FAILED')) throw error;
    context.reportDecryptFailure(error);
    return 'failed';
  }
  // Compare-and-swap keeping the TTL: a session deleted or replaced meanwhile is left alone.
  return (await call(() => driver.swapKey(sessionId, stored, next))) ? 'rewrapped' : 'skipped';
}

/**
 * Moves one scan page of sessions to the keyring's current key: the page's reads and compare-and-swaps
 * run with at most `concurrency` in flight (on Redis they share the connection as a pipeline), so a
 * page costs about one round trip per `concurrency` sessions instead of two per session. Resumable from
 * any returned cursor; idempotent; a session deleted or replaced meanwhile is left alone.
 *
 * @throws TypeError for a bad `batch` or `concurrency`; the first store failure as `STORE_UNAVAILABLE`
 *   (the page can be retried from the same cursor).
 * @example
 * ```ts
 * const page = await rewrapPage(context, { cursor, batch: 200 });
 * ```
 */
export async function rewrapPage(context: RewrapContext, options: RewrapOptions = {}): Promise<RewrapResult> {
  const batch = options.batch ?? 100;
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000)
    throw new TypeError('batch must be an integer from 1 to 10000');
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new TypeError('concurrency must be an integer from 1 to 256');
  const page = await context.call(() => context.driver.scan(options.cursor ?? null, batch));
  // SCAN may return a name twice; one pass per session is enough.
  const sessionIds = [...new Set(page.sessionIds)];
  const counts = { rewrapped: 0, skipped: 0, failed: 0 };
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < sessionIds.length) {
      const sessionId = sessionIds[next++] as string;
      try {
        counts[await rewrapOne(context, sessionId)]++;
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sessionIds.length) }, worker));
  return { cursor: page.cursor, scanned: page.sessionIds.length, ...counts };
}
