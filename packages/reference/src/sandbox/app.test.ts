import { createBootstrapIssuer, createSessionTokenSigner, generateSessionKeyPair } from '@latchkey/tokens';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, bootstrapKeys, expectError } from '../../test/support.js';
import type { App } from '../respond.js';
import { createSandbox } from './server.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const keys = bootstrapKeys();
const issuer = createBootstrapIssuer({ privateKey: keys.privateKey, issuer: ISSUER, audience: AUDIENCE });
const base = 'http://127.0.0.1';

const post = (path: string, headers: Record<string, string>, body?: string): Request =>
  new Request(base + path, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

describe('createSandbox', () => {
  let app: App;
  let pair: Awaited<ReturnType<typeof generateSessionKeyPair>>;
  const sign = (sessionId = 's-1', privateKey = pair.privateKey): Promise<string> =>
    createSessionTokenSigner({ privateKey, issuer: ISSUER, audience: AUDIENCE, sessionId }).sign();

  beforeAll(async () => {
    app = createSandbox({ bootstrapPublicKey: keys.publicKey, issuer: ISSUER, audience: AUDIENCE });
    pair = await generateSessionKeyPair();
  });

  it('reports health before init', async () => {
    const response = await app(new Request(`${base}/healthz`));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', initialized: false });
  });

  it('answers 503 DAEMON_NOT_INITIALIZED on /api/* before init', async () => {
    await expectError(await app(new Request(`${base}/api/whoami`)), 503, 'DAEMON_NOT_INITIALIZED');
  });

  it('refuses /init without a token, with garbage, or signed by another key', async () => {
    await expectError(await app(post('/init', {})), 401, 'INVALID_BOOTSTRAP_TOKEN');
    await expectError(await app(post('/init', bearer('not.a.token'))), 401, 'INVALID_BOOTSTRAP_TOKEN');
    const stranger = createBootstrapIssuer({
      privateKey: bootstrapKeys().privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const token = await stranger.issue({ sessionId: 's-1', sessionPublicKey: pair.publicJwk });
    await expectError(await app(post('/init', bearer(token))), 401, 'INVALID_BOOTSTRAP_TOKEN');
  });

  it('initialises once, then serves /api/* with session tokens from that key', async () => {
    const token = await issuer.issue({ sessionId: 's-1', sessionPublicKey: pair.publicJwk });
    const init = await app(post('/init', bearer(token)));
    expect(init.status).toBe(200);
    expect(await init.json()).toEqual({ initialized: true });
    expect(await (await app(new Request(`${base}/healthz`))).json()).toEqual({
      status: 'ok',
      initialized: true,
    });

    const whoami = await app(new Request(`${base}/api/whoami`, { headers: bearer(await sign()) }));
    expect(whoami.status).toBe(200);
    expect(await whoami.json()).toEqual({ sessionId: 's-1' });

    const echo = await app(
      post('/api/echo', { ...bearer(await sign()), 'content-type': 'application/json' }, '{"a":[1,2]}'),
    );
    expect(echo.status).toBe(200);
    expect(await echo.json()).toEqual({ a: [1, 2] });
  });

  it('answers 409 ALREADY_INITIALIZED to a second /init, even with a valid token', async () => {
    const other = await generateSessionKeyPair();
    const token = await issuer.issue({ sessionId: 's-1', sessionPublicKey: other.publicJwk });
    await expectError(await app(post('/init', bearer(token))), 409, 'ALREADY_INITIALIZED');
    // The original key still rules.
    expect((await app(new Request(`${base}/api/whoami`, { headers: bearer(await sign()) }))).status).toBe(
      200,
    );
  });

  it('answers 401 INVALID_SESSION_TOKEN to missing, forged, bootstrap-typed or other-session tokens', async () => {
    await expectError(await app(new Request(`${base}/api/whoami`)), 401, 'INVALID_SESSION_TOKEN');
    const other = await generateSessionKeyPair();
    const forged = await sign('s-1', other.privateKey);
    await expectError(
      await app(new Request(`${base}/api/whoami`, { headers: bearer(forged) })),
      401,
      'INVALID_SESSION_TOKEN',
    );
    const bootstrapToken = await issuer.issue({ sessionId: 's-1', sessionPublicKey: pair.publicJwk });
    await expectError(
      await app(new Request(`${base}/api/whoami`, { headers: bearer(bootstrapToken) })),
      401,
      'INVALID_SESSION_TOKEN',
    );
    await expectError(
      await app(new Request(`${base}/api/whoami`, { headers: bearer(await sign('s-2')) })),
      401,
      'INVALID_SESSION_TOKEN',
    );
    const oversized = `${'a'.repeat(9_000)}.b.c`;
    await expectError(
      await app(new Request(`${base}/api/whoami`, { headers: bearer(oversized) })),
      401,
      'INVALID_SESSION_TOKEN',
    );
  });

  it('answers 400 INVALID_REQUEST to malformed JSON and 413 PAYLOAD_TOO_LARGE past 64 KiB', async () => {
    await expectError(await app(post('/api/echo', bearer(await sign()), '{"a":')), 400, 'INVALID_REQUEST');
    const big = JSON.stringify({ data: 'x'.repeat(70_000) });
    await expectError(await app(post('/api/echo', bearer(await sign()), big)), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('createSandbox /init rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After past a burst of 5', async () => {
    const app = createSandbox({ bootstrapPublicKey: keys.publicKey, issuer: ISSUER, audience: AUDIENCE });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 8; i++) {
      const response = await app(post('/init', bearer('garbage')));
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited?.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('createSandbox with a session id', () => {
  it("refuses a bootstrap token whose sub is another session's", async () => {
    const app = createSandbox({
      bootstrapPublicKey: keys.publicKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 'mine',
    });
    const pair = await generateSessionKeyPair();
    const theirs = await issuer.issue({ sessionId: 'theirs', sessionPublicKey: pair.publicJwk });
    await expectError(await app(post('/init', bearer(theirs))), 401, 'INVALID_BOOTSTRAP_TOKEN');
    const mine = await issuer.issue({ sessionId: 'mine', sessionPublicKey: pair.publicJwk });
    expect((await app(post('/init', bearer(mine)))).status).toBe(200);
  });
});
