import { createPublicKey } from 'node:crypto';
import { createKeyring, createSessionStore, type SessionStoreDriver } from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';
import { createTargetMatcher } from '@latchkey/target';
import { createBootstrapIssuer, createSigningKeyCache } from '@latchkey/tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapKeys } from '../../test/support.js';
import { silentLogger } from '../log.js';
import type { App } from '../respond.js';
import { createRouterApp, SESSION_HEADER } from './app.js';
import { inProcessSandboxes, type SandboxLauncher } from './sandboxes.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const base = 'http://127.0.0.1';
const invoke = (target = 'team-a/AgentRuntime/agent-1', path = 'whoami'): string =>
  `${base}/v1/namespaces/${target}/invoke/${path}`;

/** A memory driver that can be switched off, as a store that stops answering. */
function switchableDriver(): { driver: SessionStoreDriver; down: (value: boolean) => void } {
  const inner = memoryDriver();
  let isDown = false;
  const refuse = (): Promise<never> =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
  const driver: SessionStoreDriver = {
    write: (...args) => (isDown ? refuse() : inner.write(...args)),
    read: (...args) => (isDown ? refuse() : inner.read(...args)),
    touch: (...args) => (isDown ? refuse() : inner.touch(...args)),
    delete: (...args) => (isDown ? refuse() : inner.delete(...args)),
    scan: (...args) => (isDown ? refuse() : inner.scan(...args)),
    swapKey: (...args) => (isDown ? refuse() : inner.swapKey(...args)),
  };
  return { driver, down: (value) => (isDown = value) };
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ code, message: expect.any(String) });
}

describe('createRouterApp', () => {
  const keys = bootstrapKeys();
  const store = switchableDriver();
  let sandboxes: SandboxLauncher;
  let app: App;

  beforeAll(() => {
    const sessions = createSessionStore({
      driver: store.driver,
      keyring: createKeyring({ current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } }),
    });
    sandboxes = inProcessSandboxes({
      bootstrapPublicKey: createPublicKey(keys.privateKey),
      algorithm: 'RS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      log: silentLogger,
    });
    app = createRouterApp({
      sessions,
      signingKeys: createSigningKeyCache({
        max: 100,
        load: async (id) => {
          const key = await sessions.getPrivateKey(id);
          if (key === null) throw new Error('missing');
          return key;
        },
      }),
      bootstrap: createBootstrapIssuer({ privateKey: keys.privateKey, issuer: ISSUER, audience: AUDIENCE }),
      sandboxes,
      matcher: createTargetMatcher({ onSecurityEvent: () => undefined }),
      issuer: ISSUER,
      audience: AUDIENCE,
      log: silentLogger,
    });
  });
  afterAll(() => sandboxes.stopAll());

  const create = async (target?: string): Promise<string> => {
    const response = await app(new Request(invoke(target)));
    expect(response.status).toBe(200);
    const id = response.headers.get(SESSION_HEADER) ?? '';
    expect(await response.json()).toEqual({ sessionId: id });
    return id;
  };

  it('creates a session with its own sandbox and forwards; the session id comes back in x-latchkey-session', async () => {
    const before = sandboxes.size;
    const id = await create();
    expect(id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(sandboxes.size).toBe(before + 1);
  });

  it('forwards method, body and query to /api/{path} on the same session', async () => {
    const id = await create();
    const echo = await app(
      new Request(invoke(undefined, 'echo?x=1'), {
        method: 'POST',
        headers: { [SESSION_HEADER]: id, 'content-type': 'application/json' },
        body: '{"n":42}',
      }),
    );
    expect(echo.status).toBe(200);
    expect(echo.headers.get(SESSION_HEADER)).toBe(id);
    expect(await echo.json()).toEqual({ n: 42 });
    const again = await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } }));
    expect(await again.json()).toEqual({ sessionId: id });
  });

  it('answers 409 SESSION_TARGET_MISMATCH when a session is reused against another namespace, name or kind', async () => {
    const id = await create();
    for (const target of [
      'team-b/AgentRuntime/agent-1',
      'team-a/AgentRuntime/agent-2',
      'team-a/CodeInterpreter/agent-1',
    ]) {
      await expectError(
        await app(new Request(invoke(target), { headers: { [SESSION_HEADER]: id } })),
        409,
        'SESSION_TARGET_MISMATCH',
      );
    }
  });

  it('answers 404 SESSION_NOT_FOUND for an unknown or impossible session id', async () => {
    for (const id of ['not a session', 'x'.repeat(200), '{tag}']) {
      await expectError(
        await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
        404,
        'SESSION_NOT_FOUND',
      );
    }
    await expectError(
      await app(new Request(`${base}/v1/sessions/%7Bx%7D`, { method: 'DELETE' })),
      404,
      'SESSION_NOT_FOUND',
    );
    await expectError(
      await app(new Request(invoke(), { headers: { [SESSION_HEADER]: 'no-such-session' } })),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('answers 400 INVALID_TARGET for a namespace or name that is not a DNS-1123 label', async () => {
    await expectError(await app(new Request(invoke('Team_A/AgentRuntime/agent-1'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/AgentRuntime/-agent'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/Agent-Runtime/agent'))), 400, 'INVALID_TARGET');
  });

  it('answers 400 INVALID_TARGET for a kind outside the allow-list, and creates nothing', async () => {
    const before = sandboxes.size;
    await expectError(await app(new Request(invoke('team-a/Deployment/agent-1'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/agentruntime/agent-1'))), 400, 'INVALID_TARGET');
    expect(sandboxes.size).toBe(before);
  });

  it('serves CodeInterpreter, the other default kind', async () => {
    const response = await app(new Request(invoke('team-a/CodeInterpreter/agent-1')));
    expect(response.status).toBe(200);
    expect(response.headers.get(SESSION_HEADER)).toBeTruthy();
  });

  it('answers 413 PAYLOAD_TOO_LARGE past 64 KiB and creates nothing', async () => {
    const before = sandboxes.size;
    const response = await app(
      new Request(invoke(undefined, 'echo'), { method: 'POST', body: 'x'.repeat(65_537) }),
    );
    await expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(sandboxes.size).toBe(before);
  });

  it('deletes record and key together (204), stops the sandbox, then answers 404', async () => {
    const id = await create();
    const before = sandboxes.size;
    const deleted = await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    expect(sandboxes.size).toBe(before - 1);
    await expectError(
      await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
      404,
      'SESSION_NOT_FOUND',
    );
    await expectError(
      await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' })),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('answers 503 STORE_UNAVAILABLE while the store is down, never forwarding, and recovers', async () => {
    const id = await create();
    store.down(true);
    try {
      const before = sandboxes.size;
      await expectError(
        await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
        503,
        'STORE_UNAVAILABLE',
      );
      const created = await app(new Request(invoke()));
      await expectError(created, 503, 'STORE_UNAVAILABLE');
      expect(created.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(sandboxes.size).toBe(before);
      await expectError(
        await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' })),
        503,
        'STORE_UNAVAILABLE',
      );
    } finally {
      store.down(false);
    }
    const again = await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } }));
    expect(again.status).toBe(200);
  });
});
