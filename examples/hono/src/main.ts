// `pnpm start`: the dashboard on 127.0.0.1:$PORT (default 3000). Keys are generated at start; with
// REDIS_URL, logouts fan out to every instance sharing that Redis.
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { createDeps } from './deps.js';

const { deps, close } = await createDeps(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const port = Number(process.env.PORT ?? 3000);
const server = serve({ fetch: createApp(deps).fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
}) as Server;
process.once('SIGTERM', () => {
  deps.registry.cancelAll();
  server.closeAllConnections();
  server.close(() => void close().then(() => process.exit(0)));
});
