/**
 * The reference servers on loopback, each beside the least a server could do in the same run:
 * - the router's forward of a small JSON invocation on an existing session (store lookup, target check,
 *   session-token signing, forward) against a bare `node:http` proxy doing the same forward with a fixed
 *   token and no checks, on the memory store and on a real Redis;
 * - the sandbox's session-token check (verified-token cache on) against the same route served by the
 *   same bridge with no authentication at all.
 * Load comes from a keep-alive `node:http` client in this process; both cases of a figure share it.
 */

import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildRouter,
  createSandboxServer,
  json,
  listen,
  readRouterConfig,
  silentLogger,
} from '@latchkey/reference';
import { startServer } from '@latchkey/testkit';
import { createBootstrapIssuer, createSessionTokenSigner, generateSessionKeyPair } from '@latchkey/tokens';
import {
  type BenchContext,
  type Benchmark,
  compareLatency,
  compareThroughput,
  type Figure,
  plain,
  versus,
} from '../harness.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const IN_FLIGHT = 16;
let sink = 0;

/** One GET over `agent`, resolving once the body is read. */
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

/** A sandbox initialised for `sessionId`, and a session token it accepts. */
async function initialisedSandbox(): Promise<{ url: string; token: string; close: () => Promise<void> }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sandbox = await createSandboxServer({
    bootstrapPublicKey: publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  const pair = await generateSessionKeyPair();
  const bootstrap = await createBootstrapIssuer({ privateKey, issuer: ISSUER, audience: AUDIENCE }).issue({
    sessionId: 'bench',
    sessionPublicKey: pair.publicJwk,
  });
  const init = await fetch(`${sandbox.url}/init`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bootstrap}` },
  });
  if (init.status !== 200) throw new Error(`init failed: ${init.status}`);
  const token = createSessionTokenSigner({
    privateKey: pair.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: 'bench',
    ttlSeconds: 3_600,
  }).signSync();
  return { url: sandbox.url, token, close: sandbox.close };
}

/** The baseline proxy: forwards every request to `upstream` with a fixed token, no checks at all. */
async function bareProxy(
  upstream: string,
  token: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const server = createServer((req, res) => {
    const forward = httpRequest(
      `${upstream}/api/whoami`,
      { method: req.method, agent, headers: { authorization: `Bearer ${token}` } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, {
          'content-type': upstreamRes.headers['content-type'] ?? '',
        });
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function routerForward(context: BenchContext, store: 'memory' | 'redis'): Promise<Figure[]> {
  const redis = store === 'redis' ? await startServer({ flavor: 'redis' }) : undefined;
  const built = await buildRouter(
    readRouterConfig(redis === undefined ? {} : { REDIS_URL: redis.url }),
    silentLogger,
  );
  const router = await listen(built.app, { port: 0, log: silentLogger });
  const sandbox = await initialisedSandbox();
  const proxy = await bareProxy(sandbox.url, sandbox.token);
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const invoke = new URL(`${router.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`);
    const created = await fetch(invoke);
    const sessionId = created.headers.get('x-latchkey-session') ?? '';
    await created.arrayBuffer();
    if (created.status !== 200 || sessionId === '') throw new Error('session creation failed');
    const bare = new URL(`${proxy.url}/invoke/whoami`);
    const rates = await compareThroughput(
      {
        bare: () => get(agent, bare, {}),
        router: () => get(agent, invoke, { 'x-latchkey-session': sessionId }),
      },
      context,
      { inFlight: IN_FLIGHT },
    );
    const baseline = { name: `bare node:http proxy (${store})`, value: rates.bare };
    return [
      plain(baseline.name, rates.bare, 'req/s'),
      versus(`router forward, existing session (${store})`, rates.router, 'req/s', baseline, {
        target: '>= 0.60',
      }),
    ];
  } finally {
    agent.destroy();
    await proxy.close();
    await sandbox.close();
    built.stop();
    await router.close(100);
    await built.close();
    await redis?.stop();
  }
}

const benchmarks: Benchmark[] = [
  { name: 'router forward (memory store)', run: (context) => routerForward(context, 'memory') },
  { name: 'router forward (redis store)', run: (context) => routerForward(context, 'redis') },
  {
    name: 'sandbox session-token check latency',
    async run(context) {
      const sandbox = await initialisedSandbox();
      const open = await listen(async () => json(200, { sessionId: 'bench' }), {
        port: 0,
        log: silentLogger,
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const authed = new URL(`${sandbox.url}/api/whoami`);
        const unauthed = new URL(`${open.url}/api/whoami`);
        const headers = { authorization: `Bearer ${sandbox.token}` };
        const latency = await compareLatency(
          {
            open: () => get(agent, unauthed, headers),
            checked: () => get(agent, authed, headers),
          },
          context,
          { samplesPerRound: Math.max(200, Math.round(context.roundMs * 2)), warmup: 300 },
        );
        if (sink === 0) throw new Error('benchmark produced no results');
        const baseline = { name: 'same route, no auth (p50)', value: latency.open.p50 };
        return [
          plain(baseline.name, latency.open.p50, 'µs', { p99: latency.open.p99 }),
          versus('sandbox /api/whoami with session token (p50)', latency.checked.p50, 'µs', baseline, {
            p99: latency.checked.p99,
            target: '<= 1.15',
          }),
        ];
      } finally {
        agent.destroy();
        await open.close(100);
        await sandbox.close();
      }
    },
  },
];

export default benchmarks;
