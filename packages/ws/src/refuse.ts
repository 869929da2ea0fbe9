import type { Duplex } from 'node:stream';
import { type ErrorLogEvent, errorToHttp } from '@latchkey/http';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** How long a refused socket may take to flush its answer before it is destroyed anyway. */
const REFUSAL_FLUSH_MS = 1_000;

/** Options of {@link refuseUpgrade}. */
export interface RefuseOptions {
  /** Extra response headers (e.g. `Sec-WebSocket-Version: 13` on a version mismatch). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Called once with what was answered, as `@latchkey/http`'s `errorToHttp` reports it. */
  readonly log?: ((event: ErrorLogEvent) => void) | undefined;
}

/**
 * Answers an upgrade request that will not be upgraded: a plain HTTP/1.1 response with the error's
 * status and the JSON body `{ code, message }` (`INTERNAL` / 500 for anything not a `LatchkeyError`),
 * `Connection: close`, then the socket is ended and destroyed. Nothing was upgraded, so the client sees
 * an ordinary HTTP refusal (a browser's `WebSocket` fires `error` then `close` with 1006).
 *
 * @example
 * ```ts
 * server.on('upgrade', (request, socket) => {
 *   if (request.url !== '/ws/exec') refuseUpgrade(socket, new InvalidRequestError('schema'));
 * });
 * ```
 */
export function refuseUpgrade(socket: Duplex, error: unknown, options: RefuseOptions = {}): void {
  const { status, headers, body } = errorToHttp(error, { log: options.log });
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const all: Record<string, string> = {
    ...headers,
    ...options.headers,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(all)) head += `${name}: ${value}\r\n`;
  const timer = setTimeout(() => socket.destroy(), REFUSAL_FLUSH_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.on('error', () => socket.destroy());
  socket.end(`${head}\r\n${body}`, () => socket.destroy());
}
