/**
 * The reference router with Kubernetes caller identity beside the same router without it, in the same
 * run: a forward of a small invocation on an existing session (memory store), where the kube router
 * also reviews the caller's service-account token — on a warm cache, so the figure is the cost of the
 * identity step itself (bearer parse, keyed hash, cache hit, owner check), not of the API server.
 * The API server is testkit's TLS test server on loopback.
 */

import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { buildRouter, listen, readRouterConfig, silentLogger } from '@latchkey/reference';
import { startKubeApiServer } from '@latchkey/testkit';
import { type Benchmark, compareThroughput, plain, versus } from '../harness.js';

const IN_FLIGHT = 16;
const PATH = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami';
let sink = 0;

/** One GET over `agent`, resolving once the body is read; anything but 200 fails the run. */
function get(agent: Agent, url: URL, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        sink += chunk.length;
      });
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function started(env: Record<string, string>) {
  const built = await buildRouter(readRouterConfig(env), silentLogger, { sweepIntervalMs: 0 });
  const listening = await listen(built.app, { port: 0, log: silentLogger });
  return {
    url: listening.url,
    async close() {
      built.stop();
      await listening.close(100);
      await built.close();
    },
  };
}

/** A session on `router`, created by the caller `headers` identify. */
async function session(url: string, headers: Record<string, string>): Promise<string> {
  const created = await fetch(url + PATH, { headers });
  const id = created.headers.get('x-latchkey-session') ?? '';
  await created.arrayBuffer();
  if (created.status !== 200 || id === '') throw new Error(`session creation failed: ${created.status}`);
  return id;
}

const benchmarks: Benchmark[] = [
  {
    name: 'router forward with Kubernetes caller identity (warm cache)',
    async run(context) {
      const kube = await startKubeApiServer();
      kube.createServiceAccount('latchkey', 'router');
      kube.grantReviewer('latchkey', 'router');
      kube.createServiceAccount('team-a', 'runner');
      kube.allow({
        user: 'system:serviceaccount:team-a:runner',
        verbs: ['create'],
        apiGroups: ['agents.x-k8s.io'],
        resources: ['sandboxes'],
        namespace: 'team-a',
      });
      const tokenFile = join(kube.dir, 'router-token');
      writeFileSync(tokenFile, kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' }));
      const caller = {
        authorization: `Bearer ${kube.issueToken({ namespace: 'team-a', serviceAccount: 'runner', audiences: ['latchkey'] })}`,
      };
      const routers: { url: string; close(): Promise<void> }[] = [];
      const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
      try {
        const plainRouter = await started({});
        routers.push(plainRouter);
        // An A/A control: a second router without identity shows how far two equal cases drift apart here.
        const controlRouter = await started({});
        routers.push(controlRouter);
        const kubeRouter = await started({
          LATCHKEY_KUBE_APISERVER: kube.url,
          LATCHKEY_KUBE_CA_FILE: kube.caFile,
          LATCHKEY_KUBE_TOKEN_FILE: tokenFile,
          LATCHKEY_KUBE_AUDIENCES: 'latchkey',
        });
        routers.push(kubeRouter);
        const plainId = await session(plainRouter.url, caller);
        const controlId = await session(controlRouter.url, caller);
        const controlUrl = new URL(controlRouter.url + PATH);
        const kubeId = await session(kubeRouter.url, caller);
        const plainUrl = new URL(plainRouter.url + PATH);
        const kubeUrl = new URL(kubeRouter.url + PATH);
        // The same request bytes to both: the router without identity ignores the Authorization header.
        const rates = await compareThroughput(
          {
            plain: () => get(agent, plainUrl, { ...caller, 'x-latchkey-session': plainId }),
            control: () => get(agent, controlUrl, { ...caller, 'x-latchkey-session': controlId }),
            kube: () => get(agent, kubeUrl, { ...caller, 'x-latchkey-session': kubeId }),
          },
          context,
          { inFlight: IN_FLIGHT },
        );
        if (sink === 0) throw new Error('benchmark produced no results');
        const reviews = kube.counts().tokenReviews;
        const baseline = { name: 'router forward, no caller identity (memory)', value: rates.plain };
        return [
          plain(baseline.name, rates.plain, 'req/s'),
          versus(
            'router forward, Kubernetes caller identity, warm cache (memory)',
            rates.kube,
            'req/s',
            baseline,
            {
              target: '>= 0.90',
            },
          ),
          versus('A/A control: a second router without caller identity', rates.control, 'req/s', baseline),
          plain('TokenReviews sent during the run (one per 10 s positive TTL)', reviews, 'reviews'),
        ];
      } finally {
        agent.destroy();
        for (const router of routers) await router.close();
        await kube.close();
      }
    },
  },
];

export default benchmarks;
