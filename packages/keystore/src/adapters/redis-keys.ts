import { isSessionId } from '../session-id.js';

/** The two key names of one session; both carry the hash tag `{<sessionId>}`, so one cluster slot. */
export interface SessionKeyNames {
  /** `<prefix>:{<sessionId>}:rec`, the JSON record. */
  readonly record: string;
  /** `<prefix>:{<sessionId>}:key`, the encrypted private key. */
  readonly key: string;
}

const PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Checks a key prefix: 1 to 64 characters of `A-Z a-z 0-9 . _ : -` — no glob characters (the prefix
 * goes into a SCAN pattern) and no braces (they would move the hash tag).
 *
 * @throws TypeError otherwise (a configuration mistake).
 * @example
 * ```ts
 * assertKeyPrefix('latchkey:sessions');
 * ```
 */
export function assertKeyPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new TypeError('prefix must be 1 to 64 characters of A-Z a-z 0-9 . _ : -');
  }
}

/**
 * Key names of a session under `prefix`. The session id must already be valid.
 *
 * @example
 * ```ts
 * sessionKeyNames('latchkey', 's1'); // { record: 'latchkey:{s1}:rec', key: 'latchkey:{s1}:key' }
 * ```
 */
export function sessionKeyNames(prefix: string, sessionId: string): SessionKeyNames {
  const tagged = `${prefix}:{${sessionId}}`;
  return { record: `${tagged}:rec`, key: `${tagged}:key` };
}

/**
 * The SCAN pattern matching the encrypted-key entries of every session under `prefix`.
 *
 * @example
 * ```ts
 * keyEntryPattern('latchkey'); // 'latchkey:{*}:key'
 * ```
 */
export function keyEntryPattern(prefix: string): string {
  return `${prefix}:{*}:key`;
}

/**
 * The session id of an encrypted-key entry name, or `null` when the name is not one of ours.
 *
 * @example
 * ```ts
 * sessionIdOfKeyEntry('latchkey', 'latchkey:{s1}:key'); // 's1'
 * ```
 */
export function sessionIdOfKeyEntry(prefix: string, name: string): string | null {
  const head = `${prefix}:{`;
  const tail = '}:key';
  if (!name.startsWith(head) || !name.endsWith(tail)) return null;
  const id = name.slice(head.length, name.length - tail.length);
  return isSessionId(id) ? id : null;
}
