import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { hasP256PrivateJwkShape, isP256PrivateJwk, privateJwkText } from './private-jwk.js';

type PrivateJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string; d: string };
const jwks: PrivateJwk[] = Array.from(
  { length: 8 },
  () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as PrivateJwk,
);
const anyJwk = fc.constantFrom(...jwks);

test.prop([anyJwk])('the written text imports as the same key', (jwk) => {
  const text = privateJwkText(jwk);
  const key = createPrivateKey({ key: JSON.parse(text), format: 'jwk' });
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

const P = BigInt('0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
// Half the draws start with ff ff ff, where the range check cannot stop at the first characters.
const coordinate = fc
  .tuple(fc.boolean(), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([high, bytes]) =>
    high ? Buffer.from([0xff, 0xff, 0xff, ...bytes.subarray(3)]) : Buffer.from(bytes),
  );

test.prop([coordinate, coordinate, coordinate])(
  'the shape check accepts exactly x, y < p and 0 < d < n',
  (x, y, d) => {
    const big = (bytes: Buffer): bigint => BigInt(`0x${bytes.toString('hex')}`);
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: x.toString('base64url'),
      y: y.toString('base64url'),
      d: d.toString('base64url'),
    };
    const expected = big(x) < P && big(y) < P && big(d) > 0n && big(d) < N;
    expect(hasP256PrivateJwkShape(jwk)).toBe(expected);
  },
);
