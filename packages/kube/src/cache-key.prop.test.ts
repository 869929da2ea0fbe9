import { createHmac } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { createCacheKeyer } from './cache-key.js';

const key = fc.uint8Array({ minLength: 64, maxLength: 64, max: 0x7f });

test.prop([key, fc.string({ unit: 'binary', maxLength: 2000 })])(
  'equals HMAC-SHA256 of the UTF-8 message under the same key',
  (bytes, message) => {
    expect(createCacheKeyer({ key: bytes })(message)).toBe(
      createHmac('sha256', bytes).update(message, 'utf8').digest('base64url'),
    );
  },
);

test.prop([fc.string({ minLength: 12, maxLength: 400 }), fc.string({ minLength: 12, maxLength: 400 })])(
  'never contains the token, and distinct tokens get distinct keys',
  (a, b) => {
    const keyOf = createCacheKeyer();
    expect(keyOf(a)).not.toContain(a);
    if (a !== b) expect(keyOf(a)).not.toBe(keyOf(b));
  },
);
