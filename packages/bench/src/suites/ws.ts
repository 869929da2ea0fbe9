/**
 * `/ws/exec` against a bare `ws` echo server measured in the same run:
 * - echo round trip (one stdin frame out, its stdout frame back, one at a time), p50 and p99;
 * - server-side memory (heap + external, after GC) of 1,000 idle exec sessions (upgraded through the
 *   gate, lease held, heartbeat running, `exec_started` sent) against 1,000 idle bare connections.
 * The memory clients run in a child process, so only the server's side is counted here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createConsoleTokens, createWsExec, silentLogger } from '@latchkey/reference';
import { createRegistry } from '@latchkey/registry';
import { WebSocket, WebSocketServer } from 'ws';
import { type BenchContext, type Benchmark, compareLatency, median, plain, versus } from '../harness.js';

const CONNECTIONS = 1_000;
const INIT = JSON.stringify({ type: 'exec_init', namespace: 'bench', pod: 'web-0', command: ['sh'] });
const STDIN = JSON.stringify({ type: 'stdin', data: 'echo hello world\n' });
const benchDir = fileURLToPath(new URL('../..', import.meta.url));

interface Endpoint {
  readonly url: string;
  readonly headers: Record<string, string>;
  close(): Promise<void>;
}

async function serve(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** The baseline: `ws` on node:http, every message sent straight back. */
async function bareEcho(): Promise<Endpoint> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    }),
  );
  const port = await serve(server);
  return {
    url: `ws://127.0.0.1:${port}/`,
    headers: {},
    close: async () => {
      await stop(server);
      wss.close();
    },
  };
}

/** `/ws/exec` on the console's pieces: tokens, registry, the gate, the simulated shell. */
async function execEndpoint(): Promise<Endpoint> {
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const tokens = createConsoleTokens({ privateKey, publicKey: createPublicKey(privateKey) });
  const registry = createRegistry({ watermarkTtlMs: 3_700_000, maxLeasesPerUser: CONNECTIONS * 2 });
  const wsExec = createWsExec({
    verify: (token) => tokens.verify(token),
    register: (identity) =>
      registry.register(identity.user, { kind: 'ws-exec', issuedAt: identity.issuedAt }),
    log: silentLogger,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', wsExec.handleUpgrade);
  const port = await serve(server);
  const { token } = await tokens.sign('bench', 'editor');
  return {
    url: `ws://127.0.0.1:${port}/ws/exec`,
    headers: { authorization: `Bearer ${token}` },
    close: async () => {
      wsExec.close();
      await stop(server);
      await registry.close();
    },
  };
}

/** One client whose `roundTrip` sends STDIN and resolves on the next message. */
async function echoClient(
  endpoint: Endpoint,
  init: boolean,
): Promise<{ roundTrip: () => Promise<void>; ws: WebSocket }> {
  const ws = new WebSocket(endpoint.url, { headers: endpoint.headers, perMessageDeflate: false });
  await once(ws, 'open');
  let wake: (() => void) | undefined;
  ws.on('message', () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  });
  if (init) {
    const started = new Promise<void>((resolve) => {
      wake = resolve;
    });
    ws.send(INIT);
    await started;
  }
  return {
    ws,
    roundTrip: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
        ws.send(STDIN);
      }),
  };
}

async function echoRoundTrip(context: BenchContext): Promise<ReturnType<typeof plain>[]> {
  const bare = await bareEcho();
  const exec = await execEndpoint();
  const bareClient = await echoClient(bare, false);
  const execClient = await echoClient(exec, true);
  try {
    const latency = await compareLatency(
      { bare: bareClient.roundTrip, exec: execClient.roundTrip },
      context,
      { samplesPerRound: 2_000, warmup: 1_000 },
    );
    const baseline = { name: 'bare ws echo round trip p50', value: latency.bare.p50 };
    return [
      plain(baseline.name, latency.bare.p50, 'µs', { p99: latency.bare.p99 }),
      versus('/ws/exec stdin → stdout round trip p50', latency.exec.p50, 'µs', baseline, {
        p99: latency.exec.p99,
        target: '<= 1.15',
      }),
    ];
  } finally {
    bareClient.ws.terminate();
    execClient.ws.terminate();
    await bare.close();
    await exec.close();
  }
}

/** `gc()` without `--expose-gc` on the command line. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

// The clients: a child process opening `count` idle connections (sending INIT first when asked), then
// printing `ready` and holding them until its stdin closes.
const CLIENTS = `
import { WebSocket } from 'ws';
const [url, headers, count, init] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3]), process.argv[4] === '1'];
const open = () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  ws.once('error', reject);
  ws.once('open', () => { if (init) { ws.once('message', () => resolve(ws)); ws.send(${JSON.stringify(INIT)}); } else resolve(ws); });
});
const all = [];
for (let i = 0; i < count; i += 50) all.push(...await Promise.all(Array.from({ length: Math.min(50, count - i) }, open)));
process.stdout.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

async function startClients(endpoint: Endpoint, init: boolean): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      CLIENTS,
      endpoint.url,
      JSON.stringify(endpoint.headers),
      String(CONNECTIONS),
      init ? '1' : '0',
    ],
    { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
  });
  return child;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Server-side bytes per idle connection: measured with the endpoint already up, clients elsewhere. */
async function serverBytes(gc: () => void, open: () => Promise<Endpoint>, init: boolean): Promise<number> {
  const endpoint = await open();
  await pause(50);
  gc();
  const before = process.memoryUsage();
  const clients = await startClients(endpoint, init);
  // Let the heartbeat tick once, so its per-session state exists.
  await pause(100);
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed + after.external - (before.heapUsed + before.external);
  clients.stdin?.end();
  await once(clients, 'exit');
  await endpoint.close();
  // Close handshakes and grace timers of the dropped connections run out before the next measurement.
  await pause(700);
  return bytes / CONNECTIONS;
}

async function idleMemory(context: BenchContext): Promise<ReturnType<typeof plain>[]> {
  const gc = collector();
  const bare: number[] = [];
  const exec: number[] = [];
  const rounds = Math.min(context.rounds, 3);
  // One discarded run of each first: code compiled, caches and pools filled on both sides alike.
  await serverBytes(gc, bareEcho, false);
  await serverBytes(gc, execEndpoint, true);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'exec'] as const) : (['exec', 'bare'] as const);
    for (const which of order) {
      if (which === 'bare') bare.push(await serverBytes(gc, bareEcho, false));
      else exec.push(await serverBytes(gc, execEndpoint, true));
    }
  }
  const baseline = { name: `bare ws, ${CONNECTIONS} idle connections (server side)`, value: median(bare) };
  return [
    plain(baseline.name, Math.round(baseline.value), 'B/conn'),
    versus(
      `/ws/exec, ${CONNECTIONS} idle sessions (server side)`,
      Math.round(median(exec)),
      'B/conn',
      baseline,
      {
        target: '<= 1.20',
      },
    ),
  ];
}

const benchmarks: Benchmark[] = [
  { name: 'ws exec echo round trip', run: echoRoundTrip },
  { name: 'ws exec idle memory', run: idleMemory },
];
export default benchmarks;
