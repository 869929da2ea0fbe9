import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { checkTokenShape } from './token-shape.js';

const NOW_MS = 1_800_000_000_000;
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const signature = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

test.prop([
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.dictionary(fc.string(), fc.jsonValue()),
  signature,
])('a JWT is refused as expired exactly when exp is now or before', (offsetSeconds, claims, sig) => {
  const exp = NOW_MS / 1000 + offsetSeconds;
  const token = `${b64({ alg: 'RS256' })}.${b64({ ...claims, exp })}.${sig}`;
  expect(checkTokenShape(token, NOW_MS)).toEqual(
    offsetSeconds <= 0 ? { ok: false, reason: 'expired' } : { ok: true, expSeconds: exp },
  );
});

test.prop([fc.string({ minLength: 1, maxLength: 300 })])(
  'a token with a character outside base64url and dot, or not three non-empty parts, is malformed',
  (token) => {
    const parts = token.split('.');
    const wellFormed = parts.length === 3 && parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part));
    const shape = checkTokenShape(token, NOW_MS);
    if (!wellFormed) expect(shape).toEqual({ ok: false, reason: 'malformed' });
    else expect(shape.ok || shape.reason === 'expired').toBe(true);
  },
);
