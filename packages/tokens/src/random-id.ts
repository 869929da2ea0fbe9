/**
 * Token ids (`jti`): 128 random bits, base64url (22 characters), drawn from a pooled buffer so that one
 * `randomFillSync` serves 256 ids instead of one call per token.
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const pool = Buffer.allocUnsafe(ID_BYTES * 256);
let offset = pool.length;

/** Shortest `jti` an issuer's `randomId` may return: 22 base64url characters carry 128 bits. */
export const MIN_RANDOM_ID_LENGTH = 22;

/** A fresh 128-bit random id, base64url. */
export function randomTokenId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
