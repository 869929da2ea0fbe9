import { randomBytes } from 'node:crypto';
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

// 24 random bytes become 32 base64url characters: 192 bits, well above the 128 DESIGN asks for, and
// a multiple of 3 bytes, so no padding and no partial last character. Drawn from a pool refilled by the
// CSPRNG 3 KiB at a time (one `randomBytes` per 128 ids), never reused.
const ID_BYTES = 24;
const POOL_BYTES = ID_BYTES * 128;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

/** Bits of CSPRNG output in every id from {@link generateSessionId}. */
export const SESSION_ID_RANDOM_BITS: number = ID_BYTES * 8;

/**
 * A new random session id: 192 bits from the CSPRNG as 32 characters of unpadded base64url
 * (`A-Z a-z 0-9 - _`), so it travels in a path, header or Redis hash tag unescaped and always passes
 * {@link assertSessionId}. Ids are unguessable bearer material at the router: never log them.
 *
 * @example
 * ```ts
 * const sessionId = generateSessionId(); // e.g. 'q3Yx0dV8m2…' (32 characters)
 * await store.put(sessionId, { record, privateKey });
 * ```
 */
export function generateSessionId(): string {
  if (offset + ID_BYTES > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  pool.fill(0, offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
