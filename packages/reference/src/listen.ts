import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from './bridge.js';
import type { Logger } from './log.js';
import type { App } from './respond.js';

/** A running node:http server bound to 127.0.0.1. */
export interface Listening {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly server: Server;
  /**
   * Stops accepting connections, closes idle keep-alive connections at once and any still open after
   * `graceMs` (default 1 s). Callers end their streams first, so open responses finish cleanly.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `app` on `127.0.0.1:port` (`0` picks a free port).
 *
 * @example
 * ```ts
 * const { url, close } = await listen(app, { port: 0, log });
 * ```
 */
export async function listen(app: App, options: { port: number; log: Logger }): Promise<Listening> {
  const server = createServer({ keepAliveTimeout: 5_000 }, toNodeListener(app, options.log));
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    close(graceMs = 1_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        // A keep-alive connection whose response is still finishing becomes idle a moment later;
        // sweep until the server is closed rather than waiting out the grace period for it.
        const sweep = setInterval(() => server.closeIdleConnections(), 25);
        sweep.unref();
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
