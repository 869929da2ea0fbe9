import { createKit, type Kit, policy } from '@latchkey/adapter-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestAuthorizer, pathOf, type RequestFacts } from './authorize-request.js';

let kit: Kit;
beforeAll(async () => {
  kit = await createKit();
});
afterAll(async () => {
  await kit.close();
});

const facts = (overrides: Partial<RequestFacts> & { headers?: Record<string, string> }): RequestFacts => ({
  headers: {},
  url: '/api/me',
  method: 'GET',
  path: '/api/me',
  origin: undefined,
  host: '127.0.0.1:3000',
  ...overrides,
});
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('createRequestAuthorizer', () => {
  it('throws a TypeError for missing ports or a queryTokenPaths entry that is not a full path', () => {
    expect(() => createRequestAuthorizer(undefined as never)).toThrow(TypeError);
    expect(() => createRequestAuthorizer({ verifier: kit.verifier, policy } as never)).toThrow(TypeError);
    expect(() => createRequestAuthorizer({ revocation: kit.registry, policy } as never)).toThrow(TypeError);
    expect(() =>
      createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry } as never),
    ).toThrow(TypeError);
    for (const path of ['api', '/api?x=1']) {
      expect(() =>
        createRequestAuthorizer({
          verifier: kit.verifier,
          revocation: kit.registry,
          policy,
          queryTokenPaths: [path],
        }),
      ).toThrow(TypeError);
    }
  });

  it('returns the identity and its source for a valid header', async () => {
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    const { identity, source } = await authorize(
      facts({ headers: bearer(await kit.login('ada', 'viewer')) }),
    );
    expect([identity.userId, source]).toEqual(['ada', 'header']);
  });

  it('falls back to the cookie when the header is invalid, and reads no cookie with cookieName false', async () => {
    const token = await kit.login('bea', 'viewer');
    const headers = { ...bearer('stale'), cookie: `latchkey_auth=${token}` };
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    expect((await authorize(facts({ headers }))).source).toBe('cookie');
    const headerOnly = createRequestAuthorizer({
      verifier: kit.verifier,
      revocation: kit.registry,
      policy,
      cookieName: false,
    });
    await expect(headerOnly(facts({ headers }))).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('reads ?token= only on queryTokenPaths', async () => {
    const token = await kit.login('cy', 'viewer');
    const authorize = createRequestAuthorizer({
      verifier: kit.verifier,
      revocation: kit.registry,
      policy,
      queryTokenPaths: ['/api/events'],
    });
    const events = facts({ url: `/api/events?token=${token}`, path: '/api/events' });
    expect((await authorize(events)).source).toBe('query');
    await expect(authorize(facts({ url: `/api/me?token=${token}` }))).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('answers 401 for a token issued before its user logged out', async () => {
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    const token = await kit.login('dan', 'viewer');
    await kit.registry.revoke('dan');
    await expect(authorize(facts({ headers: bearer(token) }))).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('answers 403 for a cookie-authenticated mutation from a foreign Origin, not for a header one', async () => {
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    const token = await kit.login('eve', 'editor');
    const sync = {
      method: 'POST',
      url: '/api/gitops/sync',
      path: '/api/gitops/sync',
      origin: 'https://evil.example',
    };
    await expect(
      authorize(facts({ ...sync, headers: { cookie: `latchkey_auth=${token}` } })),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await authorize(facts({ ...sync, headers: bearer(token) }))).identity.userId).toBe('eve');
  });

  it('applies the route policy to the role in the custom claims, or to subjectOf', async () => {
    const sync = { method: 'POST', url: '/api/gitops/sync', path: '/api/gitops/sync' };
    const viewer = bearer(await kit.login('fay', 'viewer'));
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    await expect(authorize(facts({ ...sync, headers: viewer }))).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    const promoted = createRequestAuthorizer({
      verifier: kit.verifier,
      revocation: kit.registry,
      policy,
      subjectOf: () => ({ role: 'editor' }),
    });
    expect((await promoted(facts({ ...sync, headers: viewer }))).identity.userId).toBe('fay');
  });

  it('answers 503 STORE_UNAVAILABLE while the revocation store is unreachable', async () => {
    const stale = await createKit({ staleAfterMs: 100, storeTimeoutMs: 100 });
    try {
      const authorize = createRequestAuthorizer({
        verifier: stale.verifier,
        revocation: stale.registry,
        policy,
      });
      const headers = { ...bearer(await stale.login('gus', 'viewer')) };
      await stale.pauseStore();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(authorize(facts({ headers }))).rejects.toMatchObject({
        status: 503,
        code: 'STORE_UNAVAILABLE',
      });
      await stale.resumeStore();
    } finally {
      await stale.close();
    }
  });
});

describe('pathOf', () => {
  it('drops the query and the fragment of an origin-form or absolute URL', () => {
    expect(pathOf('/api/events?token=a#b')).toBe('/api/events');
    expect(pathOf('/api/me#x?y')).toBe('/api/me');
    expect(pathOf('http://x/api/me?y')).toBe('http://x/api/me');
    expect(pathOf('/api/me')).toBe('/api/me');
  });
});
