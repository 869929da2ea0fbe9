import { InvalidRequestError } from '@latchkey/errors';

/** Longest session id accepted, in characters. */
export const MAX_SESSION_ID_LENGTH = 128;

// URL-safe (RFC 4648 §5 alphabet), so an id travels in a path or header unescaped, and free of the
// braces that would break the Redis Cluster hash tag `{<sessionId>}`, and of glob characters.
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Checks that `value` is a session id this package accepts: 1 to 128 characters of `A-Z a-z 0-9 - _`.
 * Runs before an id becomes part of a key name.
 *
 * @throws InvalidRequestError (`INVALID_REQUEST`, reason `invalid-session-id`) otherwise.
 * @example
 * ```ts
 * assertSessionId(request.headers['x-latchkey-session']);
 * ```
 */
export function assertSessionId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SESSION_ID.test(value))
    throw new InvalidRequestError('invalid-session-id');
}

/**
 * Whether `value` is a session id this package accepts (see {@link assertSessionId}).
 *
 * @example
 * ```ts
 * if (!isSessionId(id)) return notFound();
 * ```
 */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

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
