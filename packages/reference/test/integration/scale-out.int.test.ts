import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startCluster, type TestCluster } from '@latchkey/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain, type ServerProcess, spawnAll } from '../support.js';

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ code, message: expect.any(String) });
}
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe.each(['redis', 'valkey'] as const)('two routers and two consoles on one %s cluster', (flavor) => {
  let cluster: TestCluster;
  let routers: ServerProcess[] = [];
  let consoles: ServerProcess[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ flavor, masters: 3, replicasPerMaster: 0 });
    // Instances of one deployment share their keys: the keyring (to decrypt each other's session keys)
    // and the console key (to verify each other's tokens).
    const env = {
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
    await cluster?.stop();
  });

  it('uses and deletes through one router a session created through the other', async () => {
    const [a, b] = routers;
    if (a === undefined || b === undefined) throw new Error('routers missing');
    const path = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami';
    const created = await fetch(a.url + path);
    const id = created.headers.get('x-latchkey-session') ?? '';
    expect(await created.json()).toEqual({ sessionId: id });
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
