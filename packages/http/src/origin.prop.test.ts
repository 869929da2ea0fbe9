import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { CredentialSource } from './credentials.js';
import { checkOrigin, normalizeOrigin, parseAllowedOrigins } from './origin.js';

const source = fc.constantFrom<CredentialSource>('header', 'cookie', 'query');
const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'get', 'OPTIONS');
const headerish = fc.option(fc.string({ maxLength: 40 }), { nil: undefined });
const host = fc.domain();
const port = fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined });

describe('checkOrigin', () => {
  test.prop([headerish, headerish, method, fc.boolean()])(
    'never refuses a header-authenticated request',
    (origin, hostHeader, m, isUpgrade) => {
      expect(checkOrigin({ origin, host: hostHeader, source: 'header', method: m, isUpgrade }).ok).toBe(true);
    },
  );

  test.prop([headerish, source, method, fc.boolean()])(
    'never refuses a request without Origin',
    (hostHeader, s, m, isUpgrade) => {
      expect(checkOrigin({ origin: undefined, host: hostHeader, source: s, method: m, isUpgrade }).ok).toBe(
        true,
      );
    },
  );

  test.prop([host, port, source, method])(
    'always allows the own origin, however its case is written',
    (h, p, s, m) => {
      const hostHeader = p === undefined ? h : `${h}:${p}`;
      const origin = `HTTP://${hostHeader.toUpperCase()}`;
      expect(checkOrigin({ origin, host: hostHeader, source: s, method: m, isUpgrade: true }).ok).toBe(true);
    },
  );

  test.prop([fc.string({ maxLength: 60 }), host, fc.constantFrom<CredentialSource>('cookie', 'query')])(
    'refuses, on a cookie or query upgrade, any Origin that is not the own one (no allow-list)',
    (origin, h, s) => {
      fc.pre(normalizeOrigin(origin) !== `http://${h}`);
      expect(checkOrigin({ origin, host: h, source: s, method: 'GET', isUpgrade: true })).toEqual({
        ok: false,
        code: 'FORBIDDEN',
        reason: 'origin',
      });
    },
  );

  test.prop([fc.webUrl(), host])('allows what parseAllowedOrigins read from the same text', (url, h) => {
    const origin = new URL(url).origin;
    fc.pre(normalizeOrigin(origin) !== undefined);
    const allowedOrigins = parseAllowedOrigins(`https://other.example,${origin}`);
    expect(checkOrigin({ origin, host: h, source: 'cookie', method: 'POST', allowedOrigins }).ok).toBe(true);
  });
});

describe('normalizeOrigin', () => {
  test.prop([fc.string({ maxLength: 60 })])('is idempotent', (value) => {
    const once = normalizeOrigin(value);
    if (once !== undefined) expect(normalizeOrigin(once)).toBe(once);
  });
});
