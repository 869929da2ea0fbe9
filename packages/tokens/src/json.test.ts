import { describe, expect, it } from 'vitest';
import { hasDuplicateMembers, parseJsonObject } from './json.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

describe('parseJsonObject', () => {
  it('parses a JSON object', () => {
    expect(parseJsonObject(bytes('{"a":1,"b":{"c":[1,{"d":2}]}}'))).toEqual({
      a: 1,
      b: { c: [1, { d: 2 }] },
    });
  });

  it('refuses duplicate member names at any depth, after unescaping', () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"x":{"a":1, "a" :2}}',
      '{"x":[{"a":1,"a":1}]}',
      '{"a":1,"\\u0061":2}',
      '{"__proto__":1,"__proto__":2}',
    ]) {
      expect(parseJsonObject(bytes(text))).toBe('duplicate-member');
    }
  });

  it('does not mistake values or array items for member names', () => {
    expect(parseJsonObject(bytes('{"a":"a","b":["a","a"],"c":{"a":"b"},"d":"\\":"}'))).toMatchObject({
      a: 'a',
    });
    expect(hasDuplicateMembers('{"a":{"b":1},"b":2}')).toBe(false);
  });

  it('refuses non-objects, invalid JSON and invalid UTF-8', () => {
    for (const input of [
      bytes('[]'),
      bytes('null'),
      bytes('1'),
      bytes('{"a":'),
      Uint8Array.from([0x7b, 0xff, 0x7d]),
    ]) {
      expect(parseJsonObject(input)).toBe('malformed');
    }
  });
});
