import { describe, expect, it } from 'vitest';
import { extractCredentials, parseBearer, readCookie } from './credentials.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('parseBearer', () => {
  it('returns the token of a Bearer value, whatever the scheme case', () => {
    expect(parseBearer(`Bearer ${JWT}`)).toBe(JWT);
    expect(parseBearer(`bearer ${JWT}`)).toBe(JWT);
    expect(parseBearer(`BEARER ${JWT}`)).toBe(JWT);
  });

  it('accepts several spaces after the scheme, surrounding whitespace and trailing padding', () => {
    expect(parseBearer(`Bearer    ${JWT}`)).toBe(JWT);
    expect(parseBearer(`  Bearer ${JWT}\t`)).toBe(JWT);
    expect(parseBearer('Bearer abc+/==')).toBe('abc+/==');
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['whitespace only', '   '],
    ['the empty string', ''],
    ['a tab as separator', `Bearer\t${JWT}`],
    ['no separator', `Bearer${JWT}`],
    ['two tokens', `Bearer ${JWT} ${JWT}`],
    ['a comma-joined duplicate', `Bearer ${JWT}, Bearer ${JWT}`],
    ['padding only', 'Bearer ==='],
    ['padding in the middle', 'Bearer ab=cd'],
    ['a quote', 'Bearer "abc"'],
    ['a non-ASCII letter', 'Bearer abcé'],
    ['a control character', 'Bearer ab\u0000c'],
    ['a look-alike scheme', 'Bearor abc'],
  ])('rejects %s', (_label, value) => {
    expect(parseBearer(value)).toBeUndefined();
  });

  it('answers undefined for an absent header instead of throwing', () => {
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer(null)).toBeUndefined();
    expect(parseBearer(42 as unknown as string)).toBeUndefined();
  });

  it('accepts any case of the scheme and one or more spaces', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      for (const spaces of [' ', '  ', '     ']) expect(parseBearer(`${scheme}${spaces}${JWT}`)).toBe(JWT);
    }
  });

  it('rejects a token longer than the cap', () => {
    expect(parseBearer(`Bearer ${'a'.repeat(8192)}`)).toBe('a'.repeat(8192));
    expect(parseBearer(`Bearer ${'a'.repeat(8193)}`)).toBeUndefined();
    expect(parseBearer('Bearer abcdef', 5)).toBeUndefined();
  });
});

describe('readCookie', () => {
  it('finds the named cookie among others, trimming whitespace', () => {
    expect(readCookie(`theme=dark; latchkey_auth=${JWT}; lang=en`, 'latchkey_auth')).toBe(JWT);
    expect(readCookie(`theme=dark;latchkey_auth = ${JWT} ;lang=en`, 'latchkey_auth')).toBe(JWT);
  });

  it('removes one pair of surrounding double quotes', () => {
    expect(readCookie(`latchkey_auth="${JWT}"`, 'latchkey_auth')).toBe(JWT);
  });

  it('takes the first cookie of that name', () => {
    expect(readCookie('a=first; a=second', 'a')).toBe('first');
  });

  it('matches names exactly and case-sensitively', () => {
    expect(
      readCookie('Latchkey_auth=x; xlatchkey_auth=y; latchkey_authx=z', 'latchkey_auth'),
    ).toBeUndefined();
  });

  it('does not percent-decode values, so an encoded value is not a token', () => {
    expect(readCookie('a=abc%3D', 'a')).toBeUndefined();
  });

  it('skips pairs without "=" and tolerates empty pieces', () => {
    expect(readCookie(';;a;  ; a=ok;', 'a')).toBe('ok');
  });

  it('reads an empty or badly quoted value as absent', () => {
    expect(readCookie('a=', 'a')).toBeUndefined();
    expect(readCookie('a="', 'a')).toBeUndefined();
    expect(readCookie('a="abc', 'a')).toBeUndefined();
  });
});

