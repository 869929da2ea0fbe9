import { describe, expect, it } from 'vitest';
import { type ClaimRules, checkClaims, isSessionId, isUserId } from './claims.js';

const NOW = 1_000_000;
const rules: ClaimRules = {
  issuer: 'iss',
  audience: 'aud',
  isSubject: isSessionId,
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

describe('isUserId', () => {
  it('accepts 1 to 256 characters (code points) with no control character', () => {
    expect(isUserId('a')).toBe(true);
    expect(isUserId('user@example.com')).toBe(true);
    expect(isUserId('é'.repeat(256))).toBe(true);
    expect(isUserId('😀'.repeat(256))).toBe(true);
    expect(isUserId('x'.repeat(256))).toBe(true);
  });

  it('refuses the empty string, over 256 characters, control characters and non-strings', () => {
    expect(isUserId('')).toBe(false);
    expect(isUserId('x'.repeat(257))).toBe(false);
    expect(isUserId('😀'.repeat(257))).toBe(false);
    for (const control of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f']) {
      expect(isUserId(`a${control}b`)).toBe(false);
    }
    expect(isUserId(7)).toBe(false);
    expect(isUserId(undefined)).toBe(false);
  });
});
