import { createHmac, randomBytes } from 'node:crypto';

/** Turns a session id into what a log line may carry instead of it. */
export type Fingerprint = (sessionId: string) => string;

/**
 * A keyed fingerprint of session ids for logs (DESIGN T13): HMAC-SHA-256 under `key`, truncated to 64
 * bits as 16 hex characters. At the router a session id next to its target is a bearer credential; its
 * fingerprint lets lines about one session be joined without letting a reader invoke it, and without
 * the key (random per process, never logged) it cannot be recomputed from a guessed or leaked id.
 *
 * @example
 * ```ts
 * const fingerprint = createFingerprint();
 * log.info('session-created', { session: fingerprint(sessionId) });
 * ```
 */
export function createFingerprint(key: Uint8Array = randomBytes(32)): Fingerprint {
  if (!(key instanceof Uint8Array) || key.byteLength < 16) {
    throw new TypeError('fingerprint key must be at least 16 bytes');
  }
  const copy = Buffer.from(key);
  return (sessionId) => createHmac('sha256', copy).update(sessionId).digest('hex').slice(0, 16);
}

/**
 * The process's fingerprint, under one random key per process, so every line about a session carries
 * the same value whichever server of the process (router, in-process sandbox) wrote it.
 *
 * @example
 * ```ts
 * log.info('initialized', { session: sessionFingerprint(sessionId) });
 * ```
 */
export const sessionFingerprint: Fingerprint = createFingerprint();
