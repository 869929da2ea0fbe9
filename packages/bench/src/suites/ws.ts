/**
 * `/ws/exec` against a bare `ws` echo server measured in the same run:
 * - echo round trip (one stdin frame out, its stdout frame back, one at a time), p50 and p99;
 * - server-side memory (heap + external, after GC) of 1,000 idle exec sessions (upgraded through the
 *   gate, lease held, heartbeat running, `exec_started` sent) against 1,000 idle bare connections.
 * For memory, each server runs alone in a fresh child process (`src/ws-server.ts`) and the clients in
 * another, after 200 warm-up connections, so only per-connection server state is counted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
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
export async function bareEcho(): Promise<Endpoint> {
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
export async function execEndpoint(): Promise<Endpoint> {
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const tokens = createConsoleTokens({ privateKey });
  const registry = createRegistry({ watermarkTtlMs: 3_700_000, maxLeasesPerUser: CONNECTIONS * 2 });
  const wsExec = createWsExec({
    verify: (token) => tokens.verifier.verify(token),
    register: (identity) =>
      registry.register(identity.userId, { kind: 'ws-exec', issuedAtMs: identity.issuedAtMs }),
    log: silentLogger,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', wsExec.handleUpgrade);
  const port = await serve(server);
  const { token } = await tokens.issuer.issue('bench', { role: 'editor' });
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
  const controlClient = await echoClient(bare, false);
  const execClient = await echoClient(exec, true);
  try {
    const latency = await compareLatency(
      { bare: bareClient.roundTrip, control: controlClient.roundTrip, exec: execClient.roundTrip },
      context,
      { samplesPerRound: 2_000, warmup: 1_000 },
    );
    const baseline = { name: 'bare ws echo round trip p50', value: latency.bare.p50 };
    return [
      plain(baseline.name, latency.bare.p50, 'µs', { p99: latency.bare.p99 }),
      // The same bare server on a second connection: the comparison's noise floor.
      versus('bare ws echo round trip p50 (A/A control)', latency.control.p50, 'µs', baseline, {
        p99: latency.control.p99,
      }),
      versus('/ws/exec stdin → stdout round trip p50', latency.exec.p50, 'µs', baseline, {
        p99: latency.exec.p99,
        target: '<= 1.15',
      }),
    ];
  } finally {
    bareClient.ws.terminate();
    controlClient.ws.terminate();
    execClient.ws.terminate();
    await bare.close();
    await exec.close();
  }
}

// The clients: a child process that first opens and closes WARMUP connections (the server compiles
// its code and fills its pools before anything is measured), prints `warm`, waits for a `go` line,
// then opens `count` idle connections (sending INIT first when asked), prints `ready` and holds them
// until its stdin closes.
const WARMUP = 200;
const CLIENTS = `
import { WebSocket } from 'ws';
import { createInterface } from 'node:readline';
const [url, headers, count, init] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3]), process.argv[4] === '1'];
const open = () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  ws.once('error', reject);
  ws.once('open', () => { if (init) { ws.once('message', () => resolve(ws)); ws.send(${JSON.stringify(INIT)}); } else resolve(ws); });
});
const openMany = async (n) => {
  const all = [];
  for (let i = 0; i < n; i += 50) all.push(...await Promise.all(Array.from({ length: Math.min(50, n - i) }, open)));
  return all;
};
const warm = await openMany(${WARMUP});
await Promise.all(warm.map((ws) => new Promise((resolve) => { ws.once('close', resolve); ws.close(); })));
process.stdout.write('warm\\n');
const lines = createInterface({ input: process.stdin });
const held = [];
lines.on('line', async (line) => {
  if (line !== 'go') return;
  held.push(...await openMany(count));
  process.stdout.write('ready\\n');
});
lines.on('close', () => process.exit(0));
`;

/** Lines a child writes to stdout, one at a time. */
function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const wake = waiting.shift();
      if (wake === undefined) queue.push(line);
      else wake(line);
    }
  });
  return () => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
  };
}

interface Memory {
  readonly heap: number;
  readonly rss: number;
}

/**
 * Bytes per idle connection in a fresh server process (`ws-server.ts`): heap + external after GC, and
 * RSS, measured with the endpoint up, before and after the clients (another process) connect.
 */
async function perConnection(kind: 'bare' | 'exec'): Promise<Memory> {
  const server = spawn(
    process.execPath,
    ['--expose-gc', '--conditions=@latchkey/source', '--import', 'tsx', 'src/ws-server.ts', kind],
    { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const fromServer = lines(server);
  try {
    const endpoint = JSON.parse(await fromServer()) as { url: string; headers: Record<string, string> };
    const measure = async (): Promise<Memory> => {
      server.stdin?.write('measure\n');
      return JSON.parse(await fromServer()) as Memory;
    };
    const clients = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        CLIENTS,
        endpoint.url,
        JSON.stringify(endpoint.headers),
        String(CONNECTIONS),
        kind === 'exec' ? '1' : '0',
      ],
      { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const fromClients = lines(clients);
    if ((await fromClients()) !== 'warm') throw new Error('clients failed');
    // The warm-up connections' close handshakes and grace timers run out first.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = await measure();
    clients.stdin?.write('go\n');
    if ((await fromClients()) !== 'ready') throw new Error('clients failed');
    // Let the heartbeat tick once, so its per-session state exists.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = await measure();
    clients.stdin?.end();
    await once(clients, 'exit');
    return { heap: (after.heap - before.heap) / CONNECTIONS, rss: (after.rss - before.rss) / CONNECTIONS };
  } finally {
    server.kill();
  }
}

async function idleMemory(context: BenchContext): Promise<ReturnType<typeof plain>[]> {
  const bare: Memory[] = [];
  const exec: Memory[] = [];
  const rounds = Math.min(context.rounds, 3);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'exec'] as const) : (['exec', 'bare'] as const);
    for (const kind of order) (kind === 'bare' ? bare : exec).push(await perConnection(kind));
  }
  const figure = (label: string, key: keyof Memory): ReturnType<typeof plain>[] => {
    const baseline = {
      name: `bare ws, ${CONNECTIONS} idle connections, ${label}`,
      value: median(bare.map((m) => m[key])),
    };
    return [
      plain(baseline.name, Math.round(baseline.value), 'B/conn'),
      versus(
        `/ws/exec, ${CONNECTIONS} idle sessions, ${label}`,
        Math.round(median(exec.map((m) => m[key]))),
        'B/conn',
        baseline,
        {
          target: '<= 1.20',
        },
      ),
    ];
  };
  // RSS is not reported: after GC it does not shrink, so its deltas here are noise (even negative).
  return figure('server heap + external', 'heap');
}

const benchmarks: Benchmark[] = [
  { name: 'ws exec echo round trip', run: echoRoundTrip },
  { name: 'ws exec idle memory', run: idleMemory },
];
export default benchmarks;
