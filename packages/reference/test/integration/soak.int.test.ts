import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { readConsoleConfig, readRouterConfig } from '../../src/config.js';
import { buildConsole } from '../../src/console/server.js';
import { listen } from '../../src/listen.js';
import { silentLogger } from '../../src/log.js';
import { buildRouter } from '../../src/router/server.js';
import { bearer, openDescriptors, rawClient, sleep } from '../support.js';

/** Total soak time; `LATCHKEY_SOAK_MS` stretches it outside CI. */
const SOAK_MS = Number(process.env.LATCHKEY_SOAK_MS ?? 12_000);
const WARMUP_MS = Math.min(5_000, SOAK_MS / 3);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('soak: create / invoke / delete and login / stream / logout churn', () => {
  it(
    'keeps heap and open descriptors flat after warm-up, with every request answered as expected',
    async () => {
      const router = await buildRouter(readRouterConfig({}), silentLogger, { sweepIntervalMs: 1_000 });
      const console_ = await buildConsole(readConsoleConfig({}), silentLogger, { streamIntervalMs: 100 });
      const routerHttp = await listen(router.app, { port: 0, log: silentLogger });
      const consoleHttp = await listen(console_.app, { port: 0, log: silentLogger });
      const unexpected: string[] = [];
      const expectStatus = (what: string, status: number, wanted: number): void => {
        if (status !== wanted && unexpected.length < 20) unexpected.push(`${what}: ${status}`);
      };
      const counts = { sessions: 0, streams: 0, logouts: 0, dropped: 0 };
      const samples: { atMs: number; heap: number; fds: number }[] = [];
      const started = Date.now();
      const until = started + SOAK_MS;

      const sessions = async (): Promise<void> => {
        const invoke = `${routerHttp.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke`;
        while (Date.now() < until) {
          const created = await fetch(`${invoke}/whoami`);
          const id = created.headers.get('x-latchkey-session') ?? '';
          await created.arrayBuffer();
          expectStatus('create', created.status, 200);
          for (let i = 0; i < 3; i++) {
            const echo = await fetch(`${invoke}/echo`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-latchkey-session': id },
              body: '{"n":1}',
            });
            await echo.arrayBuffer();
            expectStatus('invoke', echo.status, 200);
          }
          const deleted = await fetch(`${routerHttp.url}/v1/sessions/${id}`, { method: 'DELETE' });
          expectStatus('delete', deleted.status, 204);
          counts.sessions++;
        }
      };

      const users = async (worker: number): Promise<void> => {
        let round = 0;
        while (Date.now() < until) {
          const user = `user-${worker}-${round++ % 5}`;
          const login = await fetch(`${consoleHttp.url}/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ user, role: 'editor' }),
          });
          expectStatus('login', login.status, 200);
          const { token } = (await login.json()) as { token: string };
          for (const path of ['/api/events', '/api/exec', '/api/events']) {
            const controller = new AbortController();
            const stream = await fetch(`${consoleHttp.url}${path}`, {
              headers: bearer(token),
              signal: controller.signal,
            });
            expectStatus(path, stream.status, 200);
            const reader = stream.body?.getReader();
            await reader?.read();
            controller.abort();
            await reader?.cancel().catch(() => undefined);
            counts.streams++;
          }
          // A client that leaves before the answer starts.
          const drop = await rawClient(consoleHttp.port);
          drop.send(`GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
          drop.destroy();
          counts.dropped++;
          // One stream left open for logout to end.
          const open = await fetch(`${consoleHttp.url}/api/events`, { headers: bearer(token) });
          expectStatus('open', open.status, 200);
          const ended = open.text();
          const logout = await fetch(`${consoleHttp.url}/auth/logout`, {
            method: 'POST',
            headers: bearer(token),
          });
          expectStatus('logout', logout.status, 200);
          await logout.arrayBuffer();
          await ended;
          counts.logouts++;
        }
      };

      const sampler = async (): Promise<void> => {
        while (Date.now() < until) {
          await sleep(1_000);
          samples.push({ atMs: Date.now() - started, heap: settledHeap(), fds: openDescriptors() });
        }
      };

      try {
        await Promise.all([sessions(), sessions(), users(0), users(1), sampler()]);
        // Everything has ended: idle keep-alive sockets close, leases and slots are released.
        await sleep(1_200);
        const after = samples.filter((sample) => sample.atMs >= WARMUP_MS);
        const first = after[0];
        const last = after[after.length - 1];
        if (first === undefined || last === undefined) throw new Error('no samples after warm-up');
        const heapGrowthMiB = (Math.max(...after.map((s) => s.heap)) - first.heap) / 1_048_576;
        const fdGrowth = Math.max(...after.map((s) => s.fds)) - first.fds;
        // The figures of the closing note.
        process.stdout.write(
          `soak ${SOAK_MS} ms: ${JSON.stringify(counts)}; after warm-up heap ${(first.heap / 1_048_576).toFixed(1)} → ${(last.heap / 1_048_576).toFixed(1)} MiB (max growth ${heapGrowthMiB.toFixed(2)} MiB), descriptors ${first.fds} → ${last.fds} (max growth ${fdGrowth})\n`,
        );
        expect(unexpected).toEqual([]);
        expect(counts.sessions).toBeGreaterThan(20);
        expect(counts.logouts).toBeGreaterThan(10);
        expect(heapGrowthMiB).toBeLessThan(6);
        expect(fdGrowth).toBeLessThan(12);
      } finally {
        router.stop();
        console_.stop();
        await Promise.all([routerHttp.close(100), consoleHttp.close(100)]);
        await Promise.all([router.close(), console_.close()]);
      }
    },
    SOAK_MS + 30_000,
  );
});
