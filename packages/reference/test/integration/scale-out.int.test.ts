import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startCluster, type TestCluster } from '@latchkey/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readRouterConfig } from '../../src/config.js';
import { sessionFingerprint } from '../../src/fingerprint.js';
import { listen } from '../../src/listen.js';
import { type LogFields, type Logger, silentLogger } from '../../src/log.js';
import { buildRouter } from '../../src/router/server.js';
import { bearer, drain, expectError, reachable, type ServerProcess, spawnAll } from '../support.js';

const INVOKE = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami';

describe.each(['redis', 'valkey'] as const)('two routers and two consoles on one %s cluster', (flavor) => {
  let cluster: TestCluster;
  let routers: ServerProcess[] = [];
  let consoles: ServerProcess[] = [];
  let env: Record<string, string> = {};
  let client: Cluster | undefined;

  /** The endpoint of a session's sandbox, read from its record in the shared store. */
  const endpointOf = async (sessionId: string): Promise<string> => {
    const stored = await client?.get(`latchkey:{${sessionId}}:rec`);
    const record = JSON.parse(stored ?? 'null') as { endpoint?: unknown } | null;
    if (typeof record?.endpoint !== 'string') throw new Error('no record');
    return record.endpoint;
  };

  beforeAll(async () => {
    cluster = await startCluster({ flavor, masters: 3, replicasPerMaster: 0 });
    client = new Cluster(cluster.startupNodes.map(({ host, port }) => ({ host, port })));
    // Instances of one deployment share their keys: the keyring (to decrypt each other's session keys)
    // and the console key (to verify each other's tokens).
    env = {
      REDIS_CLUSTER_NODES: cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(','),
      LATCHKEY_KEYRING: JSON.stringify({ current: 'k1', keys: { k1: randomBytes(32).toString('base64') } }),
      LATCHKEY_CONSOLE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    const started = await spawnAll([
      ['router', env],
      ['router', env],
      ['console', env],
      ['console', env],
    ]);
    routers = started.slice(0, 2);
    consoles = started.slice(2);
  });

  afterAll(async () => {
    await Promise.all([...routers, ...consoles].map((server) => server.terminate()));
    await client?.quit().catch(() => client?.disconnect());
    await cluster?.stop();
  });

  it('uses and deletes through one router a session created through the other', async () => {
    const [a, b] = routers;
    if (a === undefined || b === undefined) throw new Error('routers missing');
    const path = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami';
    const created = await fetch(a.url + path);
    const id = created.headers.get('x-latchkey-session') ?? '';
    expect(await created.json()).toEqual({ sessionId: id });
    const sandbox = await endpointOf(id);
    const viaB = await fetch(b.url + path, { headers: { 'x-latchkey-session': id } });
    expect(viaB.status).toBe(200);
    expect(await viaB.json()).toEqual({ sessionId: id });
    await expectError(
      await fetch(`${b.url}/v1/namespaces/team-b/AgentRuntime/agent-1/invoke/whoami`, {
        headers: { 'x-latchkey-session': id },
      }),
      409,
      'SESSION_TARGET_MISMATCH',
    );
    expect((await fetch(`${b.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expectError(
      await fetch(a.url + path, { headers: { 'x-latchkey-session': id } }),
      404,
      'SESSION_NOT_FOUND',
    );
    // That 404 also stopped the sandbox router A ran for the session.
    expect(await reachable(sandbox)).toBe(false);
  });

  it('stops, within a bounded time, the sandbox a router runs for a session deleted through another router', async () => {
    const b = routers[1];
    if (b === undefined) throw new Error('router missing');
    const swept: LogFields[] = [];
    const log: Logger = {
      info: (event, fields = {}) => {
        if (event === 'session-swept') swept.push(fields);
      },
      warn: () => undefined,
      error: () => undefined,
    };
    // In-process, for a short sweep interval (the environment does not configure one).
    const built = await buildRouter(readRouterConfig(env), log, { sweepIntervalMs: 100 });
    const a = await listen(built.app, { port: 0, log });
    try {
      const created = await fetch(`${a.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`);
      const id = created.headers.get('x-latchkey-session') ?? '';
      expect(await created.json()).toEqual({ sessionId: id });
      const sandbox = await endpointOf(id);
      expect(await reachable(sandbox)).toBe(true);
      expect((await fetch(`${b.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
      await vi.waitFor(async () => expect(await reachable(sandbox)).toBe(false), {
        timeout: 5_000,
        interval: 50,
      });
      expect(swept).toEqual([{ session: sessionFingerprint(id) }]);
    } finally {
      built.stop();
      await a.close();
      await built.close();
    }
  });

  it('answers 502 UPSTREAM_UNAVAILABLE, never a forward, for a session whose sandbox died with its router', async () => {
    const b = routers[1];
    if (b === undefined) throw new Error('router missing');
    const built = await buildRouter(readRouterConfig(env), silentLogger, { sweepIntervalMs: 0 });
    const a = await listen(built.app, { port: 0, log: silentLogger });
    const created = await fetch(`${a.url}${INVOKE}`);
    const id = created.headers.get('x-latchkey-session') ?? '';
    expect(created.status).toBe(200);
    await created.arrayBuffer();
    // Router A dies: its sandboxes go with it; the record stays in the shared store.
    built.stop();
    await a.close(100);
    await built.close();
    await expectError(
      await fetch(b.url + INVOKE, { headers: { 'x-latchkey-session': id } }),
      502,
      'UPSTREAM_UNAVAILABLE',
    );
  });

  it('answers 500 DECRYPT_FAILED, never a forward, for a session whose key another keyring sealed', async () => {
    const a = routers[0];
    if (a === undefined) throw new Error('router missing');
    const created = await fetch(a.url + INVOKE);
    const id = created.headers.get('x-latchkey-session') ?? '';
    expect(created.status).toBe(200);
    await created.arrayBuffer();
    const other = {
      ...env,
      LATCHKEY_KEYRING: JSON.stringify({ current: 'k2', keys: { k2: randomBytes(32).toString('base64') } }),
    };
    const built = await buildRouter(readRouterConfig(other), silentLogger, { sweepIntervalMs: 0 });
    const c = await listen(built.app, { port: 0, log: silentLogger });
    try {
      await expectError(
        await fetch(c.url + INVOKE, { headers: { 'x-latchkey-session': id } }),
        500,
        'DECRYPT_FAILED',
      );
    } finally {
      built.stop();
      await c.close(100);
      await built.close();
    }
  });

  it('logs, on the router that ran it, a session deleted elsewhere only by its fingerprint', async () => {
    const [a, b] = routers;
    if (a === undefined || b === undefined) throw new Error('routers missing');
    const created = await fetch(a.url + INVOKE);
    const id = created.headers.get('x-latchkey-session') ?? '';
    await created.arrayBuffer();
    expect((await fetch(`${b.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expectError(
      await fetch(a.url + INVOKE, { headers: { 'x-latchkey-session': id } }),
      404,
      'SESSION_NOT_FOUND',
    );
    expect(a.stderr()).toMatch(/"event":"session-gone"[^\n]*"session":"[0-9a-f]{16}"/);
    expect(a.stderr() + b.stderr()).not.toContain(id);
  });

  it("ends within a second the user's streams held by the other console, and both refuse the revoked token", async () => {
    const [a, b] = consoles;
    if (a === undefined || b === undefined) throw new Error('consoles missing');
    const login = await fetch(`${a.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', role: 'editor' }),
    });
    const { token } = (await login.json()) as { token: string };
    const events = await fetch(`${b.url}/api/events`, { headers: bearer(token) });
    const exec = await fetch(`${b.url}/api/exec`, { headers: bearer(token) });
    expect([events.status, exec.status]).toEqual([200, 200]);
    const ended = Promise.all([drain(events), drain(exec)]);
    const at = Date.now();
    const logout = await fetch(`${a.url}/auth/logout`, { method: 'POST', headers: bearer(token) });
    expect(logout.status).toBe(200);
    const [eventsEnd, execEnd] = await ended;
    expect(Math.max(eventsEnd.endedAt, execEnd.endedAt) - at).toBeLessThan(1_000);
    for (const console_ of [a, b]) {
      await expectError(
        await fetch(`${console_.url}/api/events`, { headers: bearer(token) }),
        401,
        'UNAUTHENTICATED',
      );
    }
  });
});
