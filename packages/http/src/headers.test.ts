import { describe, expect, it } from 'vitest';
import { headerValue } from './headers.js';

describe('headerValue', () => {
  it('reads a Fetch Headers object, case-insensitively', () => {
    const headers = new Headers({ Authorization: 'Bearer a' });
    expect(headerValue(headers, 'authorization', ', ')).toBe('Bearer a');
    expect(headerValue(headers, 'cookie', '; ')).toBeUndefined();
  });

  it('reads a node:http record, joining repeated values with the separator', () => {
    expect(headerValue({ cookie: ['a=1', 'b=2'] }, 'cookie', '; ')).toBe('a=1; b=2');
    expect(headerValue({ authorization: 'Bearer a' }, 'authorization', ', ')).toBe('Bearer a');
    expect(headerValue({ cookie: [] }, 'cookie', '; ')).toBeUndefined();
    expect(headerValue({ cookie: undefined }, 'cookie', '; ')).toBeUndefined();
  });

  it('reads a header named "get" in a record as a value, not as a Fetch getter', () => {
    expect(headerValue({ get: 'x', authorization: 'Bearer a' }, 'authorization', ', ')).toBe('Bearer a');
  });
});
