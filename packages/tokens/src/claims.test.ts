import { describe, expect, it } from 'vitest';
import { type ClaimRules, checkClaims, integerOption } from './claims.js';

const NOW = 1_000_000;
const rules: ClaimRules = {
  issuer: 'iss',
  audience: 'aud',
  subject: undefined,
  maxLifetimeSeconds: 300,
  toleranceSeconds: 5,
  requireJti: true,
};
const base = { iss: 'iss', aud: 'aud', sub: 's1', iat: NOW, exp: NOW + 60, jti: 'j' };

describe('checkClaims', () => {
  it('accepts claims inside every rule', () => {
    expect(checkClaims(base, rules, NOW)).toBeUndefined();
  });

  it('matches jose at the time boundaries: exp <= now - tolerance is expired, nbf/iat > now + tolerance refused', () => {
    expect(checkClaims({ ...base, iat: NOW - 100, exp: NOW - 5 }, rules, NOW)).toBe('expired');
    expect(checkClaims({ ...base, iat: NOW - 100, exp: NOW - 4 }, rules, NOW)).toBeUndefined();
    expect(checkClaims({ ...base, nbf: NOW + 5 }, rules, NOW)).toBeUndefined();
    expect(checkClaims({ ...base, nbf: NOW + 6 }, rules, NOW)).toBe('not-yet-valid');
    expect(checkClaims({ ...base, iat: NOW + 6, exp: NOW + 60 }, rules, NOW)).toBe('issued-in-future');
  });

  it('caps exp - iat and requires jti when asked', () => {
    expect(checkClaims({ ...base, exp: NOW + 300 }, rules, NOW)).toBeUndefined();
    expect(checkClaims({ ...base, exp: NOW + 301 }, rules, NOW)).toBe('lifetime-too-long');
    expect(checkClaims({ ...base, jti: undefined }, rules, NOW)).toBe('missing-claim');
    expect(checkClaims({ ...base, jti: undefined }, { ...rules, requireJti: false }, NOW)).toBeUndefined();
    expect(checkClaims({ ...base, jti: '' }, rules, NOW)).toBe('invalid-claim');
  });

  it('refuses aud arrays with non-string members and a sub that is not a session id', () => {
    expect(checkClaims({ ...base, aud: ['aud', 1] }, rules, NOW)).toBe('audience');
    expect(checkClaims({ ...base, aud: {} }, rules, NOW)).toBe('audience');
    expect(checkClaims({ ...base, sub: 'x'.repeat(129) }, rules, NOW)).toBe('invalid-claim');
    expect(checkClaims({ ...base, sub: 's{1}' }, rules, NOW)).toBe('invalid-claim');
    expect(checkClaims(base, { ...rules, subject: 's2' }, NOW)).toBe('subject');
  });
});

describe('integerOption', () => {
  it('takes the fallback, and throws TypeError outside the range or for non-integers', () => {
    expect(integerOption('x', undefined, 7, 1, 10)).toBe(7);
    expect(() => integerOption('x', 11, 7, 1, 10)).toThrow(TypeError);
    expect(() => integerOption('x', 1.5, 7, 1, 10)).toThrow(TypeError);
  });
});
