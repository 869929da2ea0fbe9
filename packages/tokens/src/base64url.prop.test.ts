import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { decodeCanonicalBase64url, encodeBase64url, isCanonicalBase64url } from './base64url.js';

test.prop([fc.uint8Array({ maxLength: 96 })])('encoding is canonical and decodes back', (bytes) => {
  const encoded = encodeBase64url(bytes);
  expect(isCanonicalBase64url(encoded)).toBe(true);
  expect(decodeCanonicalBase64url(encoded)).toEqual(Buffer.from(bytes));
});

test.prop([fc.string({ unit: fc.constantFrom(...'AQgwBRhx-_=+/. a'), maxLength: 12 })])(
  'a canonical segment is the only spelling of its bytes',
  (segment) => {
    const decoded = decodeCanonicalBase64url(segment);
    if (decoded !== undefined) expect(encodeBase64url(decoded)).toBe(segment);
  },
);
