import { createHash } from 'node:crypto';
import type { TargetField } from '@latchkey/errors';

/**
 * Emitted for every refused reuse of a session id: a stored binding that differs from the requested
 * target (`mismatch`) or that lacks a field (`missing-metadata`). It carries the session id and the
 * field names only: no tokens, and no target values (they are not secret, but an event that never
 * carries values can be shipped anywhere without review; the caller still holds the requested target).
 */
export interface TargetSecurityEvent {
  readonly type: 'session-target-mismatch';
  readonly reason: 'mismatch' | 'missing-metadata';
  /** The session id the request named. */
  readonly sessionId: string;
  /** The fields that differ or are missing, in the order `namespace`, `name`, `kind`. */
  readonly fields: readonly TargetField[];
}

/** Receives security events. Should not throw; if it does, the event is written by the default writer. */
export type SecurityEventHook = (event: TargetSecurityEvent) => void;

/**
 * A short, stable, one-way fingerprint of a session id. A session id can be a capability (whoever holds
 * it can route to the session), so the default writer logs this instead of the id itself.
 */
function fingerprint(sessionId: unknown): string {
  if (typeof sessionId !== 'string') return 'none';
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 16);
}

/**
 * The default security event hook: a `process.emitWarning` of type `LatchkeySecurityWarning` and code
 * `SESSION_TARGET_MISMATCH`, which Node prints to stderr at default settings and which
 * `process.on('warning')` can route to a logger. It prints a SHA-256 fingerprint of the session id, not
 * the id itself.
 *
 * @example
 * ```ts
 * const matcher = createTargetMatcher({
 *   onSecurityEvent: (event) => {
 *     audit.write(event);
 *     warnSecurityEvent(event);
 *   },
 * });
 * ```
 */
export function warnSecurityEvent(event: TargetSecurityEvent): void {
  process.emitWarning(
    `session target ${event.reason} (session sha256:${fingerprint(event.sessionId)}, fields: ${event.fields.join(',')})`,
    { type: 'LatchkeySecurityWarning', code: 'SESSION_TARGET_MISMATCH' },
  );
}
