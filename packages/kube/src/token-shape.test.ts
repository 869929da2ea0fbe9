import { describe, expect, it } from 'vitest';
import { checkTokenShape, MAX_TOKEN_BYTES } from './token-shape.js';

const NOW_MS = 1_800_000_000_000;
const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown): string => `${part({ alg: 'RS256' })}.${part(claims)}.c2ln`;

describe('checkTokenShape', () => {
  it('accepts three base64url parts and reads exp', () => {
    expect(checkTokenShape(jwt({ exp: NOW_MS / 1000 + 60 }), NOW_MS)).toEqual({
      ok: true,
      expSeconds: NOW_MS / 1000 + 60,
    });
  });

  it('accepts a token whose payload is not JSON, without an exp', () => {
    expect(checkTokenShape('abc.def.ghi', NOW_MS)).toEqual({ ok: true, expSeconds: undefined });
  });

  it('refuses an empty token as missing', () => {
    expect(checkTokenShape('', NOW_MS)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    'abc',
    'abc.def',
    'abc.def.ghi.jkl',
    '.def.ghi',
    'abc..ghi',
    'abc.def.',
    'ab+c.def.ghi',
    'abc.de f.ghi',
    'abc.def.gh=',
  ])('refuses %j as malformed', (token) => {
    expect(checkTokenShape(token, NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a token over MAX_TOKEN_BYTES as malformed', () => {
    expect(checkTokenShape(`a.${'b'.repeat(MAX_TOKEN_BYTES)}.c`, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses a token whose exp is now or past as expired', () => {
    expect(checkTokenShape(jwt({ exp: NOW_MS / 1000 }), NOW_MS)).toEqual({ ok: false, reason: 'expired' });
    expect(checkTokenShape(jwt({ exp: NOW_MS / 1000 - 1 }), NOW_MS)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('ignores an exp that is not a number', () => {
    expect(checkTokenShape(jwt({ exp: 'soon' }), NOW_MS)).toEqual({ ok: true, expSeconds: undefined });
  });
});
