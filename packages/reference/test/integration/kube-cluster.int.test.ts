import { randomBytes } from 'node:crypto';
import { startCluster, type TestCluster } from '@latchkey/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  type InProcessRouter,
  type KubeRouterFixture,
  startInProcessRouter,
  startKubeRouterFixture,
} from '../kube-fixture.js';
import { bearer, expectError } from '../support.js';

const SESSION = 'x-latchkey-session';
const PATH = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami';

describe('two routers with Kubernetes caller identity on one Redis Cluster', () => {
  let fixture: KubeRouterFixture;
  let cluster: TestCluster;
  let client: Cluster | undefined;
  let routers: InProcessRouter[] = [];

  beforeAll(async () => {
    [fixture, cluster] = await Promise.all([
      startKubeRouterFixture(),
      startCluster({ flavor: 'redis', masters: 3, replicasPerMaster: 0 }),
    ]);
    client = new Cluster(cluster.startupNodes.map(({ host, port }) => ({ host, port })));
    const env = {
      ...fixture.env(),
      REDIS_CLUSTER_NODES: cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(','),
      // One deployment: the routers decrypt each other's session keys.
      LATCHKEY_KEYRING: JSON.stringify({ current: 'k1', keys: { k1: randomBytes(32).toString('base64') } }),
    };
    routers = await Promise.all([
      startInProcessRouter(env, silentLogger),
      startInProcessRouter(env, silentLogger),
    ]);
  });

  afterAll(async () => {
    await Promise.all(routers.map((router) => router.close()));
    await client?.quit().catch(() => client?.disconnect());
    await cluster?.stop();
    await fixture?.kube.close();
  });

  it("keeps a session created by caller A through router 1 invisible to caller B through router 2, and A's through both", async () => {
    const [one, two] = routers;
    if (one === undefined || two === undefined) throw new Error('routers missing');
    const alice = fixture.token('alice');
    const bob = fixture.token('bob');
    const created = await fetch(one.url + PATH, { headers: bearer(alice) });
    expect(created.status).toBe(200);
    const id = created.headers.get(SESSION) ?? '';
    expect(await created.json()).toEqual({ sessionId: id });

    // The owner is in the shared record, so every router enforces it.
    const stored = JSON.parse((await client?.get(`latchkey:{${id}}:rec`)) ?? 'null') as { owner?: string };
    expect(stored.owner).toBe(fixture.accounts.alice.uid);

    const use = (router: InProcessRouter, callerToken: string): Promise<Response> =>
      fetch(router.url + PATH, { headers: { ...bearer(callerToken), [SESSION]: id } });
    await expectError(await use(two, bob), 404, 'SESSION_NOT_FOUND');
    await expectError(
      await fetch(`${two.url}/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(bob) }),
      404,
      'SESSION_NOT_FOUND',
    );
    await expectError(await use(one, bob), 404, 'SESSION_NOT_FOUND');

    const served = await use(two, fixture.token('alice'));
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ sessionId: id });

    expect(
      (await fetch(`${two.url}/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(alice) })).status,
    ).toBe(204);
    await expectError(await use(one, alice), 404, 'SESSION_NOT_FOUND');
  });
});
