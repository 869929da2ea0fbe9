import { createPrivateKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { isP256PrivateJwk, privateJwkText } from './private-jwk.js';

type PrivateJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string; d: string };
const jwks: PrivateJwk[] = Array.from(
  { length: 8 },
  () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as PrivateJwk,
);
const anyJwk = fc.constantFrom(...jwks);

test.prop([anyJwk])('the written text imports as the same key', (jwk) => {
  const text = privateJwkText(jwk);
  const key = createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' });
  expect(key.export({ format: 'jwk' })).toEqual(jwk);
});

test.prop([anyJwk, fc.constantFrom('x', 'y'), fc.nat(31), fc.integer({ min: 1, max: 255 })])(
  'a changed byte of either coordinate takes the point off the curve, and Node agrees',
  (jwk, member, index, mask) => {
    const bytes = Buffer.from(jwk[member], 'base64url');
    bytes[index] = (bytes[index] ?? 0) ^ mask;
    const changed = { ...jwk, [member]: bytes.toString('base64url') };
    expect(isP256PrivateJwk(changed)).toBe(false);
    expect(() => createPrivateKey({ key: changed, format: 'jwk' })).toThrow();
  },
);

test.prop([anyJwk, fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue()])(
  'any extra member is refused, whatever its name and value',
  (jwk, name, value) => {
    fc.pre(!['kty', 'crv', 'x', 'y', 'd'].includes(name));
    expect(isP256PrivateJwk({ ...jwk, [name]: value })).toBe(false);
  },
);
