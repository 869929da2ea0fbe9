import { describe, expect, it } from 'vitest';
import { checkHeader, MAX_TOKEN_LENGTH, splitCompact } from './compact.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('splitCompact', () => {
  it('splits three non-empty segments and keeps the signing input', () => {
    expect(splitCompact('a.b.c')).toEqual({ header: 'a', payload: 'b', signature: 'c', signingInput: 'a.b' });
  });

  it('refuses the size cap before looking at the shape', () => {
    expect(splitCompact(`${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`)).toBe('too-large');
    expect(splitCompact(`${'a'.repeat(MAX_TOKEN_LENGTH - 4)}.b.c`)).not.toBe('too-large');
  });
});

describe('checkHeader', () => {
  it('checks alg, typ, crit and key-locating headers', () => {
    const typ = 'latchkey-session+jwt';
    expect(checkHeader(b64({ alg: 'ES256', typ }), typ, ['ES256'])).toEqual({ alg: 'ES256', kid: undefined });
    expect(checkHeader(b64({ alg: 'ES256', typ, kid: 'k' }), typ, ['ES256'])).toEqual({
      alg: 'ES256',
      kid: 'k',
    });
    expect(checkHeader(b64({ alg: 'ES256', typ, kid: 7 }), typ, ['ES256'])).toBe('malformed');
    expect(checkHeader(b64({ alg: 'RS256', typ }), typ, ['ES256'])).toBe('alg-not-allowed');
    expect(checkHeader(b64({ alg: 'ES256', typ: `${typ} ` }), typ, ['ES256'])).toBe('wrong-type');
    expect(checkHeader(b64({ alg: 'ES256', typ, crit: [] }), typ, ['ES256'])).toBe('crit');
    expect(checkHeader(b64({ alg: 'ES256', typ, 'x5t#S256': 'x' }), typ, ['ES256'])).toBe('forbidden-header');
    expect(checkHeader(b64({ alg: ['ES256'], typ }), typ, ['ES256'])).toBe('malformed');
    expect(checkHeader(`${b64({ alg: 'ES256', typ })}=`, typ, ['ES256'])).toBe('non-canonical');
  });

  it.each(['zip', 'cty', 'x5u', 'jwk', 'jku', 'x5c', 'url', 'nonce', 'anything'])(
    'refuses any header member but alg, typ and kid (%s)',
    (name) => {
      const typ = 'latchkey-access+jwt';
      expect(checkHeader(b64({ alg: 'ES256', typ, [name]: 'x' }), typ, ['ES256'])).toBe('forbidden-header');
    },
  );

  it('refuses b64 as an extension, like crit', () => {
    const typ = 'latchkey-access+jwt';
    expect(checkHeader(b64({ alg: 'ES256', typ, b64: false }), typ, ['ES256'])).toBe('crit');
  });
});
