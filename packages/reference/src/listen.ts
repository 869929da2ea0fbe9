import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type BridgeOptions, toNodeListener } from './bridge.js';
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

/** The connection bounds of every reference server (DESIGN.md, "Rules for all three servers"). */
export interface ConnectionBounds {
  /** All headers must arrive within this many ms of the request's first byte, else 408 and close. Default 30 000. */
  readonly headersTimeoutMs?: number;
  /** The whole request (headers and body) must arrive within this many ms, else 408 and close. Default 60 000. */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this many ms. Default 5 000. */
  readonly keepAliveTimeoutMs?: number;
}

/** Options of {@link listen}. */
export interface ListenOptions extends BridgeOptions, ConnectionBounds {
  readonly port: number;
  readonly log: Logger;
}

/** Default bounds, from DESIGN.md. */
export const DEFAULT_CONNECTION_BOUNDS: Required<ConnectionBounds> = Object.freeze({
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
});

const positive = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new TypeError(`${name} must be a positive integer of milliseconds`);
  }
  return value;
};

// The answers to requests that never reached the app, in the one error shape. Node's own defaults
// are bodiless (`HTTP/1.1 408 Request Timeout`), which a client cannot tell from a proxy's.
const refusal = (status: number, reason: string, code: string, message: string): string => {
  const body = JSON.stringify({ code, message });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `cache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
};
const REQUEST_TIMEOUT = refusal(408, 'Request Timeout', 'REQUEST_TIMEOUT', 'request timeout');
const HEADERS_TOO_LARGE = refusal(
  431,
  'Request Header Fields Too Large',
  'HEADERS_TOO_LARGE',
  'headers too large',
);
const BAD_REQUEST = refusal(400, 'Bad Request', 'INVALID_REQUEST', 'invalid request');

function onClientError(error: Error & { code?: string }, socket: Socket, log: Logger): void {
  // The same rule as node's default handler: answer only when no byte of a response went out on
  // this connection yet, so a half-written answer is never corrupted; then close.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && (pending === undefined || pending === null || pending.headersSent !== true)) {
    const answer =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? REQUEST_TIMEOUT
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? HEADERS_TOO_LARGE
          : error.code === 'ECONNRESET'
            ? undefined
            : BAD_REQUEST;
    if (answer !== undefined) {
      log.info('request-refused', {
        status: Number(answer.slice(9, 12)),
        reason: error.code ?? 'client-error',
      });
      socket.end(answer);
    }
  }
  socket.destroySoon();
}

/**
 * Serves `app` on `127.0.0.1:port` (`0` picks a free port), with the contract's connection bounds:
 * headers within 30 s of the first byte, the whole request within 60 s (both answered 408
 * `REQUEST_TIMEOUT` and closed), idle keep-alive connections closed after 5 s. Node checks the first
 * two on a periodic timer; here it runs every tenth of the headers bound (at most every second), so a
 * bound holds to within that. Tests pass small bounds.
 *
 * @example
 * ```ts
 * const { url, close } = await listen(app, { port: 0, log });
 * ```
 */
export async function listen(app: App, options: ListenOptions): Promise<Listening> {
  const headersTimeout = positive(
    'headersTimeoutMs',
    options.headersTimeoutMs ?? DEFAULT_CONNECTION_BOUNDS.headersTimeoutMs,
  );
  const requestTimeout = positive(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? DEFAULT_CONNECTION_BOUNDS.requestTimeoutMs,
  );
  const keepAliveTimeout = positive(
    'keepAliveTimeoutMs',
    options.keepAliveTimeoutMs ?? DEFAULT_CONNECTION_BOUNDS.keepAliveTimeoutMs,
  );
  if (headersTimeout > requestTimeout)
    throw new TypeError('headersTimeoutMs must not exceed requestTimeoutMs');
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      // Node measures both timeouts from the request's first byte but only looks every
      // `connectionsCheckingInterval` (30 s by default, which would let a 30 s bound run to 60 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 10))),
    },
    toNodeListener(app, options.log, options),
  );
  server.on('clientError', (error: Error, socket: Socket) => onClientError(error, socket, options.log));
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
