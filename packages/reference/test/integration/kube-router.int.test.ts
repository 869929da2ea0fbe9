import { renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  type InProcessRouter,
  type KubeRouterFixture,
  recordingLogger,
  startInProcessRouter,
  startKubeRouterFixture,
} from '../kube-fixture.js';
import { bearer, expectError, sleep, spawnServer } from '../support.js';

const SESSION = 'x-latchkey-session';
const invokePath = (namespace: string, path = 'whoami'): string =>
  `/v1/namespaces/${namespace}/AgentRuntime/agent-1/invoke/${path}`;
/** Short TTLs and deadline so the time-bound rows run in well under a second each. */
const TUNING = { positiveTtlMs: 600, negativeTtlMs: 200, allowTtlMs: 600, denyTtlMs: 200, timeoutMs: 800 };

describe('createRouterApp with Kubernetes caller identity (LATCHKEY_KUBE_APISERVER set)', () => {
  let fixture: KubeRouterFixture;
  let router: InProcessRouter;
  const log = recordingLogger();
  const tokensSeen: string[] = [];

  /** A fresh token, remembered so the logs can be searched for it at the end. */
  const token = (...args: Parameters<KubeRouterFixture['token']>): string => {
    const value = fixture.token(...args);
    tokensSeen.push(value);
    return value;
  };
  const create = async (callerToken: string, namespace = 'team-a'): Promise<string> => {
    const response = await fetch(router.url + invokePath(namespace), { headers: bearer(callerToken) });
    expect(response.status).toBe(200);
    const id = response.headers.get(SESSION) ?? '';
    expect(await response.json()).toEqual({ sessionId: id });
    return id;
  };
  const use = (callerToken: string, id: string, namespace = 'team-a'): Promise<Response> =>
    fetch(router.url + invokePath(namespace), { headers: { ...bearer(callerToken), [SESSION]: id } });
  const remove = (callerToken: string, id: string): Promise<Response> =>
    fetch(`${router.url}/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(callerToken) });

  beforeAll(async () => {
    fixture = await startKubeRouterFixture();
    router = await startInProcessRouter(
      { ...fixture.env(), LATCHKEY_MAX_SESSIONS_PER_CLIENT: '2' },
      log,
      TUNING,
    );
  });

  afterAll(async () => {
    await router?.close();
    await fixture?.kube.close();
  });

  it('answers /healthz without a token', async () => {
    expect((await fetch(`${router.url}/healthz`)).status).toBe(200);
  });

  describe('401 UNAUTHENTICATED, before anything else runs', () => {
    const cases: [string, () => Record<string, string>][] = [
      ['no Authorization header', () => ({})],
      ['another scheme', () => ({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
      ['a bearer that is not a JWT', () => bearer('not-a-token')],
      [
        'a token whose signature the API server refuses (not authenticated)',
        () => {
          const value = token('alice');
          const at = value.length - 10;
          return bearer(`${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`);
        },
      ],
      ['a token for another audience', () => bearer(token('alice', { audiences: ['someone-else'] }))],
      ['a token for the API server only', () => bearer(token('alice', { audiences: [fixture.kube.issuer] }))],
    ];
    it.each(cases)('for %s, on create, invoke, DELETE and unknown /v1 paths', async (_, headers) => {
      fixture.kube.resetCounts();
      const sent = headers();
      for (const [method, path, extra] of [
        ['GET', invokePath('team-a'), {}],
        ['POST', invokePath('team-a', 'echo'), { 'content-type': 'application/json' }],
        ['GET', invokePath('team-a'), { [SESSION]: 'some-session-id' }],
        ['DELETE', '/v1/sessions/some-session-id', {}],
        ['GET', '/v1/nothing-here', {}],
      ] as const) {
        const response = await fetch(router.url + path, {
          method,
          headers: { ...sent, ...extra },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        expect(response.headers.get(SESSION)).toBeNull();
        await expectError(response, 401, 'UNAUTHENTICATED');
      }
      expect(fixture.kube.counts().subjectAccessReviews).toBe(0);
    });
  });

  it('answers 403 FORBIDDEN to a user that is not a service account', async () => {
    const user = fixture.kube.issueUserToken('jane@example.com', ['system:authenticated'], [AUDIENCE]);
    tokensSeen.push(user);
    const response = await fetch(router.url + invokePath('team-a'), { headers: bearer(user) });
    expect(response.headers.get(SESSION)).toBeNull();
    await expectError(response, 403, 'FORBIDDEN');
  });

  describe('502 UPSTREAM_UNAVAILABLE, never 401 and never a forward, when the API server fails', () => {
    it.each([
      ['429 with Retry-After', { type: 'too-many-requests', retryAfterSeconds: 1 }, 1],
      ['500', { type: 'internal-error' }, 1],
      // Twice: a reset on a kept-alive socket is retried once on a fresh one (reviews are idempotent).
      ['a reset connection, twice', { type: 'reset' }, 2],
      ['a body that is not JSON', { type: 'garbage' }, 1],
      ['an object of the wrong kind', { type: 'wrong-kind' }, 1],
    ] as const)('on %s, and the next review (never cached) succeeds', async (_, fault, count) => {
      const callerToken = token('alice');
      fixture.kube.fault(fault, { count, scope: 'tokenreviews' });
      const refused = await fetch(router.url + invokePath('team-a'), { headers: bearer(callerToken) });
      expect(refused.headers.get(SESSION)).toBeNull();
      await expectError(refused, 502, 'UPSTREAM_UNAVAILABLE');
      fixture.kube.clearFaults();
      const id = await create(callerToken);
      expect((await remove(callerToken, id)).status).toBe(204);
    });

    it('when the API server is slower than the deadline: 502 within it', async () => {
      fixture.kube.fault({ type: 'latency', ms: 3_000 }, { count: 1, scope: 'tokenreviews' });
      const started = Date.now();
      const refused = await fetch(router.url + invokePath('team-a'), { headers: bearer(token('alice')) });
      const elapsedMs = Date.now() - started;
      fixture.kube.clearFaults();
      await expectError(refused, 502, 'UPSTREAM_UNAVAILABLE');
      expect(elapsedMs).toBeGreaterThanOrEqual(TUNING.timeoutMs - 50);
      expect(elapsedMs).toBeLessThan(TUNING.timeoutMs + 700);
    });

    it('when the API server is stopped: 502 within the deadline, then recovery once it is back', async () => {
      const cached = token('alice');
      const id = await create(cached);
      await fixture.kube.stop();
      try {
        const started = Date.now();
        const refused = await fetch(router.url + invokePath('team-a'), { headers: bearer(token('alice')) });
        expect(Date.now() - started).toBeLessThan(TUNING.timeoutMs + 700);
        await expectError(refused, 502, 'UPSTREAM_UNAVAILABLE');
      } finally {
        await fixture.kube.start();
      }
      const fresh = token('alice');
      const served = await use(fresh, id);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ sessionId: id });
      expect((await remove(fresh, id)).status).toBe(204);
    });

    it('when the API server refuses the router its own credential, logs reviewer-credential-refused, and takes a new token file within 5 s', async () => {
      // A router whose projected token belongs to a service account with no reviewer RBAC.
      fixture.kube.createServiceAccount('latchkey', 'unprivileged');
      const file = join(fixture.kube.dir, 'unprivileged-token');
      writeFileSync(file, fixture.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'unprivileged' }));
      const ownLog = recordingLogger();
      const misconfigured = await startInProcessRouter(fixture.env(file), ownLog, TUNING);
      try {
        const response = await fetch(misconfigured.url + invokePath('team-a'), {
          headers: bearer(token('alice')),
        });
        expect(response.headers.get(SESSION)).toBeNull();
        await expectError(response, 502, 'UPSTREAM_UNAVAILABLE');
        const loud = ownLog.lines
          .map((line) => JSON.parse(line) as { level: string; event: string })
          .filter((line) => line.event === 'reviewer-credential-refused');
        expect(loud).toEqual([expect.objectContaining({ level: 'error' })]);

        // The operator fixes it: a token with reviewer RBAC written into the file is used within 5 s,
        // then one swapped in by symlink as the kubelet does (here back to the unprivileged one).
        const status = async (): Promise<number> => {
          const answer = await fetch(misconfigured.url + invokePath('team-a'), {
            headers: bearer(token('alice')),
          });
          await answer.arrayBuffer();
          return answer.status;
        };
        const until = async (wanted: number): Promise<number> => {
          const since = Date.now();
          while ((await status()) !== wanted) {
            if (Date.now() - since > 5_000) throw new Error(`no ${wanted} within 5 s`);
            await sleep(100);
          }
          return Date.now() - since;
        };
        writeFileSync(file, fixture.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' }));
        expect(await until(200)).toBeLessThanOrEqual(5_000);
        const swapped = join(fixture.kube.dir, 'swapped-token');
        writeFileSync(
          swapped,
          fixture.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'unprivileged' }),
        );
        const link = join(fixture.kube.dir, 'link.tmp');
        symlinkSync(swapped, link);
        renameSync(link, file);
        expect(await until(502)).toBeLessThanOrEqual(5_000);
      } finally {
        await misconfigured.close();
      }
    });
  });

  describe('SubjectAccessReview before a session is created', () => {
    it('refuses with 403 FORBIDDEN a caller that may not create sandboxes in the target namespace', async () => {
      fixture.kube.resetCounts();
      const response = await fetch(router.url + invokePath('team-b'), { headers: bearer(token('alice')) });
      expect(response.headers.get(SESSION)).toBeNull();
      await expectError(response, 403, 'FORBIDDEN');
      expect(fixture.kube.counts().subjectAccessReviews).toBe(1);
    });

    it('asks for create sandboxes.agents.x-k8s.io with the target name in its namespace, as the caller', async () => {
      const id = await create(token('bob'), 'team-b');
      const review = fixture.kube
        .recorded()
        .filter((request) => request.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews')
        .at(-1)?.body as { spec: Record<string, unknown> };
      expect(review.spec).toMatchObject({
        user: 'system:serviceaccount:team-b:bob',
        uid: fixture.accounts.bob.uid,
        resourceAttributes: {
          verb: 'create',
          group: 'agents.x-k8s.io',
          resource: 'sandboxes',
          namespace: 'team-b',
          name: 'agent-1',
        },
      });
      expect((await remove(token('bob'), id)).status).toBe(204);
    });

    it('answers 502 when the access review fails, and creates nothing', async () => {
      fixture.kube.fault({ type: 'internal-error' }, { count: 1, scope: 'subjectaccessreviews' });
      const response = await fetch(router.url + invokePath('team-a'), { headers: bearer(token('carol')) });
      fixture.kube.clearFaults();
      expect(response.headers.get(SESSION)).toBeNull();
      await expectError(response, 502, 'UPSTREAM_UNAVAILABLE');
    });

    it('does not ask again to use a session it created', async () => {
      const aliceToken = token('alice');
      const id = await create(aliceToken);
      fixture.kube.resetCounts();
      expect((await use(aliceToken, id)).status).toBe(200);
      expect(fixture.kube.counts().subjectAccessReviews).toBe(0);
      expect((await remove(aliceToken, id)).status).toBe(204);
    });
  });

  describe('a session belongs to the UID that created it', () => {
    it("answers 404 SESSION_NOT_FOUND to any other caller's invoke or DELETE, and keeps serving the owner", async () => {
      const aliceToken = token('alice');
      const bobToken = token('bob');
      const id = await create(aliceToken);
      await expectError(await use(bobToken, id), 404, 'SESSION_NOT_FOUND');
      // Not 409 for another target either: nothing about another caller's session is told.
      await expectError(await use(bobToken, id, 'team-b'), 404, 'SESSION_NOT_FOUND');
      await expectError(await remove(bobToken, id), 404, 'SESSION_NOT_FOUND');
      // Another token of the same service account is the same owner.
      const served = await use(token('alice'), id);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ sessionId: id });
      expect(served.headers.get(SESSION)).toBe(id);
      expect((await remove(aliceToken, id)).status).toBe(204);
      await expectError(await use(aliceToken, id), 404, 'SESSION_NOT_FOUND');
    });

    it('forwards with a session token of its own, never the caller’s token (the sandbox accepts only session tokens)', async () => {
      const aliceToken = token('alice');
      const id = await create(aliceToken);
      const echoed = await fetch(router.url + invokePath('team-a', 'echo'), {
        method: 'POST',
        headers: { ...bearer(aliceToken), [SESSION]: id, 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'sandbox' }),
      });
      expect(echoed.status).toBe(200);
      expect(await echoed.json()).toEqual({ hello: 'sandbox' });
      expect((await remove(aliceToken, id)).status).toBe(204);
    });
  });

  it('caps live sessions per service-account UID, not per remote address; a DELETE frees the slot', async () => {
    const carolToken = token('carol');
    const first = await create(carolToken);
    const second = await create(carolToken);
    await expectError(
      await fetch(router.url + invokePath('team-a'), { headers: bearer(token('carol')) }),
      429,
      'TOO_MANY_SESSIONS',
    );
    // Alice comes from the same loopback address and still gets hers.
    const alices = await create(token('alice'));
    expect((await remove(carolToken, first)).status).toBe(204);
    const third = await create(carolToken);
    for (const id of [second, third]) expect((await remove(carolToken, id)).status).toBe(204);
    expect((await remove(token('alice'), alices)).status).toBe(204);
  });

  it('reviews 100 concurrent requests with one token exactly once', async () => {
    // Default TTLs: on a loaded machine the 100 may take longer than the short TTL above.
    const defaults = await startInProcessRouter(fixture.env(), log);
    try {
      const created = await fetch(defaults.url + invokePath('team-a'), { headers: bearer(token('alice')) });
      const id = created.headers.get(SESSION) ?? '';
      expect(await created.json()).toEqual({ sessionId: id });
      const shared = token('alice');
      fixture.kube.resetCounts();
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          fetch(defaults.url + invokePath('team-a'), { headers: { ...bearer(shared), [SESSION]: id } }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
      await Promise.all(answers.map((answer) => answer.arrayBuffer()));
      expect(fixture.kube.counts().tokenReviews).toBe(1);
    } finally {
      await defaults.close();
    }
  });

  it('refuses a token whose pod was deleted within the positive TTL', async () => {
    fixture.kube.createPod('team-a', 'alice-pod', 'alice');
    const podToken = token('alice', { pod: 'alice-pod' });
    const id = await create(podToken);
    expect((await use(podToken, id)).status).toBe(200);
    fixture.kube.deletePod('team-a', 'alice-pod');
    const deletedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - deletedAt < TUNING.positiveTtlMs + 2_000) {
      const response = await use(podToken, id);
      status = response.status;
      await response.arrayBuffer();
      if (status === 200) await sleep(25);
    }
    expect(status).toBe(401);
    expect(Date.now() - deletedAt).toBeLessThanOrEqual(TUNING.positiveTtlMs + 500);
    expect((await remove(token('alice'), id)).status).toBe(204);
  });

  it('never logs a caller token', () => {
    const text = log.lines.join('\n');
    expect(tokensSeen.length).toBeGreaterThan(20);
    for (const value of tokensSeen) expect(text).not.toContain(value.split('.')[2]);
  });
});

describe('the router CLI with LATCHKEY_KUBE_* set', () => {
  let fixture: KubeRouterFixture;

  beforeAll(async () => {
    fixture = await startKubeRouterFixture();
  });
  afterAll(async () => {
    await fixture?.kube.close();
  });

  it('reviews callers, keeps sessions to their owner, and exits 0 on SIGTERM', async () => {
    const server = await spawnServer('router', fixture.env());
    try {
      const path = invokePath('team-a');
      await expectError(await fetch(server.url + path), 401, 'UNAUTHENTICATED');
      const alice = fixture.token('alice');
      const created = await fetch(server.url + path, { headers: bearer(alice) });
      expect(created.status).toBe(200);
      const id = created.headers.get(SESSION) ?? '';
      expect(await created.json()).toEqual({ sessionId: id });
      const bob = fixture.token('bob');
      await expectError(
        await fetch(server.url + path, { headers: { ...bearer(bob), [SESSION]: id } }),
        404,
        'SESSION_NOT_FOUND',
      );
      await expectError(
        await fetch(server.url + invokePath('team-a'), { headers: bearer(bob) }),
        403,
        'FORBIDDEN',
      );
      expect(
        (await fetch(`${server.url}/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(alice) })).status,
      ).toBe(204);
      const stderr = server.stderr();
      for (const value of [alice, bob]) expect(stderr).not.toContain(value.split('.')[2]);
    } finally {
      const { code, ms } = await server.terminate();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5_000);
    }
  });

  it('refuses to start without the rest of the Kubernetes configuration', async () => {
    const { LATCHKEY_KUBE_AUDIENCES: _, ...partial } = fixture.env();
    await expect(spawnServer('router', partial)).rejects.toThrow(/LATCHKEY_KUBE_AUDIENCES/);
  });
});
