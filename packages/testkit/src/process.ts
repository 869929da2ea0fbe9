import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** Which server family to run: Redis 7 (`redis-server`) or Valkey 8 (`valkey-server`). */
export type ServerFlavor = 'redis' | 'valkey';

const execFileAsync = promisify(execFile);

/** The server and CLI binaries of a flavour. */
export function binariesOf(flavor: ServerFlavor): { server: string; cli: string } {
  return flavor === 'redis'
    ? { server: 'redis-server', cli: 'redis-cli' }
    : { server: 'valkey-server', cli: 'valkey-cli' };
}

/**
 * Finds a binary on PATH. A missing binary is an error, never a skip: the README's test command
 * installs both servers (`scripts/install-servers.sh`), and under CI a skipped integration test would
 * hide exactly the behaviour that only a real server decides.
 */
export function requireBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not installed: run \`bash scripts/install-servers.sh\` (the README test command does)` +
      (process.env.CI === 'true' ? ' — CI=true, so a missing server binary fails the run' : ''),
  );
}

/** Runs a CLI to completion and returns its stdout. */
export async function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await execFileAsync(file, [...args], { timeout: timeoutMs, encoding: 'utf8' });
  return stdout;
}

/**
 * Every server process this worker started and has not stopped yet. They are killed by PID when the
 * worker exits, so a failing or interrupted test never leaves a server behind.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of live) {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    live.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Starts a long-running process whose lifetime the testkit tracks. */
export function spawnTracked(file: string, args: readonly string[]): ChildProcess {
  killAllOnExit();
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  // Drain output so a chatty server never blocks on a full pipe; keep the tail for error messages.
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    tail.push(chunk.toString('utf8'));
    if (tail.length > 20) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  (child as ChildProcess & { outputTail: () => string }).outputTail = () => tail.join('');
  return child;
}

/** The last lines a tracked process printed, for error messages. */
export function outputTail(child: ChildProcess): string {
  return (child as ChildProcess & { outputTail?: () => string }).outputTail?.() ?? '';
}

/** Sends a signal to a process by PID and waits until it has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone between the check and the kill
      }
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
