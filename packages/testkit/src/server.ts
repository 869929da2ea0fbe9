import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import {
  binariesOf,
  outputTail,
  requireBinary,
  type ServerFlavor,
  spawnTracked,
  stopProcess,
} from './process.js';
import { sendCommand, waitUntil } from './resp.js';

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** `redis` (Redis 7) or `valkey` (Valkey 8). */
  readonly flavor: ServerFlavor;
  /** Start the node with `--cluster-enabled yes` (used by {@link startCluster}). */
  readonly clusterEnabled?: boolean;
  /** Extra `--name value` arguments for the server. */
  readonly args?: readonly string[];
}

/** A throw-away server process on a free loopback port. */
export interface TestServer {
  readonly flavor: ServerFlavor;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (Valkey speaks the same protocol and scheme). */
  readonly url: string;
  /** PID of the running process, or `undefined` while it is stopped. */
  readonly pid: number | undefined;
  /** Stops the process by PID (SIGTERM, SIGKILL after 5 s) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills the process with SIGKILL, as a crash would; its data directory is kept for {@link restart}. */
  kill(): Promise<void>;
  /** Starts the process again on the same port with the same data directory. */
  restart(): Promise<void>;
}

const START_ATTEMPTS = 5;

/**
 * Starts `redis-server` or `valkey-server` on a free loopback port, with persistence off, and waits
 * until it answers PING.
 *
 * @example
 * ```ts
 * const server = await startServer({ flavor: 'valkey' });
 * try {
 *   const client = new Redis(server.port, '127.0.0.1');
 *   // …
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<TestServer> {
  const binary = requireBinary(binariesOf(options.flavor).server);
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${options.flavor}-`));
  let port = 0;
  let child: ChildProcess | undefined;
  let lastError: unknown;

  const launch = async (): Promise<ChildProcess> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...(options.clusterEnabled
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '1000',
          ]
        : []),
      ...(options.args ?? []),
    ];
    const started = spawnTracked(binary, args);
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code) =>
        reject(new Error(`${binary} on port ${port} exited (${code}) at start: ${outputTail(started)}`)),
      ),
    );
    exited.catch(() => {}); // observed below; never an unhandled rejection after a clean start
    try {
      await Promise.race([
        exited,
        waitUntil(
          `${options.flavor} on port ${port}`,
          async () => (await sendCommand(port, ['PING'])).startsWith('+PONG'),
          10_000,
        ),
      ]);
    } catch (error) {
      // A server that never answered must not outlive the attempt (the next one takes a new port).
      await stopProcess(started, 'SIGKILL');
      throw error;
    }
    return started;
  };

  for (let attempt = 0; attempt < START_ATTEMPTS && child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch();
    } catch (error) {
      lastError = error; // most often the port was taken between the probe and the bind: try another
    }
  }
  if (child === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start ${options.flavor}`, { cause: lastError });
  }

  let removed = false;
  return {
    flavor: options.flavor,
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async stop() {
      if (child !== undefined) await stopProcess(child, 'SIGTERM');
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async kill() {
      if (child !== undefined) await stopProcess(child, 'SIGKILL');
    },
    async restart() {
      if (removed) throw new Error('cannot restart a server that was stopped: its data directory is gone');
      if (child !== undefined) await stopProcess(child, 'SIGKILL');
      child = await launch();
    },
  };
}
