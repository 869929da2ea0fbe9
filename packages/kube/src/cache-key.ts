import { hash, randomInt } from 'node:crypto';

const BLOCK_BYTES = 64;

/** Computes token-free cache keys: HMAC-SHA256 under a key that never leaves the process. */
export type CacheKeyer = (message: string) => string;

/** Options of {@link createCacheKeyer}. */
export interface CacheKeyerOptions {
  /**
   * The 64-byte HMAC key. Every byte must be below 0x80 (see below). Default: random per process,
   * 448 bits of entropy. Tests pass a fixed key to compare against `createHmac`.
   */
  readonly key?: Uint8Array;
}

/**
 * A keyed hash for cache keys: standard HMAC-SHA256 (RFC 2104) of the UTF-8 message, base64url.
 *
 * Why not `createHmac`: each call would build a keyed object; this computes the same HMAC with two
 * one-shot `crypto.hash` calls, about 1.5× faster. The inner pad is kept as an ASCII string (every key
 * byte is below 0x80, so `key ^ 0x36` is too), so `ipad + message` encodes to exactly
 * `(K ⊕ ipad) ‖ UTF-8(message)`.
 *
 * @example
 * ```ts
 * const keyOf = createCacheKeyer();
 * const key = keyOf(`${token}\u0000${audiences.join('\n')}`); // never the token itself
 * ```
 */
export function createCacheKeyer(options: CacheKeyerOptions = {}): CacheKeyer {
  const key = options.key ?? Uint8Array.from({ length: BLOCK_BYTES }, () => randomInt(0x80));
  if (key.length !== BLOCK_BYTES || key.some((byte) => byte >= 0x80)) {
    throw new TypeError('key must be 64 bytes, each below 0x80');
  }
  const innerPad = String.fromCharCode(...key.map((byte) => byte ^ 0x36));
  // Outer message: (K ⊕ opad) ‖ inner digest. The buffer is reused; `hash` is synchronous.
  const outer = Buffer.alloc(BLOCK_BYTES + 32);
  for (let i = 0; i < BLOCK_BYTES; i++) outer[i] = (key[i] as number) ^ 0x5c;
  return (message) => {
    const inner = hash('sha256', innerPad + message, 'buffer');
    inner.copy(outer, BLOCK_BYTES);
    return hash('sha256', outer, 'base64url');
  };
}
