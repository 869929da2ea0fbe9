import {
  InvalidSessionTokenError,
  LatchkeyError,
  SessionRevokedError,
  StoreUnavailableError,
  UnauthenticatedError,
} from '@latchkey/errors';
import { describe, expect, it, vi } from 'vitest';
import { authenticate, isCredentialRejection } from './authenticate.js';
import type { CredentialSource } from './credentials.js';

/** A verifier that knows a few tokens; any other token is an invalid session token. */
function verifier(valid: Record<string, string>) {
  return vi.fn(async (token: string, _source: CredentialSource) => {
    const user = valid[token];
    if (user === undefined) throw new InvalidSessionTokenError('bad-signature');
    return { user };
  });
}

const base = { cookieName: 'latchkey_auth' };

describe('authenticate', () => {
  it('uses a valid header and never looks at the cookie', async () => {
    const verify = verifier({ fresh: 'ada', other: 'bob' });
    const request = { headers: { authorization: 'Bearer fresh', cookie: 'latchkey_auth=other' } };
    await expect(authenticate(request, { ...base, verify })).resolves.toEqual({
      identity: { user: 'ada' },
      source: 'header',
    });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('falls back to a valid cookie when the header fails verification (stale header, T8)', async () => {
    const verify = verifier({ fresh: 'ada' });
    const request = { headers: { authorization: 'Bearer stale', cookie: 'latchkey_auth=fresh' } };
    await expect(authenticate(request, { ...base, verify })).resolves.toEqual({
      identity: { user: 'ada' },
      source: 'cookie',
    });
    expect(verify.mock.calls).toEqual([
      ['stale', 'header'],
      ['fresh', 'cookie'],
    ]);
  });

  it('answers 401 for two Authorization headers, even beside a valid cookie', async () => {
    const verify = verifier({ fresh: 'ada', a: 'ada' });
    const request = {
      headers: { authorization: 'Bearer a', cookie: 'latchkey_auth=fresh' },
      rawHeaders: ['Authorization', 'Bearer a', 'Authorization', 'Bearer a', 'Cookie', 'latchkey_auth=fresh'],
    };
    await expect(authenticate(request, { ...base, verify })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'malformed',
    });
    const joined = { headers: { authorization: 'Bearer a, Bearer a', cookie: 'latchkey_auth=fresh' } };
    await expect(authenticate(joined, { ...base, verify })).rejects.toMatchObject({ status: 401 });
    expect(verify).not.toHaveBeenCalled();
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['   '], ['Bearer a;b']])(
    'falls back to a valid cookie when the header is malformed: %j',
    async (authorization) => {
      const verify = verifier({ fresh: 'ada' });
      const request = { headers: { authorization, cookie: 'latchkey_auth=fresh' } };
      await expect(authenticate(request, { ...base, verify })).resolves.toMatchObject({ source: 'cookie' });
      expect(verify).toHaveBeenCalledTimes(1);
    },
  );

  it('treats every 401 LatchkeyError as "invalid, try the next one"', async () => {
    const verify = vi.fn(async (token: string) => {
      if (token === 'revoked') throw new SessionRevokedError('token-revoked');
      if (token === 'expired') throw new UnauthenticatedError('expired');
      return token;
    });
    const request = {
      headers: { authorization: 'Bearer revoked', cookie: 'latchkey_auth=expired' },
      url: '/?token=ok',
    };
    await expect(authenticate(request, { ...base, allowQuery: true, verify })).resolves.toEqual({
      identity: 'ok',
      source: 'query',
    });
  });

  it('propagates STORE_UNAVAILABLE from verify at once: a failed check is a no, not a fallback', async () => {
    const verify = vi.fn(async (token: string) => {
      if (token === 'h') throw new StoreUnavailableError('timeout');
      return token;
    });
    const request = { headers: { authorization: 'Bearer h', cookie: 'latchkey_auth=c' } };
    await expect(authenticate(request, { ...base, verify })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
    });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('propagates a plain error thrown by verify', async () => {
    const bug = new Error('boom');
    const verify = vi.fn(() => {
      throw bug;
    });
    const request = { headers: { authorization: 'Bearer h', cookie: 'latchkey_auth=c' } };
    await expect(authenticate(request, { ...base, verify })).rejects.toBe(bug);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('answers UNAUTHENTICATED / missing when there is no credential at all', async () => {
    await expect(authenticate({ headers: {} }, { ...base, verify: verifier({}) })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'missing',
    });
  });

  it('answers UNAUTHENTICATED / malformed when only unusable credentials are present', async () => {
    const request = { headers: { authorization: 'Basic x', cookie: 'latchkey_auth="' } };
    await expect(authenticate(request, { ...base, verify: verifier({}) })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'malformed',
    });
  });

  it('answers UNAUTHENTICATED / invalid with the first rejection as cause when all fail', async () => {
    const request = { headers: { authorization: 'Bearer a', cookie: 'latchkey_auth=b' } };
    const error: unknown = await authenticate(request, { ...base, verify: verifier({}) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, reason: 'invalid' });
    expect((error as Error).cause).toMatchObject({ code: 'INVALID_SESSION_TOKEN' });
  });

  it('ignores the query string unless the route opts in', async () => {
    const request = { headers: {}, url: '/api/events?token=ok' };
    const verify = verifier({ ok: 'ada' });
    await expect(authenticate(request, { ...base, verify })).rejects.toMatchObject({ reason: 'missing' });
    await expect(authenticate(request, { ...base, allowQuery: true, verify })).resolves.toMatchObject({
      source: 'query',
    });
  });

  it('accepts a synchronous verify and a Fetch Request', async () => {
    const request = new Request('http://x/', { headers: { cookie: 'latchkey_auth=ok' } });
    await expect(authenticate(request, { ...base, verify: (token) => token.toUpperCase() })).resolves.toEqual(
      {
        identity: 'OK',
        source: 'cookie',
      },
    );
  });

  it('throws a TypeError without a verify function', async () => {
    await expect(
      authenticate({ headers: {} }, { verify: undefined as unknown as () => string }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('isCredentialRejection', () => {
  it('is true only for 401 LatchkeyErrors', () => {
    expect(isCredentialRejection(new InvalidSessionTokenError('expired'))).toBe(true);
    expect(isCredentialRejection(new SessionRevokedError('logout'))).toBe(true);
    expect(isCredentialRejection(new StoreUnavailableError('timeout'))).toBe(false);
    expect(isCredentialRejection(Object.assign(new Error('x'), { status: 401 }))).toBe(false);
    expect(isCredentialRejection(undefined)).toBe(false);
    expect(isCredentialRejection(new UnauthenticatedError('invalid'))).toBe(true);
    expect(
      isCredentialRejection(
        new (class extends LatchkeyError {
          readonly code = 'X';
          readonly status = 403 as const;
        })('x', 'y'),
      ),
    ).toBe(false);
  });
});
