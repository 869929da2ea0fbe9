import {
  type StartClusterOptions,
  startCluster,
  startServer,
  type TestCluster,
  type TestServer,
} from '@latchkey/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, drain, expectError, readUntil, type ServerProcess, sleep, spawnAll } from '../support.js';

type Backend = 'memory' | 'redis' | 'valkey' | 'redis-cluster';

/** The `security` events among a server's JSON log lines. */
function securityEvents(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.event === 'security');
}

async function login(console_: ServerProcess, user: string, role: string): Promise<string> {
  const response = await fetch(`${console_.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

describe.each<Backend>(['memory', 'redis', 'valkey', 'redis-cluster'])(
  'router and console on the %s store',
  (backend) => {
    let server: TestServer | undefined;
    let cluster: TestCluster | undefined;
    let env: Record<string, string> = {};
    let router: ServerProcess;
    let console_: ServerProcess;
    const invoke = (target = 'team-a/AgentRuntime/agent-1', path = 'whoami'): string =>
      `${router.url}/v1/namespaces/${target}/invoke/${path}`;

    beforeAll(async () => {
      if (backend === 'redis' || backend === 'valkey') {
        server = await startServer({ flavor: backend });
        env = backend === 'redis' ? { REDIS_URL: server.url } : { VALKEY_URL: server.url };
      } else if (backend === 'redis-cluster') {
        const options: StartClusterOptions = { flavor: 'redis', masters: 3, replicasPerMaster: 0 };
        cluster = await startCluster(options);
        env = {
          REDIS_CLUSTER_NODES: cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(','),
        };
      }
      const started = await spawnAll([
        ['router', env],
        ['console', env],
      ]);
      [router, console_] = started as [ServerProcess, ServerProcess];
    });

    afterAll(async () => {
      await Promise.all([router?.terminate(), console_?.terminate()]);
      await server?.stop();
      await cluster?.stop();
    });

    it('creates, reuses, refuses and deletes sessions', async () => {
      const created = await fetch(invoke(undefined, 'echo'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: backend }),
      });
      expect(created.status).toBe(200);
      expect(await created.json()).toEqual({ hello: backend });
      const id = created.headers.get('x-latchkey-session') ?? '';
      expect(id).not.toBe('');

      const again = await fetch(invoke(), { headers: { 'x-latchkey-session': id } });
      expect(await again.json()).toEqual({ sessionId: id });
      await expectError(
        await fetch(invoke('team-b/AgentRuntime/agent-1'), { headers: { 'x-latchkey-session': id } }),
        409,
        'SESSION_TARGET_MISMATCH',
      );
      await expectError(
        await fetch(invoke(), { headers: { 'x-latchkey-session': 'unknown-session' } }),
        404,
        'SESSION_NOT_FOUND',
      );
      await expectError(await fetch(invoke('team_a/AgentRuntime/agent-1')), 400, 'INVALID_TARGET');

      const security = securityEvents(router.stderr());
      expect(security).toContainEqual(
        expect.objectContaining({
          type: 'session-target-mismatch',
          session: expect.stringMatching(/^[0-9a-f]{16}$/),
        }),
      );

      expect((await fetch(`${router.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
      await expectError(
        await fetch(invoke(), { headers: { 'x-latchkey-session': id } }),
        404,
        'SESSION_NOT_FOUND',
      );
      await expectError(
        await fetch(`${router.url}/v1/sessions/${id}`, { method: 'DELETE' }),
        404,
        'SESSION_NOT_FOUND',
      );
      // Issue 10, finding 6: the whole lifecycle is in the log, the id never is (its fingerprint is).
      const lines = router.stderr();
      for (const event of ['session-created', 'initialized', 'session-deleted']) {
        expect(lines).toMatch(new RegExp(`"event":"${event}"[^\\n]*"session":"[0-9a-f]{16}"`));
      }
      expect(lines).not.toContain(id);
    });

    it("ends a user's streams within a second of logout while another user's stream continues", async () => {
      const alice = await login(console_, 'alice', 'editor');
      const bob = await login(console_, 'bob', 'viewer');
      const events = await fetch(`${console_.url}/api/events`, { headers: bearer(alice) });
      const exec = await fetch(`${console_.url}/api/exec?token=${alice}`);
      const bobs = await fetch(`${console_.url}/api/events`, { headers: { cookie: `latchkey_auth=${bob}` } });
      expect([events.status, exec.status, bobs.status]).toEqual([200, 200, 200]);
      const bobReader = bobs.body?.getReader();
      if (bobReader === undefined) throw new Error('no body');
      await readUntil(bobReader, (text) => text.includes('event: ready'));

      const ended = Promise.all([drain(events), drain(exec)]);
      const at = Date.now();
      const logout = await fetch(`${console_.url}/auth/logout`, { method: 'POST', headers: bearer(alice) });
      expect(await logout.json()).toEqual({ cancelled: 2 });
      const [eventsEnd, execEnd] = await ended;
      expect(Math.max(eventsEnd.endedAt, execEnd.endedAt) - at).toBeLessThan(1_000);

      const more = await readUntil(
        bobReader,
        (text) => (text.match(/event: heartbeat/g) ?? []).length >= 2,
        3_000,
      );
      expect(more).toContain('event: heartbeat');
      await bobReader.cancel();

      await expectError(
        await fetch(`${console_.url}/api/events`, { headers: bearer(alice) }),
        401,
        'UNAUTHENTICATED',
      );
      const forbidden = await fetch(`${console_.url}/api/gitops/helm/rollback`, {
        method: 'POST',
        headers: { ...bearer(bob), 'content-type': 'application/json' },
        body: JSON.stringify({ release: 'web', namespace: 'team-a', revision: 2 }),
      });
      await expectError(forbidden, 403, 'FORBIDDEN');
      await sleep(50);
      const security = securityEvents(console_.stderr());
      expect(security).toContainEqual(
        expect.objectContaining({ type: 'forbidden', user: 'bob', role: 'viewer' }),
      );
      expect(security).toContainEqual(
        expect.objectContaining({ type: 'revoked-token', path: '/api/events' }),
      );
      // No line carries a token.
      expect(console_.stderr()).not.toContain(alice);
      expect(console_.stderr()).not.toContain(bob);
    });

    // The store matters here on Redis and the cluster (the registry's bus); memory is console.int's.
    if (backend === 'redis' || backend === 'redis-cluster') {
      it('gives back the slot of every stream its client closed (finding 1): 40 open-and-close cycles, then one more, logout counts only it', async () => {
        const token = await login(console_, 'frank', 'editor');
        for (let i = 0; i < 40; i++) {
          const controller = new AbortController();
          const response = await fetch(`${console_.url}${i % 2 === 0 ? '/api/events' : '/api/exec'}`, {
            headers: bearer(token),
            signal: controller.signal,
          });
          expect(response.status).toBe(200);
          const reader = response.body?.getReader();
          await reader?.read();
          controller.abort();
          await reader?.cancel().catch(() => undefined);
        }
        await sleep(1_000);
        const last = await fetch(`${console_.url}/api/events`, { headers: bearer(token) });
        expect(last.status).toBe(200);
        const ended = drain(last);
        const logout = await fetch(`${console_.url}/auth/logout`, { method: 'POST', headers: bearer(token) });
        expect(await logout.json()).toEqual({ cancelled: 1 });
        expect((await ended).text).toContain('event: end');
      });
    }

    if (backend === 'memory') {
      it('sends an SSE event and an exec chunk at least every second', async () => {
        const token = await login(console_, 'erin', 'editor');
        for (const path of ['/api/events', '/api/exec']) {
          const response = await fetch(`${console_.url}${path}`, { headers: bearer(token) });
          const reader = response.body?.getReader();
          if (reader === undefined) throw new Error('no body');
          const arrivals: number[] = [];
          const until = Date.now() + 1_600;
          while (Date.now() < until) {
            const { done } = await reader.read();
            if (done) break;
            arrivals.push(Date.now());
          }
          await reader.cancel();
          expect(arrivals.length).toBeGreaterThanOrEqual(3);
          const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] ?? at));
          expect(Math.max(...gaps)).toBeLessThan(1_000);
        }
      });
    }

    if (backend === 'redis' || backend === 'valkey') {
      it('answers 503 STORE_UNAVAILABLE while the store is down, then recovers', async () => {
        const created = await fetch(invoke());
        const id = created.headers.get('x-latchkey-session') ?? '';
        expect(created.status).toBe(200);
        const token = await login(console_, 'carol', 'editor');
        await server?.kill();
        try {
          await expectError(
            await fetch(invoke(), { headers: { 'x-latchkey-session': id } }),
            503,
            'STORE_UNAVAILABLE',
          );
          await expectError(await fetch(invoke()), 503, 'STORE_UNAVAILABLE');
          // A stale revocation view is a 503, never a 200, and is answered within 5 s (DESIGN "Revocation").
          const askedAt = Date.now();
          await expectError(
            await fetch(`${console_.url}/api/events`, { headers: bearer(token) }),
            503,
            'STORE_UNAVAILABLE',
          );
          expect(Date.now() - askedAt).toBeLessThan(5_000);
        } finally {
          await server?.restart();
        }
        // The clients reconnect on their own; the servers need no restart.
        let status = 0;
        for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
          const response = await fetch(invoke());
          status = response.status;
          await response.arrayBuffer();
          if (status !== 200) await sleep(250);
        }
        expect(status).toBe(200);
        const drift = await fetch(`${console_.url}/api/gitops/detect-drift`, {
          method: 'POST',
          headers: { ...bearer(token), 'content-type': 'application/json' },
          body: JSON.stringify({ repo: 'infra', path: 'apps' }),
        });
        expect(drift.status).toBe(202);
      });
    }

    it('closes cleanly on SIGTERM with a stream open: exit 0 within 5 s, the stream ended', async () => {
      const token = await login(console_, 'dave', 'editor');
      const exec = await fetch(`${console_.url}/api/exec`, { headers: bearer(token) });
      const ended = drain(exec);
      const [consoleExit, routerExit] = await Promise.all([console_.terminate(), router.terminate()]);
      expect(consoleExit.code).toBe(0);
      expect(consoleExit.ms).toBeLessThan(5_000);
      expect(routerExit.code).toBe(0);
      expect(routerExit.ms).toBeLessThan(5_000);
      expect((await ended).text).toContain('$ exit');
    });
  },
);
