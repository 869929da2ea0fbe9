import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { serializeAuthCookie } from './auth-cookie.js';
import { readCookie } from './credentials.js';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const token = fc
  .array(fc.string({ unit: fc.constantFrom(...B64URL), minLength: 1, maxLength: 200 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((parts) => parts.join('.'));

test.prop([token, fc.boolean(), fc.nat({ max: 86_400 })])(
  'the cookie a browser sends back from serializeAuthCookie reads as the same token',
  (value, hostPrefix, maxAgeSeconds) => {
    const setCookie = serializeAuthCookie(value, { maxAgeSeconds, hostPrefix });
    // A browser sends back only the name=value pair.
    const pair = setCookie.slice(0, setCookie.indexOf(';'));
    const name = hostPrefix ? '__Host-latchkey_auth' : 'latchkey_auth';
    expect(readCookie(`theme=dark; ${pair}`, name)).toBe(value);
  },
);

test.prop([fc.string(), fc.nat({ max: 86_400 })])(
  'serializeAuthCookie either throws TypeError or yields one pair and the fixed attributes',
  (value, maxAgeSeconds) => {
    let cookie: string;
    try {
      cookie = serializeAuthCookie(value, { maxAgeSeconds });
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      return;
    }
    expect(cookie).toBe(
      `latchkey_auth=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(value).not.toMatch(/[\s;,"\\]/);
  },
);
