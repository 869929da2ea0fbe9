/**
 * The reference router's cost per live session (issue 13): forward p50 with 1,000 live sessions against
 * the same router with 10, in one run, on the memory store. The phases run small → large → small again
 * (the two small phases' median is the baseline), so drift over the run lands on both sides. Forwards go
 * round-robin over the live sessions, one at a time, over one keep-alive client. Beside the ratio: the
 * resident memory and the open descriptors each idle session costs.
 */

import { readdirSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { buildRouter, listen, readRouterConfig, silentLogger } from '@latchkey/reference';
import {
  type BenchContext,
  type Benchmark,
  type Figure,
  median,
  percentile,
  plain,
  versus,
} from '../harness.js';

const SMALL = 10;
const LARGE = 1_000;
const CREATE_IN_FLIGHT = 8;

function call(
  agent: Agent,
  url: URL,
  method: 'GET' | 'DELETE',
  headers: Record<string, string>,
): Promise<IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(Object.assign(res, { body })));
    });
    req.on('error', reject);
    req.end();
  });
}

const openDescriptors = (): number => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return Number.NaN;
  }
};

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().rss;
}

const benchmarks: Benchmark[] = [
  {
    name: 'router forward p50 at 1,000 live sessions vs 10',
    async run(context: BenchContext): Promise<Figure[]> {
      // One client creates them all here: the per-client bound is raised to the router's.
      const built = await buildRouter(
        readRouterConfig({
          LATCHKEY_MAX_SESSIONS: String(LARGE),
          LATCHKEY_MAX_SESSIONS_PER_CLIENT: String(LARGE),
        }),
        silentLogger,
      );
      const router = await listen(built.app, { port: 0, log: silentLogger });
      const agent = new Agent({ keepAlive: true, maxSockets: CREATE_IN_FLIGHT });
      const invoke = new URL(`${router.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`);
      const sessions: string[] = [];
      const create = async (count: number): Promise<void> => {
        let left = count;
        const worker = async (): Promise<void> => {
          while (left-- > 0) {
            const created = await call(agent, invoke, 'GET', {});
            const id = created.headers['x-latchkey-session'];
            if (created.statusCode !== 200 || typeof id !== 'string') {
              throw new Error(`session creation failed: ${created.statusCode} ${created.body}`);
            }
            sessions.push(id);
          }
        };
        await Promise.all(Array.from({ length: CREATE_IN_FLIGHT }, worker));
      };
      const remove = async (keep: number): Promise<void> => {
        while (sessions.length > keep) {
          const id = sessions.pop() as string;
          const deleted = await call(agent, new URL(`${router.url}/v1/sessions/${id}`), 'DELETE', {});
          if (deleted.statusCode !== 204) throw new Error(`delete failed: ${deleted.statusCode}`);
        }
      };
      const samples = Math.max(300, Math.round(context.roundMs * 2));
      /** One round's forward p50 in µs, round-robin over every live session. */
      const round = async (): Promise<number> => {
        let next = 0;
        const one = async (): Promise<void> => {
          const id = sessions[next++ % sessions.length] as string;
          const res = await call(agent, invoke, 'GET', { 'x-latchkey-session': id });
          if (res.statusCode !== 200) throw new Error(`forward failed: ${res.statusCode} ${res.body}`);
        };
        // Steady state: every session visited first (its signing key loaded, its token signed and verified).
        for (let i = 0; i < Math.max(300, sessions.length * 2); i++) await one();
        const times = new Float64Array(samples);
        for (let i = 0; i < samples; i++) {
          const start = performance.now();
          await one();
          times[i] = (performance.now() - start) * 1000;
        }
        return percentile(
          Array.from(times).sort((a, b) => a - b),
          50,
        );
      };
      const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5_500));
      try {
        // Phases alternate small, large, small, … so that drift in machine load lands on both sides.
        const small: number[] = [];
        const large: number[] = [];
        let rssSmall = 0;
        let rssLarge = 0;
        let fdSmall = 0;
        let fdLarge = 0;
        const cycles = Math.max(2, Math.ceil(context.rounds / 2));
        await create(SMALL);
        for (let cycle = 0; cycle < cycles; cycle++) {
          small.push(await round());
          if (cycle === 0) {
            // At rest: the keep-alive timeouts run out, so only what idle sessions hold is counted.
            await idle();
            rssSmall = await settledRss();
            fdSmall = openDescriptors();
          }
          await create(LARGE - SMALL);
          large.push(await round());
          if (cycle === 0) {
            await idle();
            rssLarge = await settledRss();
            fdLarge = openDescriptors();
            large.push(await round());
          }
          await remove(SMALL);
          small.push(await round());
        }
        const baseline = { name: `router forward p50, ${SMALL} live sessions`, value: median(small) };
        const perSession = LARGE - SMALL;
        return [
          plain(baseline.name, baseline.value, 'µs'),
          versus(`router forward p50, ${LARGE} live sessions`, median(large), 'µs', baseline, {
            target: '<= 1.20',
          }),
          plain('resident memory per idle session', (rssLarge - rssSmall) / perSession / 1024, 'KiB'),
          plain('open descriptors per idle session', (fdLarge - fdSmall) / perSession, 'fd'),
        ];
      } finally {
        await remove(0).catch(() => undefined);
        agent.destroy();
        built.stop();
        await router.close(100);
        await built.close();
      }
    },
  },
];

export default benchmarks;
