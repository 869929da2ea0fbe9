import type { Server } from 'node:http';
import type { BridgeOptions } from './bridge.js';
import type { Env } from './config.js';
import { listen } from './listen.js';
import { createLogger, errorFields, type Logger } from './log.js';
import type { App } from './respond.js';

/** A server assembled from its configuration, ready to listen. */
export interface Built {
  readonly app: App;
  /** How the bridge answers what never reaches the app (the sandbox's own 401 codes). */
  readonly bridge?: BridgeOptions;
  /**
   * Called with the listening server before the first request (the console's WebSocket upgrade
   * handler attaches here). Optional.
   */
  readonly attach?: (server: Server) => void;
  /** Ends live streams (first step of a shutdown). */
  stop(): void;
  /** Releases what the server holds: sandboxes, store connections, subscriptions. */
  close(): Promise<void>;
}

/** The three reference servers. */
export type ServerName = 'sandbox' | 'router' | 'console';

/** What {@link main} needs from its process: injectable for tests. */
export interface MainIo {
  readonly env: Env;
  readonly stdout: { write(line: string): unknown };
  readonly log: Logger;
  /** Called with a handler to run once on SIGTERM / SIGINT. */
  readonly onSignal: (handler: () => void) => void;
  readonly exit: (code: number) => void;
}

/** Shutdown must finish inside 5 s (DESIGN.md); past this, connections are dropped. */
const SHUTDOWN_GRACE_MS = 2_000;
const SHUTDOWN_DEADLINE_MS = 4_500;

/**
 * Builds and runs one server: listens on `127.0.0.1:$PORT`, prints `listening on http://127.0.0.1:<port>`
 * as the first stdout line, and on SIGTERM ends streams, closes connections and stores, and exits 0.
 *
 * @example
 * ```ts
 * await main(async (env, log) => {
 *   const config = readConsoleConfig(env);
 *   return { port: config.port, built: await buildConsole(config, log) };
 * }, processIo('console'));
 * ```
 */
export async function main(
  start: (env: Env, log: Logger) => Promise<{ readonly port: number; readonly built: Built }>,
  io: MainIo,
): Promise<void> {
  const { port, built } = await start(io.env, io.log);
  const listening = await listen(built.app, { ...built.bridge, port, log: io.log });
  built.attach?.(listening.server);
  io.stdout.write(`listening on ${listening.url}\n`);
  io.log.info('listening', { url: listening.url });
  let stopping = false;
  io.onSignal(() => {
    if (stopping) return;
    stopping = true;
    io.log.info('shutting-down', {});
    const deadline = setTimeout(() => {
      io.log.error('shutdown-timeout', {});
      io.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    (async () => {
      built.stop();
      await listening.close(SHUTDOWN_GRACE_MS);
      await built.close();
    })().then(
      () => {
        clearTimeout(deadline);
        io.log.info('stopped', {});
        io.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        io.log.error('shutdown-failed', errorFields(error));
        io.exit(1);
      },
    );
  });
}

/**
 * The real process: environment, stdout, stderr logs, signals, exit.
 *
 * @example
 * ```ts
 * const io = processIo('console');
 * ```
 */
export function processIo(name: ServerName): MainIo {
  const log = createLogger({ name });
  // stderr carries JSON lines only: process warnings and crashes are logged as such too.
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    log.warn('process-warning', { name: warning.name, message: warning.message }),
  );
  process.on('uncaughtException', (error) => {
    log.error('uncaught-exception', errorFields(error));
    process.exit(1);
  });
  return {
    env: process.env,
    stdout: process.stdout,
    log,
    onSignal: (handler) => {
      process.once('SIGTERM', handler);
      process.once('SIGINT', handler);
    },
    // Writes to stdout and stderr are synchronous for files and pipes on POSIX, so nothing logged
    // before this point is lost by exiting at once.
    exit: (code) => process.exit(code),
  };
}
