import { describe, expect, it } from 'vitest';
import {
  assertOrigin,
  checkOrigin,
  normalizeOrigin,
  type OriginCheckInput,
  parseAllowedOrigins,
} from './origin.js';

const HOST = '127.0.0.1:8080';
const base: OriginCheckInput = {
  origin: 'https://evil.example',
  host: HOST,
  source: 'cookie',
  method: 'POST',
};
const DENY = { ok: false, code: 'FORBIDDEN', reason: 'origin' };

describe('checkOrigin', () => {
  it('refuses a cookie-authenticated POST from a foreign origin', () => {
    expect(checkOrigin(base)).toEqual(DENY);
  });

  it('refuses a query-authenticated upgrade from a foreign origin, even though it is a GET', () => {
    expect(checkOrigin({ ...base, source: 'query', method: 'GET', isUpgrade: true })).toEqual(DENY);
  });

  it('refuses a cookie-authenticated upgrade whose Origin is null', () => {
    expect(checkOrigin({ ...base, origin: 'null', method: 'GET', isUpgrade: true })).toEqual(DENY);
  });

  it('allows the server’s own origin, http:// + Host, in any case and with the default port', () => {
    expect(checkOrigin({ ...base, origin: 'http://127.0.0.1:8080' })).toEqual({ ok: true });
    expect(checkOrigin({ ...base, origin: 'HTTP://Console.Local', host: 'console.local:80' })).toEqual({
      ok: true,
    });
  });

  it('refuses https:// + Host: the own origin is the plain-HTTP one', () => {
    expect(checkOrigin({ ...base, origin: 'https://127.0.0.1:8080' })).toEqual(DENY);
  });

  it('allows an origin of the allow-list, as a set or an array', () => {
    const allowedOrigins = parseAllowedOrigins('https://console.example.com');
    expect(checkOrigin({ ...base, origin: 'https://Console.example.com:443', allowedOrigins })).toEqual({
      ok: true,
    });
    expect(
      checkOrigin({ ...base, origin: 'https://console.example.com', allowedOrigins: [...allowedOrigins] }),
    ).toEqual({ ok: true });
  });

  it('does not refuse a request without Origin (not a browser)', () => {
    expect(checkOrigin({ ...base, origin: undefined })).toEqual({ ok: true });
    expect(checkOrigin({ ...base, origin: undefined, isUpgrade: true, method: 'GET' })).toEqual({ ok: true });
  });

  it('never refuses a header-authenticated request for its Origin', () => {
    expect(checkOrigin({ ...base, source: 'header' })).toEqual({ ok: true });
    expect(checkOrigin({ ...base, source: 'header', origin: 'null', isUpgrade: true })).toEqual({ ok: true });
  });

  it('does not check a plain GET or HEAD', () => {
    expect(checkOrigin({ ...base, method: 'GET' })).toEqual({ ok: true });
    expect(checkOrigin({ ...base, method: 'HEAD' })).toEqual({ ok: true });
  });

  it.each(['get', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'])('checks method %s', (method) => {
    expect(checkOrigin({ ...base, method })).toEqual(DENY);
  });

  it.each([
    ['a path', 'http://127.0.0.1:8080/'],
    ['a list from a repeated header', 'http://127.0.0.1:8080, http://127.0.0.1:8080'],
    ['userinfo', 'http://user@127.0.0.1:8080'],
    ['surrounding whitespace', ' http://127.0.0.1:8080'],
    ['an empty value', ''],
  ])('refuses an Origin with %s, even when it names the own host', (_label, origin) => {
    expect(checkOrigin({ ...base, origin })).toEqual(DENY);
  });

  it('refuses when Host is absent and the origin is not allowed', () => {
    expect(checkOrigin({ ...base, origin: 'http://127.0.0.1:8080', host: undefined })).toEqual(DENY);
  });
});

describe('assertOrigin', () => {
  it('throws FORBIDDEN (403, reason origin) on a refusal', () => {
    expect(() => assertOrigin(base)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', status: 403, reason: 'origin' }),
    );
  });

  it('returns on an allowed request', () => {
    expect(assertOrigin({ ...base, source: 'header' })).toBeUndefined();
  });
});

describe('normalizeOrigin', () => {
  it('lower-cases scheme and host and drops default ports', () => {
    expect(normalizeOrigin('HTTPS://Console.Example.com:443')).toBe('https://console.example.com');
    expect(normalizeOrigin('http://a.example:80')).toBe('http://a.example');
    expect(normalizeOrigin('http://a.example:0080')).toBe('http://a.example');
    expect(normalizeOrigin('http://a.example:8080')).toBe('http://a.example:8080');
    expect(normalizeOrigin('http://[::1]:3000')).toBe('http://[::1]:3000');
  });

  it.each(['null', '*', 'http://a.example:65536', 'http://', 'a.example', 'http://a.example:'])(
    'returns undefined for %s',
    (value) => {
      expect(normalizeOrigin(value)).toBeUndefined();
    },
  );
});

describe('parseAllowedOrigins', () => {
  it('parses a comma list, trimming and skipping blanks', () => {
    expect([...parseAllowedOrigins(' https://A.example , ,http://b.example:80,')]).toEqual([
      'https://a.example',
      'http://b.example',
    ]);
  });

  it('gives an empty set for undefined or blank', () => {
    expect(parseAllowedOrigins(undefined).size).toBe(0);
    expect(parseAllowedOrigins('  ').size).toBe(0);
  });

  it.each(['*', 'null', 'https://a.example/path', 'https://a.example, nope'])(
    'throws a TypeError for %s',
    (list) => {
      expect(() => parseAllowedOrigins(list)).toThrow(TypeError);
    },
  );
});
