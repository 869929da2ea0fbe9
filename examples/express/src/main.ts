// `pnpm start`: the dashboard on 127.0.0.1:$PORT (default 3000). Keys are generated at start; with
// REDIS_URL, logouts fan out to every instance sharing that Redis.
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createDeps } from './deps.js';

const { deps, close } = await createDeps(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const server: Server = createApp(deps).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  deps.registry.cancelAll();
  server.closeAllConnections();
  server.close(() => void close().then(() => process.exit(0)));
});
