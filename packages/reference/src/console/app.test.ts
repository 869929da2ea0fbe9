import { generateKeyPairSync } from 'node:crypto';
import { StoreUnavailableError } from '@latchkey/errors';
import { createRegistry, type Registry, type RevocationBus } from '@latchkey/registry';
import { createMemoryRevocationBus } from '@latchkey/registry/testing';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { bearer, drain, expectError, readUntil } from '../../test/support.js';
import { silentLogger } from '../log.js';
import type { App } from '../respond.js';
import { AUTH_COOKIE, createConsoleApp } from './app.js';
import { createConsoleTokens } from './console-tokens.js';

const base = 'http://127.0.0.1';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const json = (path: string, body: unknown, headers: Record<string, string> = {}): Request =>
  new Request(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('createConsoleApp', () => {
  let app: App;
  let registry: Registry;
  const make = (oauthConfigured = false): App => {
    registry = createRegistry({ watermarkTtlMs: 3_700_000 });
    return createConsoleApp({
      tokens: createConsoleTokens({ privateKey }),
      registry,
      log: silentLogger,
      oauthConfigured,
      streamIntervalMs: 100,
    });
  };
  const login = async (user: string, role: string): Promise<string> => {
    const response = await app(json('/auth/login', { user, role }));
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    return token;
  };

  beforeEach(() => {
    app = make();
  });

  it('reports oauthConfigured as told', async () => {
    expect(await (await app(new Request(`${base}/health`))).json()).toEqual({
      status: 'ok',
      oauthConfigured: false,
    });
    expect(await (await make(true)(new Request(`${base}/health`))).json()).toEqual({
      status: 'ok',
      oauthConfigured: true,
    });
  });

  it('logs in with a token and an HttpOnly, SameSite=Strict cookie', async () => {
    const response = await app(json('/auth/login', { user: 'alice', role: 'editor' }));
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie.startsWith(`${AUTH_COOKIE}=${token};`)).toBe(true);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('answers 400 INVALID_REQUEST to a login body that is malformed or fails its schema', async () => {
    await expectError(await app(json('/auth/login', '{"user":')), 400, 'INVALID_REQUEST');
    await expectError(await app(json('/auth/login', { user: '', role: 'viewer' })), 400, 'INVALID_REQUEST');
    await expectError(await app(json('/auth/login', { user: 'a', role: 'root' })), 400, 'INVALID_REQUEST');
  });

  it('checks authentication, then role, then body', async () => {
    const viewer = await login('bob', 'viewer');
    const editor = await login('alice', 'editor');
    await expectError(await app(json('/api/gitops/sync', { nope: 1 })), 401, 'UNAUTHENTICATED');
    await expectError(await app(json('/api/gitops/sync', { nope: 1 }, bearer(viewer))), 403, 'FORBIDDEN');
    await expectError(
      await app(json('/api/gitops/sync', { nope: 1 }, bearer(editor))),
      400,
      'INVALID_REQUEST',
    );
    const ok = await app(json('/api/gitops/sync', { repo: 'infra', path: 'apps' }, bearer(editor)));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ accepted: true });
  });

  it.each([
    ['/api/gitops/sync', 'editor', { repo: 'r', path: 'p' }, { repo: 'r', path: '' }],
    [
      '/api/gitops/helm/upgrade',
      'editor',
      { release: 'web', namespace: 'ns', chart: 'c' },
      { release: 'Web', namespace: 'ns', chart: 'c' },
    ],
    ['/api/gitops/helm/uninstall', 'editor', { release: 'web', namespace: 'ns' }, { release: 'web' }],
    [
      '/api/gitops/helm/rollback',
      'editor',
      { release: 'web', namespace: 'ns', revision: 3 },
      { release: 'web', namespace: 'ns', revision: 0 },
    ],
    ['/api/gitops/argocd/sync', 'editor', { app: 'shop' }, { app: 'shop_1' }],
    ['/api/gitops/detect-drift', 'viewer', { repo: 'r', path: 'p' }, { repo: 1, path: 'p' }],
  ])('%s needs %s and validates its body', async (path, minRole, good, bad) => {
    const allowed = await login('u', minRole);
    expect((await app(json(path, good, bearer(allowed)))).status).toBe(202);
    await expectError(await app(json(path, bad, bearer(allowed))), 400, 'INVALID_REQUEST');
    if (minRole === 'editor')
      await expectError(await app(json(path, good, bearer(await login('v', 'viewer')))), 403, 'FORBIDDEN');
  });

  it('falls back to a valid cookie when the header is stale or malformed, never the reverse', async () => {
    const fresh = await login('alice', 'editor');
    const body = { repo: 'r', path: 'p' };
    const cookie = { cookie: `${AUTH_COOKIE}=${fresh}` };
    expect(
      (await app(json('/api/gitops/sync', body, { ...cookie, authorization: 'Bearer stale.token.value' })))
        .status,
    ).toBe(202);
    expect(
      (await app(json('/api/gitops/sync', body, { ...cookie, authorization: 'Basic abc' }))).status,
    ).toBe(202);
    expect((await app(json('/api/gitops/sync', body, cookie))).status).toBe(202);
  });

  it('accepts ?token= on the two stream routes only', async () => {
    const token = await login('alice', 'editor');
    await expectError(
      await app(json(`/api/gitops/sync?token=${token}`, { repo: 'r', path: 'p' })),
      401,
      'UNAUTHENTICATED',
    );
    const controller = new AbortController();
    const events = await app(new Request(`${base}/api/events?token=${token}`, { signal: controller.signal }));
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await events.body?.cancel();
  });

  it('refuses tokens of another kind, signer or algorithm', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = await createConsoleTokens({ privateKey: other.privateKey }).issuer.issue('alice', {
      role: 'admin',
    });
    await expectError(
      await app(new Request(`${base}/api/events`, { headers: bearer(foreign.token) })),
      401,
      'UNAUTHENTICATED',
    );
    const wrongTyp = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', typ: 'latchkey-session+jwt' })
      .setIssuer('latchkey-console')
      .setAudience('latchkey-console')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('j')
      .sign(privateKey);
    await expectError(
      await app(new Request(`${base}/api/events`, { headers: bearer(wrongTyp) })),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('streams events and exec output until logout, which ends both and counts them', async () => {
    const alice = await login('alice', 'editor');
    const bob = await login('bob', 'viewer');
    const events = await app(new Request(`${base}/api/events`, { headers: bearer(alice) }));
    const exec = await app(new Request(`${base}/api/exec`, { headers: bearer(alice) }));
    const bobs = await app(new Request(`${base}/api/events`, { headers: bearer(bob) }));
    expect([events.status, exec.status, bobs.status]).toEqual([200, 200, 200]);
    const bobReader = bobs.body?.getReader();
    if (bobReader === undefined) throw new Error('no body');
    await readUntil(bobReader, (text) => text.includes('event: heartbeat'));
    const ended = Promise.all([drain(events), drain(exec)]);
    const at = Date.now();
    const logout = await app(new Request(`${base}/auth/logout`, { method: 'POST', headers: bearer(alice) }));
    expect(logout.status).toBe(200);
    expect(await logout.json()).toEqual({ cancelled: 2 });
    const [eventsEnd, execEnd] = await ended;
    expect(Math.max(eventsEnd.endedAt, execEnd.endedAt) - at).toBeLessThan(1_000);
    expect(eventsEnd.text).toMatch(/event: end/);
    expect(execEnd.text).toMatch(/\$ exit/);
    // bob's stream goes on.
    const more = await readUntil(bobReader, (text) => (text.match(/event: heartbeat/g) ?? []).length >= 2);
    expect(more).toMatch(/heartbeat/);
    expect(registry.count('bob')).toBe(1);
    await bobReader.cancel();
    // alice's token is revoked; the streams are gone from the registry.
    expect(registry.count('alice')).toBe(0);
    await expectError(
      await app(new Request(`${base}/api/events`, { headers: bearer(alice) })),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('answers 403 FORBIDDEN to a viewer opening the exec stream', async () => {
    const viewer = await login('bob', 'viewer');
    await expectError(
      await app(new Request(`${base}/api/exec`, { headers: bearer(viewer) })),
      403,
      'FORBIDDEN',
    );
  });

  it('answers 401 UNAUTHENTICATED to logout without a credential', async () => {
    await expectError(
      await app(new Request(`${base}/auth/logout`, { method: 'POST' })),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('answers 413 PAYLOAD_TOO_LARGE to a gitops body past 64 KiB', async () => {
    const editor = await login('alice', 'editor');
    await expectError(
      await app(json('/api/gitops/sync', { repo: 'x'.repeat(70_000), path: 'p' }, bearer(editor))),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('ends the streams even when the store cannot record the revocation, and answers 503', async () => {
    const memory = createMemoryRevocationBus();
    const bus: RevocationBus = {
      watermark: (userId) => memory.watermark(userId),
      subscribe: (listener) => memory.subscribe(listener),
      publish: async () => {
        throw new StoreUnavailableError('connection');
      },
    };
    registry = createRegistry({ watermarkTtlMs: 3_700_000, bus });
    await registry.ready;
    const failing = createConsoleApp({
      tokens: createConsoleTokens({ privateKey }),
      registry,
      log: silentLogger,
      oauthConfigured: false,
      streamIntervalMs: 100,
    });
    const login = await failing(json('/auth/login', { user: 'alice', role: 'editor' }));
    const { token } = (await login.json()) as { token: string };
    const events = await failing(new Request(`${base}/api/events`, { headers: bearer(token) }));
    const ended = drain(events);
    await expectError(
      await failing(new Request(`${base}/auth/logout`, { method: 'POST', headers: bearer(token) })),
      503,
      'STORE_UNAVAILABLE',
    );
    expect((await ended).text).toMatch(/event: end/);
    expect(registry.count('alice')).toBe(0);
    await registry.close();
  });

  it('accepts any user id of 1–256 characters without control characters, and refuses others with 400', async () => {
    for (const user of ['a b', 'é'.repeat(256), '🙂'.repeat(256)]) {
      expect((await app(json('/auth/login', { user, role: 'viewer' }))).status).toBe(200);
    }
    for (const user of ['', 'a'.repeat(257), 'a\u0000b', 'a\nb', 'a\u007fb', 'a\u0085b', 42]) {
      await expectError(await app(json('/auth/login', { user, role: 'viewer' })), 400, 'INVALID_REQUEST');
    }
  });
});
