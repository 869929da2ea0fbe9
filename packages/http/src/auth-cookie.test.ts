import { describe, expect, it } from 'vitest';
import { clearAuthCookie, DEFAULT_AUTH_COOKIE_NAME, serializeAuthCookie } from './auth-cookie.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';
const NOW_MS = 1_800_000_000_000;

/** Attributes of a Set-Cookie value, by lower-case name (flags map to `true`). */
function attributes(cookie: string): { pair: string; attrs: Map<string, string | true> } {
  const [pair = '', ...rest] = cookie.split('; ');
  const attrs = new Map<string, string | true>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    attrs.set((eq === -1 ? part : part.slice(0, eq)).toLowerCase(), eq === -1 ? true : part.slice(eq + 1));
  }
  return { pair, attrs };
}

describe('serializeAuthCookie', () => {
  it('sets HttpOnly, SameSite=Strict, Path=/ and Secure by default', () => {
    const cookie = serializeAuthCookie(TOKEN, { maxAgeSeconds: 3600 });
    expect(cookie).toBe(`latchkey_auth=${TOKEN}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict`);
    expect(DEFAULT_AUTH_COOKIE_NAME).toBe('latchkey_auth');
  });

  it('derives Max-Age from the token exp and the clock, never past exp', () => {
    const expiresAtSeconds = NOW_MS / 1000 + 3600;
    expect(
      attributes(serializeAuthCookie(TOKEN, { expiresAtSeconds, now: () => NOW_MS })).attrs.get('max-age'),
    ).toBe('3600');
    // 0.4 s later 3599.6 s are left: the cookie gets 3599 s, never more than the token.
    expect(
      attributes(serializeAuthCookie(TOKEN, { expiresAtSeconds, now: () => NOW_MS + 400 })).attrs.get(
        'max-age',
      ),
    ).toBe('3599');
    expect(
      attributes(serializeAuthCookie(TOKEN, { expiresAtSeconds, now: () => NOW_MS + 7_200_000 })).attrs.get(
        'max-age',
      ),
    ).toBe('0');
  });

  it('omits Secure only when told, for plain-HTTP development', () => {
    const { attrs } = attributes(serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, secure: false }));
    expect(attrs.has('secure')).toBe(false);
    expect(attrs.get('httponly')).toBe(true);
    expect(attrs.get('samesite')).toBe('Strict');
  });

  it('prefixes __Host- and holds its rules', () => {
    const cookie = serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, hostPrefix: true });
    expect(cookie).toBe(
      `__Host-latchkey_auth=${TOKEN}; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, hostPrefix: true, secure: false })).toThrow(
      TypeError,
    );
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, hostPrefix: true, path: '/api' })).toThrow(
      TypeError,
    );
    expect(() =>
      serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, hostPrefix: true, domain: 'example.com' }),
    ).toThrow(TypeError);
    // A name that already carries the prefix (any case) gets the same rules.
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, name: '__HOST-a', secure: false })).toThrow(
      TypeError,
    );
    expect(() =>
      serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, name: '__Secure-a', secure: false }),
    ).toThrow(TypeError);
  });

  it('sets Path and Domain when given', () => {
    const { attrs } = attributes(
      serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, path: '/console', domain: 'example.com' }),
    );
    expect(attrs.get('path')).toBe('/console');
    expect(attrs.get('domain')).toBe('example.com');
  });

  it('refuses a token that is not cookie-safe with TypeError', () => {
    for (const token of ['', 'a b', 'a;b', 'a,b', 'a"b', 'a\\b', 'a\nb', 'a\u0000b', 'é', 'x'.repeat(4096)]) {
      expect(() => serializeAuthCookie(token, { maxAgeSeconds: 60 })).toThrow(TypeError);
    }
    expect(() => serializeAuthCookie(42 as unknown as string, { maxAgeSeconds: 60 })).toThrow(TypeError);
  });

  it('refuses a name, path or domain that could inject attributes', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'a\r\nSet-Cookie: x']) {
      expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, name })).toThrow(TypeError);
    }
    for (const path of ['', 'api', '/a;Domain=evil', '/a\nb']) {
      expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, path })).toThrow(TypeError);
    }
    for (const domain of ['', 'evil.com; Secure', 'a..b', '-a.com']) {
      expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 60, domain })).toThrow(TypeError);
    }
  });

  it('needs exactly one of maxAgeSeconds and expiresAtSeconds, as integers', () => {
    expect(() => serializeAuthCookie(TOKEN, {})).toThrow(TypeError);
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 1, expiresAtSeconds: 2 })).toThrow(TypeError);
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: -1 })).toThrow(TypeError);
    expect(() => serializeAuthCookie(TOKEN, { maxAgeSeconds: 1.5 })).toThrow(TypeError);
    expect(() => serializeAuthCookie(TOKEN, { expiresAtSeconds: Number.NaN })).toThrow(TypeError);
    expect(() => serializeAuthCookie(TOKEN, undefined as never)).toThrow(TypeError);
  });
});

describe('clearAuthCookie', () => {
  it('expires the cookie at once with the same scope', () => {
    expect(clearAuthCookie()).toBe('latchkey_auth=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict');
    expect(clearAuthCookie({ hostPrefix: true, secure: true })).toBe(
      '__Host-latchkey_auth=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict',
    );
    expect(clearAuthCookie({ secure: false, name: 'sid' })).toBe(
      'sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict',
    );
  });

  it('refuses the same bad scopes as serializeAuthCookie', () => {
    expect(() => clearAuthCookie({ name: 'a;b' })).toThrow(TypeError);
    expect(() => clearAuthCookie({ hostPrefix: true, secure: false })).toThrow(TypeError);
  });
});