describe('extractCredentials', () => {
  const options = { cookieName: 'latchkey_auth' };

  it('orders candidates header, cookie, query from Fetch Headers', () => {
    const request = new Request('http://x/api/events?token=q1', {
      headers: { authorization: 'Bearer h1', cookie: 'latchkey_auth=c1' },
    });
    expect(extractCredentials(request, { ...options, allowQuery: true }).candidates).toEqual([
      { source: 'header', token: 'h1' },
      { source: 'cookie', token: 'c1' },
      { source: 'query', token: 'q1' },
    ]);
  });

  it('reads a node:http header record and an origin-form url', () => {
    const request = {
      headers: { authorization: 'Bearer h1', cookie: 'latchkey_auth=c1' },
      url: '/e?token=q1',
    };
    expect(
      extractCredentials(request, { ...options, allowQuery: true }).candidates.map((c) => c.source),
    ).toEqual(['header', 'cookie', 'query']);
  });

  it('never reads the query string unless the route opts in', () => {
    const request = { headers: {}, url: '/e?token=q1' };
    expect(extractCredentials(request, options)).toEqual({
      candidates: [],
      malformed: [],
      duplicateAuthorization: false,
    });
    expect(extractCredentials(request, { ...options, allowQuery: false }).candidates).toEqual([]);
  });

  it('reads a custom query parameter, form-decoded, first occurrence', () => {
    const request = { headers: {}, url: '/e?access=a%2Bb&access=zz#frag' };
    expect(extractCredentials(request, { allowQuery: true, queryParam: 'access' }).candidates).toEqual([
      { source: 'query', token: 'a+b' },
    ]);
  });

  it('reads no cookie without a cookie name', () => {
    expect(extractCredentials({ headers: { cookie: 'latchkey_auth=c1' } }).candidates).toEqual([]);
  });

  it('lists malformed sources apart from the candidates', () => {
    const request = {
      headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: 'latchkey_auth=c1' },
      url: '/?token=a b',
    };
    expect(extractCredentials(request, { ...options, allowQuery: true })).toEqual({
      candidates: [{ source: 'cookie', token: 'c1' }],
      malformed: ['header', 'query'],
      duplicateAuthorization: false,
    });
  });

  it('reads a repeated Authorization header as a duplicate, never as one of its values', () => {
    const request = { headers: { authorization: ['Bearer a', 'Bearer b'] } };
    expect(extractCredentials(request)).toEqual({
      candidates: [],
      malformed: ['header'],
      duplicateAuthorization: true,
    });
  });

  it('sees the second Authorization node:http drops, and then tries no other source', () => {
    const headers = { authorization: 'Bearer a', cookie: 'latchkey_auth=c1' };
    const fromRaw = {
      headers,
      rawHeaders: [
        'Host',
        'x',
        'Authorization',
        'Bearer a',
        'authorization',
        'Bearer b',
        'Cookie',
        'latchkey_auth=c1',
      ],
    };
    const fromDistinct = { headers, headersDistinct: { authorization: ['Bearer a', 'Bearer b'] } };
    for (const request of [fromRaw, fromDistinct]) {
      expect(extractCredentials(request, options)).toMatchObject({
        candidates: [],
        malformed: ['header'],
        duplicateAuthorization: true,
      });
    }
    // node kept a malformed first field: the second still makes it a duplicate, not a fallback to the cookie.
    const malformedFirst = {
      headers: { authorization: 'Basic dXNlcg==', cookie: 'latchkey_auth=c1' },
      rawHeaders: [
        'Authorization',
        'Basic dXNlcg==',
        'AuThOrIzAtIoN',
        'Bearer a',
        'Cookie',
        'latchkey_auth=c1',
      ],
    };
    expect(extractCredentials(malformedFirst, options).duplicateAuthorization).toBe(true);
    const single = { headers, rawHeaders: ['AUTHORIZATION', 'Bearer a', 'Cookie', 'latchkey_auth=c1'] };
    expect(extractCredentials(single, options).candidates.map((c) => c.source)).toEqual(['header', 'cookie']);
  });

  it('reads a comma in Authorization as two joined fields (Fetch joins them with ", ")', () => {
    const headers = new Headers();
    headers.append('authorization', 'Bearer a');
    headers.append('authorization', 'Bearer b');
    headers.append('cookie', 'latchkey_auth=c1');
    expect(extractCredentials({ headers }, options)).toMatchObject({
      candidates: [],
      duplicateAuthorization: true,
    });
    expect(extractCredentials({ headers: { authorization: 'Bearer a,b' } }).duplicateAuthorization).toBe(
      true,
    );
  });

  it('uses the first of several auth cookies, also across Cookie fields', () => {
    expect(
      extractCredentials({ headers: { cookie: 'latchkey_auth=first; latchkey_auth=second' } }, options)
        .candidates,
    ).toEqual([{ source: 'cookie', token: 'first' }]);
    expect(
      extractCredentials({ headers: { cookie: ['latchkey_auth=first', 'latchkey_auth=second'] } }, options)
        .candidates,
    ).toEqual([{ source: 'cookie', token: 'first' }]);
  });

  it('joins repeated Cookie headers as node:http does', () => {
    const request = { headers: { cookie: ['theme=dark', 'latchkey_auth=c1'] } };
    expect(extractCredentials(request, options).candidates).toEqual([{ source: 'cookie', token: 'c1' }]);
  });

  it('drops a later source carrying the same token', () => {
    const request = { headers: { authorization: 'Bearer same', cookie: 'latchkey_auth=same' } };
    expect(extractCredentials(request, options).candidates).toEqual([{ source: 'header', token: 'same' }]);
  });

  it('throws a TypeError on bad options', () => {
    expect(() => extractCredentials({ headers: {} }, { cookieName: 'a b' })).toThrow(TypeError);
    expect(() => extractCredentials({ headers: {} }, { queryParam: '' })).toThrow(TypeError);
    expect(() => extractCredentials({ headers: {} }, { maxTokenLength: 0 })).toThrow(TypeError);
  });
});
