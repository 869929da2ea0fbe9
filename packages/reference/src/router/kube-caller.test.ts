import { createPublicKey, randomBytes } from 'node:crypto';
import { ForbiddenError } from '@latchkey/errors';
import { createKeyring, createSessionStore } from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';
import type { KubeCallerAuth, KubeIdentity } from '@latchkey/kube';
import { createTargetMatcher, type Target } from '@latchkey/session-target';
import { createBootstrapIssuer, createSigningKeyCache } from '@latchkey/tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapKeys, expectError } from '../../test/support.js';
import { silentLogger } from '../log.js';
import { type CallerIdentity, createRouterApp, type RouterApp } from './app.js';
import { kubeIdentityFromConfig, kubeRouterIdentity } from './kube-caller.js';
import { inProcessSandboxes, type SandboxLauncher } from './sandboxes.js';

const UID_A = '0b6f7f4e-4a43-4a52-9c0e-0d1c2f3a4b5c';
const UID_B = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

/** A KubeCallerAuth whose review answers are given: the router's mapping, not the review, is under test. */
function reviewed(uid: string, allowed = true): KubeCallerAuth & { asked: Target[]; closes: number } {
  const asked: Target[] = [];
  const auth = {
    asked,
    closes: 0,
    authenticate: async () => ({ uid, username: 'system:serviceaccount:team-a:alice' }) as KubeIdentity,
    authorizeSessionCreate: async (_identity: KubeIdentity, target: { namespace: string; name: string }) => {
      asked.push(target as Target);
      if (!allowed) throw new ForbiddenError('access-denied');
    },
    close() {
      auth.closes++;
    },
  };
  return auth as unknown as KubeCallerAuth & { asked: Target[]; closes: number };
}

describe('kubeRouterIdentity', () => {
  it("makes the reviewed UID the caller's client and owner, and asks access for the target", async () => {
    const kube = reviewed(UID_A);
    const caller = await kubeRouterIdentity(kube).identify(new Request('http://r/v1/x'));
    expect(caller).toMatchObject({ client: UID_A, owner: UID_A });
    await caller.authorizeCreate?.({ namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' });
    expect(kube.asked).toEqual([{ namespace: 'team-a', name: 'agent-1' }]);
  });

  it('fails closed with 502 on a UID that cannot own a session', async () => {
    const identity = kubeRouterIdentity(reviewed('has space'));
    await expect(identity.identify(new Request('http://r/v1/x'))).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 502,
    });
  });

  it('closes the API client once', () => {
    const kube = reviewed(UID_A);
    const identity = kubeRouterIdentity(kube);
    identity.close();
    identity.close();
    expect(kube.closes).toBe(1);
  });
});

describe('kubeIdentityFromConfig', () => {
  it('is off without LATCHKEY_KUBE_APISERVER', () => {
    expect(kubeIdentityFromConfig(undefined, silentLogger)).toBeUndefined();
  });

  it('refuses an unreadable CA file with a TypeError naming it', () => {
    expect(() =>
      kubeIdentityFromConfig(
        {
          apiServer: 'https://127.0.0.1:1',
          caFile: '/nonexistent/ca.crt',
          tokenFile: '/x',
          audiences: ['a'],
        },
        silentLogger,
      ),
    ).toThrow(/ca\.crt/);
  });
});

describe('createRouterApp with an identity that owns sessions', () => {
  let sandboxes: SandboxLauncher;
  let app: RouterApp;
  let callers: Record<string, CallerIdentity>;
  const url = (namespace = 'team-a'): string =>
    `http://127.0.0.1/v1/namespaces/${namespace}/AgentRuntime/agent-1/invoke/whoami`;
  const as = (who: string, init: RequestInit = {}, target = url()): Request =>
    new Request(target, { ...init, headers: { ...(init.headers as object), 'x-caller': who } });

  beforeAll(() => {
    const keys = bootstrapKeys();
    const sessions = createSessionStore({
      driver: memoryDriver(),
      keyring: createKeyring({ current: 'k', keys: { k: new Uint8Array(randomBytes(32)) } }),
    });
    sandboxes = inProcessSandboxes({
      bootstrapPublicKey: createPublicKey(keys.privateKey),
      algorithm: 'RS256',
      issuer: 'latchkey-router',
      audience: 'latchkey-sandbox',
      log: silentLogger,
    });
    const denied = async (): Promise<void> => {
      throw new ForbiddenError('access-denied');
    };
    callers = {
      a: { client: UID_A, owner: UID_A },
      b: { client: UID_B, owner: UID_B },
      refused: { client: UID_B, owner: UID_B, authorizeCreate: denied },
      anonymous: { client: '127.0.0.1' },
    };
    app = createRouterApp({
      sessions,
      signingKeys: createSigningKeyCache({
        max: 100,
        ttlMs: 60_000,
        load: async (id) => {
          const key = await sessions.getPrivateKey(id);
          if (key === null) throw new Error('gone');
          return key;
        },
      }),
      bootstrap: createBootstrapIssuer({
        privateKey: keys.privateKey,
        algorithm: 'RS256',
        issuer: 'latchkey-router',
        audience: 'latchkey-sandbox',
      }),
      sandboxes,
      matcher: createTargetMatcher(),
      issuer: 'latchkey-router',
      audience: 'latchkey-sandbox',
      log: silentLogger,
      sweepIntervalMs: 0,
      identify: (request) => callers[request.headers.get('x-caller') ?? ''] ?? { client: '?' },
    });
  });

  afterAll(async () => {
    app.close();
    await sandboxes.stopAll();
  });

  it("answers 404 to anyone but the owner, for invoke (any target) and DELETE, and leaves the owner's sandbox up", async () => {
    const created = await app(as('a'));
    expect(created.status).toBe(200);
    const id = created.headers.get('x-latchkey-session') ?? '';
    const withId = { headers: { 'x-latchkey-session': id } };
    for (const who of ['b', 'anonymous']) {
      await expectError(await app(as(who, withId)), 404, 'SESSION_NOT_FOUND');
      await expectError(await app(as(who, withId, url('team-b'))), 404, 'SESSION_NOT_FOUND');
      await expectError(
        await app(as(who, { method: 'DELETE' }, `http://127.0.0.1/v1/sessions/${id}`)),
        404,
        'SESSION_NOT_FOUND',
      );
    }
    expect(sandboxes.has(id)).toBe(true);
    expect((await app(as('a', withId))).status).toBe(200);
    expect((await app(as('a', { method: 'DELETE' }, `http://127.0.0.1/v1/sessions/${id}`))).status).toBe(204);
    expect(sandboxes.has(id)).toBe(false);
  });

  it('asks authorizeCreate before anything is spent, and a refusal creates nothing', async () => {
    const before = sandboxes.sessionIds().length;
    const refused = await app(as('refused'));
    expect(refused.headers.get('x-latchkey-session')).toBeNull();
    await expectError(refused, 403, 'FORBIDDEN');
    expect(sandboxes.sessionIds().length).toBe(before);
  });

  it('serves sessions without an owner to callers without one, as before', async () => {
    const created = await app(as('anonymous'));
    const id = created.headers.get('x-latchkey-session') ?? '';
    expect((await app(as('anonymous', { headers: { 'x-latchkey-session': id } }))).status).toBe(200);
    // An owned caller never gets an unowned session either.
    await expectError(
      await app(as('a', { headers: { 'x-latchkey-session': id } })),
      404,
      'SESSION_NOT_FOUND',
    );
    expect(
      (await app(as('anonymous', { method: 'DELETE' }, `http://127.0.0.1/v1/sessions/${id}`))).status,
    ).toBe(204);
  });
});
