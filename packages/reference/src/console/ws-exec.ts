import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidRequestError, LatchkeyError, type LatchkeyErrorOptions } from '@latchkey/errors';
import { requireEditorOrAdmin } from '@latchkey/guards';
import {
  CLOSE_CODES,
  createUpgradeGate,
  type GateLease,
  refuseUpgrade,
  type SenderOptions,
  type WsSession,
} from '@latchkey/ws';
import type { Logger } from '../log.js';
import type { ConsoleIdentity } from './console-tokens.js';
import { createLineShell, parseClientMessage, parseExecInit } from './ws-exec-protocol.js';

/** The path the WebSocket exec endpoint serves. */
export const WS_EXEC_PATH = '/ws/exec';

/** What `/ws/exec` is made of. */
export interface WsExecDeps {
  /**
   * Verifies a console token, revocation included (the console's own `verify`: signature, denylist,
   * watermark). A 401 `LatchkeyError` tries the next credential source; anything else refuses at once.
   */
  readonly verify: (token: string) => Promise<ConsoleIdentity> | ConsoleIdentity;
  /**
   * Opens the stream's lease in the registry: counts in the user's stream cap and in logout's
   * `cancelled`. E.g. `(identity) => registry.register(identity.user, { issuedAtMs: identity.issuedAt })`.
   */
  readonly register: (identity: ConsoleIdentity) => GateLease | Promise<GateLease>;
  /** `LATCHKEY_ALLOWED_ORIGINS`, parsed by `parseAllowedOrigins`. */
  readonly allowedOrigins?: ReadonlySet<string> | undefined;
  readonly log: Logger;
  /** Ends every session (1001) when aborted: the server's shutdown. */
  readonly shutdown?: AbortSignal | undefined;
  /** The `exec_init` deadline after the 101, in milliseconds. Default 10,000 (the contract). */
  readonly initTimeoutMs?: number | undefined;
  /** Ping interval and missed pongs. Defaults: 4,000 ms and 5 (a silent peer is dropped within 24 s). */
  readonly heartbeat?: { readonly intervalMs?: number; readonly maxMissedPongs?: number } | undefined;
  /** Backpressure marks (see `@latchkey/ws`'s `createSender`). */
  readonly sender?: SenderOptions | undefined;
  /** How long after a close frame the connection is terminated. Default 500 ms. */
  readonly closeGraceMs?: number | undefined;
}

/** The WebSocket exec endpoint, ready to take a `node:http` server's upgrades. */
export interface WsExec {
  /** A `node:http` `upgrade` listener: serves `/ws/exec`, refuses any other path with 404. */
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Live exec sessions on this instance. */
  readonly sessions: number;
  /** Ends every session with 1001 and refuses new upgrades. Idempotent. */
  close(): void;
}

/** No route: the one error shape, with the servers' own `NOT_FOUND` code. */
class UpgradeNotFoundError extends LatchkeyError<'no-route'> {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  constructor(options?: LatchkeyErrorOptions) {
    super('not found', 'no-route', options);
  }
}

// Binary frames and anything unparseable end the session as one INVALID_REQUEST.
const invalidRequest = (): InvalidRequestError => new InvalidRequestError('schema');

const EXEC_STARTED = JSON.stringify({ type: 'exec_started' });
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

function pathOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/') || url.startsWith('//')) return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function runShell(session: WsSession<ConsoleIdentity>, initTimeoutMs: number, log: Logger): void {
  const { socket, sender, identity } = session;
  let state: 'init' | 'running' | 'exited' = 'init';
  const shell = createLineShell();
  // Cleared by the init; if the session ends first it fires into an ended session, a no-op.
  let initTimer: NodeJS.Timeout | undefined = setTimeout(() => {
    if (state === 'init') session.end(CLOSE_CODES.INIT_TIMEOUT, 'init timeout');
  }, initTimeoutMs);
  initTimer.unref();

  socket.on('message', (data, isBinary) => {
    // After `exit`, whatever the client keeps sending is ignored: the close is already on its way.
    if (state === 'exited' || session.ended) return;
    try {
      if (isBinary) throw invalidRequest();
      // The gate's server keeps ws's default binaryType, 'nodebuffer': a Buffer, or Buffer[] for fragments.
      const buffer = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      const text = buffer.toString('utf8');
      if (state === 'init') {
        clearTimeout(initTimer);
        // Dropped, not only cleared: an idle session must not keep the timer and its closure alive.
        initTimer = undefined;
        const init = parseExecInit(text);
        state = 'running';
        log.info('ws-exec-started', { user: identity.user, args: init.command.length });
        sender.send(EXEC_STARTED);
        return;
      }
      const message = parseClientMessage(text);
      if (message.type === 'resize') return;
      const writable = sender.send(`{"type":"stdout","data":${JSON.stringify(message.data)}}`);
      const exitCode = shell.feed(message.data);
      if (exitCode !== undefined) {
        // The exit frame and the close go out now, never behind a read of what the client sends next.
        state = 'exited';
        log.info('ws-exec-exited', { user: identity.user, exitCode });
        session.end(CLOSE_CODES.NORMAL, 'exit', JSON.stringify({ type: 'exit', exitCode }));
        return;
      }
      if (!writable) {
        // The client reads slower than it writes: stop reading its stdin until the output drains.
        socket.pause();
        sender.ready().then(() => {
          if (!session.ended) socket.resume();
        });
      }
    } catch (error) {
      session.fail(LatchkeyError.is(error) && error.code === 'INVALID_REQUEST' ? error : invalidRequest());
    }
  });
}

/**
 * The console's `GET /ws/exec`: a WebSocket simulated shell behind `@latchkey/ws`'s upgrade gate.
 * Before the 101: a real handshake, authentication (header, cookie or `?token=`), the Origin rule,
 * editor or above, and the registry lease (the stream cap), each refusal a plain HTTP answer. After it:
 * `exec_init` within 10 s (else 4408), validated strictly (else an error frame and 4400), then
 * `exec_started`, stdin echoed as stdout, `exit N` → `{"type":"exit","exitCode":N}` and 1000, logout →
 * `SESSION_REVOKED` and 4401, a message over 1 MiB → 1009.
 *
 * @example
 * ```ts
 * const wsExec = createWsExec({ verify, register: (id) => registry.register(id.user, { issuedAtMs: id.issuedAt }), log });
 * listening.server.on('upgrade', wsExec.handleUpgrade);
 * ```
 */
export function createWsExec(deps: WsExecDeps): WsExec {
  const initTimeoutMs = deps.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
  const { log } = deps;
  const gate = createUpgradeGate<ConsoleIdentity>({
    verify: (token) => deps.verify(token),
    cookieName: 'latchkey_auth',
    allowQuery: true,
    allowedOrigins: deps.allowedOrigins,
    authorize: (identity) => requireEditorOrAdmin(identity),
    register: (identity) => deps.register(identity),
    onSession: (session) => runShell(session, initTimeoutMs, log),
    heartbeat: deps.heartbeat,
    sender: deps.sender,
    closeGraceMs: deps.closeGraceMs,
    signal: deps.shutdown,
    onRefused: (event) => {
      if (event.status === 403 || (event.status === 401 && event.reason !== 'missing')) {
        log.warn('security', {
          type: 'ws-exec-refused',
          status: event.status,
          code: event.code,
          reason: event.reason,
        });
      } else if (event.status >= 500) {
        log.error('ws-exec-refused', { status: event.status, code: event.code, reason: event.reason });
      } else {
        log.info('ws-exec-refused', { status: event.status, code: event.code, reason: event.reason });
      }
    },
  });
  return {
    handleUpgrade(request, socket, head) {
      if (pathOf(request.url) !== WS_EXEC_PATH) {
        socket.on('error', () => undefined);
        refuseUpgrade(socket, new UpgradeNotFoundError());
        return;
      }
      gate(request, socket, head);
    },
    get sessions() {
      return gate.sessions;
    },
    close: () => gate.close(),
  };
}

/**
 * {@link createWsExec}, attached to `server`'s `upgrade` event; `close()` also detaches it.
 *
 * @example
 * ```ts
 * const wsExec = attachWsExec(listening.server, { verify, register, allowedOrigins, log, shutdown });
 * ```
 */
export function attachWsExec(server: Server, deps: WsExecDeps): WsExec {
  const wsExec = createWsExec(deps);
  server.on('upgrade', wsExec.handleUpgrade);
  return {
    handleUpgrade: wsExec.handleUpgrade,
    get sessions() {
      return wsExec.sessions;
    },
    close() {
      server.off('upgrade', wsExec.handleUpgrade);
      wsExec.close();
    },
  };
}
