// `pnpm start`: the dashboard on 127.0.0.1:$PORT (default 3000). Keys are generated at start; with
// REDIS_URL, logouts fan out to every instance sharing that Redis.
import { generateKeyPairSync } from 'node:crypto';
import { createApp } from './app.js';
import { createDeps } from './deps.js';

const { deps, close } = await createDeps(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const app = await createApp(deps);
console.log(
  `listening on ${await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })}`,
);
process.once('SIGTERM', () => {
  deps.registry.cancelAll();
  app.server.closeAllConnections();
  void app
    .close()
    .then(close)
    .then(() => process.exit(0));
});
