/**
 * Canonical base64url (RFC 7515 §2: no padding). `Buffer.from(s, 'base64url')` is lenient: it skips
 * characters outside the alphabet, accepts `=` and ignores non-zero unused bits in the last character,
 * so several strings decode to the same bytes. A token segment is accepted only in its one canonical
 * spelling, which makes any single-character change to a token a rejection (no malleable encodings).
 */

const SEGMENT = /^[A-Za-z0-9_-]*$/;

// Value of each base64url character, to check the unused low bits of the last one.
const VALUES = new Int8Array(128).fill(-1);
for (const [index, char] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
].entries()) {
  VALUES[char.charCodeAt(0)] = index;
}

/** Whether `segment` is base64url in its canonical form: alphabet only, no padding, unused bits zero. */
export function isCanonicalBase64url(segment: string): boolean {
  const remainder = segment.length & 3;
  if (remainder === 1) return false;
  if (!SEGMENT.test(segment)) return false;
  if (remainder === 0) return true;
  const last = VALUES[segment.charCodeAt(segment.length - 1)] ?? -1;
  // Two characters carry 8 bits (4 unused), three carry 16 bits (2 unused).
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes a canonical base64url segment, or returns `undefined` for any other spelling. */
export function decodeCanonicalBase64url(segment: string): Buffer | undefined {
  return isCanonicalBase64url(segment) ? Buffer.from(segment, 'base64url') : undefined;
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64url(input: Uint8Array | string): string {
  return (
    typeof input === 'string'
      ? Buffer.from(input, 'utf8')
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  ).toString('base64url');
}
