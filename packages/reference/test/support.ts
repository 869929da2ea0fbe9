import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** An RSA bootstrap key pair with both halves as PEM, as the environment carries them. */
export interface BootstrapKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privatePem: string;
  readonly publicPem: string;
}

export function bootstrapKeys(): BootstrapKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A reference server process started from the CLI. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM, then resolves with the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
}

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Spawns `cli.ts <name>` (from source, through tsx; or the built `cli` file when given) with `env`,
 * PORT=0, and waits for the first stdout line `listening on http://127.0.0.1:<port>`.
 */
export async function spawnServer(
  name: 'sandbox' | 'router' | 'console',
  env: Record<string, string> = {},
  cli?: string,
): Promise<ServerProcess> {
  const args =
    cli === undefined
      ? ['--conditions=@latchkey/source', '--import', 'tsx', 'src/cli.ts', name]
      : [cli, name];
  const child = spawn(process.execPath, args, {
    cwd: packageRoot,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${err}`)), 20_000);
    const onData = (): void => {
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(out.slice(0, newline));
      if (match?.[1] === undefined) reject(new Error(`unexpected first line: ${out.slice(0, newline)}`));
      else resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${err}`));
    });
  });
  let url: string;
  try {
    url = await started;
  } catch (error) {
    // Never leave a half-started server behind.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    async terminate() {
      if (child.exitCode !== null) return { code: child.exitCode, ms: 0 };
      const started = Date.now();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return { code, ms: Date.now() - started };
    },
  };
}

/** Reads a streamed body until it ends; resolves with the end time and the text. */
export async function drain(response: Response): Promise<{ endedAt: number; text: string }> {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  if (reader === undefined) return { endedAt: Date.now(), text };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { endedAt: Date.now(), text };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { endedAt: Date.now(), text };
  }
}

/** Reads from a stream until `predicate` holds on the text so far (or `ms` passes). */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  predicate: (text: string) => boolean,
  ms = 3_000,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (!predicate(text)) {
    if (Date.now() > deadline) throw new Error(`timed out; got: ${text}`);
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the sandbox at `endpoint` still answers (a stopped one refuses the connection). */
export async function reachable(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/healthz`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The package directory (`packages/reference`). */
export const PACKAGE_ROOT: string = packageRoot;

/**
 * Starts several servers at once; if any fails to start, stops the others before rethrowing, so a
 * failed `beforeAll` leaves no process behind.
 */
export async function spawnAll(
  specs: readonly (readonly ['sandbox' | 'router' | 'console', Record<string, string>])[],
): Promise<ServerProcess[]> {
  const results = await Promise.allSettled(specs.map(([name, env]) => spawnServer(name, env)));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed === undefined)
    return results.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value);
  await Promise.all(
    results.map((result) => (result.status === 'fulfilled' ? result.value.terminate() : undefined)),
  );
  throw failed.reason;
}

/** Asserts a response is the one error shape with `status` and `code`. */
export async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ code, message: expect.any(String) });
}

/** An `Authorization: Bearer` header. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Open descriptors of this process (Linux `/proc/self/fd`). */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * A raw TCP client for what `fetch` cannot do (trickled headers, two `Authorization` headers, a drop
 * before the answer): `send` writes, `received()` is everything read so far, `closed` settles when the
 * server closes the connection (with the time it did).
 */
export async function rawClient(port: number): Promise<{
  send(text: string): void;
  received(): string;
  readonly closed: Promise<number>;
  destroy(): void;
}> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return {
    send: (chunk) => {
      if (!socket.destroyed) socket.write(chunk);
    },
    received: () => text,
    closed,
    destroy: () => socket.destroy(),
  };
}
