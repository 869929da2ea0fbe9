import { describe, expect, it } from 'vitest';
import { assertSessionId, generateSessionId, isSessionId, SESSION_ID_RANDOM_BITS } from './session-id.js';

describe('assertSessionId', () => {
  it.each(['a', 'A-b_9', 'x'.repeat(128)])('accepts %s', (id) => {
    expect(() => assertSessionId(id)).not.toThrow();
    expect(isSessionId(id)).toBe(true);
  });

  it.each(['', 'x'.repeat(129), '{a}', 'a}', 'a b', 'a:b', 'a*', 'a/b', 'é', 42, null])(
    'refuses %j',
    (id) => {
      expect(() => assertSessionId(id)).toThrow(
        expect.objectContaining({ code: 'INVALID_REQUEST', status: 400, reason: 'invalid-session-id' }),
      );
      expect(isSessionId(id)).toBe(false);
    },
  );
});

describe('generateSessionId', () => {
  it('returns URL-safe ids of 32 characters that pass assertSessionId', () => {
    for (let i = 0; i < 500; i++) {
      const id = generateSessionId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(() => assertSessionId(id)).not.toThrow();
    }
  });

  it('carries at least 128 random bits and never repeats across pool refills', () => {
    expect(SESSION_ID_RANDOM_BITS).toBeGreaterThanOrEqual(128);
    const ids = new Set(Array.from({ length: 5_000 }, () => generateSessionId()));
    expect(ids.size).toBe(5_000);
    // Every base64url character shows up: the ids are not drawn from a narrow alphabet.
    expect(new Set([...ids].join('')).size).toBe(64);
  });
});
