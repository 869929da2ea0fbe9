import { createServer } from 'node:net';

/** True when nothing listens on 127.0.0.1:port right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A free loopback port whose cluster-bus port (port + 10000) is free too. Ports come from a range
 * away from the ephemeral range so a kernel-chosen client port rarely collides; callers still retry
 * if the server fails to bind, since another worker can take the port between the check and the bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free loopback port pair found');
}
