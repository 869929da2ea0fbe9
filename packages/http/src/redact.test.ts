import { describe, expect, it } from 'vitest';
import { redactHeaders, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('replaces the value of the named parameter and keeps the rest byte for byte', () => {
    expect(redactUrl('/api/events?since=5&token=eyJ.a.b&x=%20#frag', ['token'])).toBe(
      '/api/events?since=5&token=REDACTED&x=%20#frag',
    );
  });

  it('redacts `token` by default, every occurrence, and absolute URLs too', () => {
    expect(redactUrl('https://h/p?token=a&token=b')).toBe('https://h/p?token=REDACTED&token=REDACTED');
  });

  it('matches names case-insensitively and after form-decoding', () => {
    expect(redactUrl('/p?t%6Fken=a&TOKEN=b&tok+en=c', ['token'])).toBe(
      '/p?t%6Fken=REDACTED&TOKEN=REDACTED&tok+en=c',
    );
  });

  it('leaves a URL without query or without a value alone', () => {
    expect(redactUrl('/p', ['token'])).toBe('/p');
    expect(redactUrl('/p?token', ['token'])).toBe('/p?token');
    expect(redactUrl('/p#?token=a', ['token'])).toBe('/p#?token=a');
    expect(redactUrl('/p?a=b?c&token=t', ['token'])).toBe('/p?a=b?c&token=REDACTED');
  });
});

describe('redactHeaders', () => {
  it('keeps only the scheme of credentials and the names of cookies', () => {
    expect(
      redactHeaders({
        authorization: 'Bearer eyJ.a.b',
        'proxy-authorization': 'Basic dXNlcg==',
        cookie: 'theme=dark; latchkey_auth=eyJ.a.b',
        accept: 'text/event-stream',
      }),
    ).toEqual({
      authorization: 'Bearer REDACTED',
      'proxy-authorization': 'Basic REDACTED',
      cookie: 'theme=REDACTED; latchkey_auth=REDACTED',
      accept: 'text/event-stream',
    });
  });

  it('reads Fetch Headers and repeated node values', () => {
    expect(redactHeaders(new Headers({ Authorization: 'opaque-secret' }))).toEqual({
      authorization: 'REDACTED',
    });
    expect(redactHeaders({ 'set-cookie': ['a=1; Path=/', 'b=2'], skip: undefined })).toEqual({
      'set-cookie': 'a=REDACTED; Path=REDACTED, b=REDACTED',
    });
  });
});
