import { describe, expect, it } from 'vitest';
import {
  assertKeyPrefix,
  assertSessionId,
  isSessionId,
  keyEntryPattern,
  sessionIdOfKeyEntry,
  sessionKeyNames,
} from './session-id.js';

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

describe('sessionKeyNames', () => {
  it('puts both names under one hash tag', () => {
    expect(sessionKeyNames('lk', 's1')).toEqual({ record: 'lk:{s1}:rec', key: 'lk:{s1}:key' });
  });
});

describe('sessionIdOfKeyEntry', () => {
  it('reads the id back from a key entry name and refuses anything else', () => {
    expect(sessionIdOfKeyEntry('lk', 'lk:{s1}:key')).toBe('s1');
    expect(sessionIdOfKeyEntry('lk', 'lk:{s1}:rec')).toBeNull();
    expect(sessionIdOfKeyEntry('lk', 'other:{s1}:key')).toBeNull();
    expect(sessionIdOfKeyEntry('lk', 'lk:{a}b}:key')).toBeNull();
    expect(keyEntryPattern('lk')).toBe('lk:{*}:key');
  });
});

describe('assertKeyPrefix', () => {
  it('refuses glob characters and braces', () => {
    for (const bad of ['', 'a*', 'a{', 'a?', 'a[b]', 'x'.repeat(65)])
      expect(() => assertKeyPrefix(bad)).toThrow(TypeError);
    expect(() => assertKeyPrefix('latchkey:sessions')).not.toThrow();
  });
});
