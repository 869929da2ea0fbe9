import { createBootstrapIssuer, createSessionTokenSigner, generateSessionKeyPair } from '@latchkey/tokens';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, bootstrapKeys, expectError, type ServerProcess, spawnServer } from '../support.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const keys = bootstrapKeys();
const issuer = createBootstrapIssuer({ privateKey: keys.privateKey, issuer: ISSUER, audience: AUDIENCE });

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('sandbox over HTTP', () => {
  let sandbox: ServerProcess;
  let pair: Awaited<ReturnType<typeof generateSessionKeyPair>>;
  const sign = (privateKey = pair.privateKey, sessionId = 'session-1'): Promise<string> =>
    createSessionTokenSigner({ privateKey, issuer: ISSUER, audience: AUDIENCE, sessionId }).sign();

  beforeAll(async () => {
    sandbox = await spawnServer('sandbox', {
      LATCHKEY_BOOTSTRAP_PUBLIC_KEY: keys.publicPem,
      LATCHKEY_SESSION_ID: 'session-1',
    });
    pair = await generateSessionKeyPair();
  });
  afterAll(async () => {
    await sandbox.terminate();
  });

  it('prints the listening line first and logs JSON lines on stderr', () => {
    expect(sandbox.stdout().split('\n')[0]).toBe(`listening on ${sandbox.url}`);
    const lines = sandbox
      .stderr()
      .split('\n')
      .filter((line) => line !== '');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('answers /healthz and 503 DAEMON_NOT_INITIALIZED before init', async () => {
    expect(await (await fetch(`${sandbox.url}/healthz`)).json()).toEqual({
      status: 'ok',
      initialized: false,
    });
    await expectError(await fetch(`${sandbox.url}/api/whoami`), 503, 'DAEMON_NOT_INITIALIZED');
  });

  it('refuses bootstrap tokens for another session, of another type or unsigned', async () => {
    const theirs = await issuer.issue({ sessionId: 'session-2', sessionPublicKey: pair.publicJwk });
    await expectError(
      await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer(theirs) }),
      401,
      'INVALID_BOOTSTRAP_TOKEN',
    );
    const none = `${b64({ alg: 'none', typ: 'latchkey-bootstrap+jwt' })}.${b64({ sub: 'session-1' })}.`;
    await expectError(
      await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer(none) }),
      401,
      'INVALID_BOOTSTRAP_TOKEN',
    );
    const session = await sign();
    await expectError(
      await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer(session) }),
      401,
      'INVALID_BOOTSTRAP_TOKEN',
    );
  });

  it('initialises once (200), then answers 409 ALREADY_INITIALIZED', async () => {
    const token = await issuer.issue({ sessionId: 'session-1', sessionPublicKey: pair.publicJwk });
    const init = await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer(token) });
    expect(init.status).toBe(200);
    expect(await init.json()).toEqual({ initialized: true });
    await expectError(
      await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer(token) }),
      409,
      'ALREADY_INITIALIZED',
    );
  });

  it('serves whoami and echo with a session token', async () => {
    const whoami = await fetch(`${sandbox.url}/api/whoami`, { headers: bearer(await sign()) });
    expect(await whoami.json()).toEqual({ sessionId: 'session-1' });
    const echo = await fetch(`${sandbox.url}/api/echo`, {
      method: 'POST',
      headers: { ...bearer(await sign()), 'content-type': 'application/json' },
      body: JSON.stringify({ deep: { list: [1, 'two', null] } }),
    });
    expect(echo.status).toBe(200);
    expect(await echo.json()).toEqual({ deep: { list: [1, 'two', null] } });
  });

  it('refuses attack tokens with 401 INVALID_SESSION_TOKEN and echoes no detail', async () => {
    const other = await generateSessionKeyPair();
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'session-1', iat: now, exp: now + 60 };
    const attacks = [
      await sign(other.privateKey), // T1: another session's key
      `${b64({ alg: 'none', typ: 'latchkey-session+jwt' })}.${b64(claims)}.`,
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'latchkey-session+jwt' })
        .sign(new Uint8Array(32)),
      await new SignJWT({ ...claims, iat: now - 600, exp: now - 300 })
        .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-session+jwt' })
        .sign(pair.privateKey), // expired
      await new SignJWT({ ...claims, aud: 'elsewhere' })
        .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-session+jwt' })
        .sign(pair.privateKey),
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-bootstrap+jwt' })
        .sign(pair.privateKey),
      await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(pair.privateKey), // no typ
      `${'e'.repeat(9_000)}.e.e`,
      'garbage',
    ];
    for (const token of attacks) {
      const response = await fetch(`${sandbox.url}/api/whoami`, { headers: bearer(token) });
      await expectError(response, 401, 'INVALID_SESSION_TOKEN');
    }
    await expectError(await fetch(`${sandbox.url}/api/whoami`), 401, 'INVALID_SESSION_TOKEN');
  });

  it('answers 400 INVALID_REQUEST to malformed JSON and 413 PAYLOAD_TOO_LARGE past 64 KiB', async () => {
    const headers = { ...bearer(await sign()), 'content-type': 'application/json' };
    await expectError(
      await fetch(`${sandbox.url}/api/echo`, { method: 'POST', headers, body: '{"open":' }),
      400,
      'INVALID_REQUEST',
    );
    const big = JSON.stringify({ blob: 'x'.repeat(66_000) });
    await expectError(
      await fetch(`${sandbox.url}/api/echo`, { method: 'POST', headers, body: big }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // Exactly 64 KiB is still accepted.
    const edge = JSON.stringify({ blob: 'x'.repeat(65_536 - 11) });
    expect(Buffer.byteLength(edge)).toBe(65_536);
    expect((await fetch(`${sandbox.url}/api/echo`, { method: 'POST', headers, body: edge })).status).toBe(
      200,
    );
  });

  it('rate-limits /init: 429 RATE_LIMITED with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${sandbox.url}/init`, { method: 'POST', headers: bearer('x') });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await response.json()).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
      } else {
        await response.arrayBuffer();
      }
    }
    expect(statuses).toContain(429);
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    const events = sandbox
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event?: string; type?: string });
    expect(events).toContainEqual(expect.objectContaining({ event: 'security', type: 'rate-limited' }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'security', type: 'reinit-refused' }));
  });

  it('exits 0 within 5 s on SIGTERM', async () => {
    const { code, ms } = await sandbox.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
  });
});
