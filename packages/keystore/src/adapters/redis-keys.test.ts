import { describe, expect, it } from 'vitest';
import { assertKeyPrefix, keyEntryPattern, sessionIdOfKeyEntry, sessionKeyNames } from './redis-keys.js';

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
