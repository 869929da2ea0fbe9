/**
 * One WebSocket endpoint of the `ws` bench suite in its own process, so its memory is measured alone:
 * `node --expose-gc … src/ws-server.ts <bare|exec>` prints `{ url, headers }`, then answers each
 * `measure` line on stdin with `{ heap, rss }` after a full GC.
 */
import { createInterface } from 'node:readline';
import { bareEcho, execEndpoint } from './suites/ws.js';

const kind = process.argv[2];
const endpoint = kind === 'exec' ? await execEndpoint() : await bareEcho();
process.stdout.write(`${JSON.stringify({ url: endpoint.url, headers: endpoint.headers })}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'measure') continue;
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ heap: heapUsed + external, rss })}\n`);
}
await endpoint.close();
