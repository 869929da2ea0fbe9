import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ForbiddenError,
  InvalidRequestError,
  LatchkeyError,
  SessionRevokedError,
  StoreUnavailableError,
} from '@latchkey/errors';
import {
  type AuthenticateOptions,
  authenticate,
  type CredentialSource,
  checkOrigin,
  type ErrorLogEvent,
} from '@latchkey/http';
import { type WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CODES, closeCodeFor, errorBody } from './close-codes.js';
import { checkHandshake } from './handshake.js';
import { type HeartbeatOptions, startHeartbeat } from './heartbeat.js';
import { refuseUpgrade } from './refuse.js';
import { createSender, type Sender, type SenderOptions } from './sender.js';

/**
 * What the gate needs from a registry lease: `@latchkey/registry`'s `Lease` fits as it is. `signal`
 * aborts (with a `SESSION_REVOKED` error as its reason) when the user logs out; `release` ends the lease.
 */
export interface GateLease {
  readonly signal: AbortSignal;
  release(): void;
}

/** One upgraded, authenticated connection, handed to `onSession`. */
export interface WsSession<Identity> {
  readonly socket: WebSocket;
  readonly identity: Identity;
  /** Which credential authenticated the upgrade. */
  readonly source: CredentialSource;
  readonly request: IncomingMessage;
  /** Ordered sends with backpressure; a consumer that stops reading is closed with 1008. */
  readonly sender: Sender;
  /**
   * Aborts when the session ends, whatever ended it (logout, close, heartbeat, shutdown, `end`): stop
   * producing there. Its reason is the error that ended it, when there was one.
   */
  readonly signal: AbortSignal;
  /**
   * Ends the session: sends `finalFrame` (when given) without waiting for anything the client sends,
   * then the close frame, then terminates the connection if the close handshake has not finished after
   * the grace period. Idempotent: only the first call counts.
   */
  end(code: number, reason?: string, finalFrame?: string): void;
  /** `end` with the error frame of `error` and the close code {@link closeCodeFor} maps it to. */
  fail(error: unknown): void;
}

/** Options of {@link createUpgradeGate}. */
export interface UpgradeGateOptions<Identity> {
  /** Checks one credential, as for `@latchkey/http`'s `authenticate` (a 401 error tries the next source). */
  readonly verify: AuthenticateOptions<Identity>['verify'];
  /** Cookie that may carry the credential (browsers cannot set headers on a WebSocket). */
  readonly cookieName?: string | undefined;
  /** Read `?token=` (or `queryParam`) too. Only ever read after the handshake check passed. */
  readonly allowQuery?: boolean | undefined;
  readonly queryParam?: string | undefined;
  /** Origins allowed besides `http://` + Host, for cookie and query credentials (`parseAllowedOrigins`). */
  readonly allowedOrigins?: ReadonlySet<string> | readonly string[] | undefined;
  /** Role or policy check: throw (e.g. `ForbiddenError`) to refuse. `requireEditorOrAdmin` fits. */
  readonly authorize?: ((identity: Identity, request: IncomingMessage) => void | Promise<void>) | undefined;
  /** Opens the lease the connection lives under, before the 101. Throw to refuse (429, 401, 503). */
  readonly register: (identity: Identity, request: IncomingMessage) => GateLease | Promise<GateLease>;
  /** Called with each upgraded session, its lease already held. */
  readonly onSession: (session: WsSession<Identity>) => void;
  /** Largest message accepted, in bytes; a larger one closes with 1009. Default 1 MiB. */
  readonly maxPayloadBytes?: number | undefined;
  /** Authentication, checks and registration must finish within this; else 503. Default 5,000 ms. */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Ping interval and missed pongs, or `false` for none. */
  readonly heartbeat?: Omit<HeartbeatOptions, 'onDead'> | false | undefined;
  /** Backpressure marks of each session's sender. */
  readonly sender?: SenderOptions | undefined;
  /** How long after the close frame a connection is terminated if still open. Default 500 ms. */
  readonly closeGraceMs?: number | undefined;
  /** The error frame `fail` sends. Default `{"type":"error","code","message"}`; `undefined` sends none. */
  readonly errorFrame?: ((body: { code: string; message: string }) => string | undefined) | undefined;
  /** Ends every session (1001) and refuses new upgrades when aborted: the server's shutdown. */
  readonly signal?: AbortSignal | undefined;
  /** Told about every refusal before the 101 (status, code, reason), for logs. */
  readonly onRefused?: ((event: ErrorLogEvent, request: IncomingMessage) => void) | undefined;
}

/** A `node:http` `upgrade` listener, plus what its owner needs to run it. */
export interface UpgradeGate {
  (request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sessions upgraded and not yet closed. */
  readonly sessions: number;
  /** Ends every session with 1001 and refuses new upgrades. Idempotent. */
  close(): void;
}

/** Default largest message, in bytes: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
const DEFAULT_CLOSE_GRACE_MS = 500;

const defaultErrorFrame = (body: { code: string; message: string }): string =>
  JSON.stringify({ type: 'error', code: body.code, message: body.message });

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * An `upgrade` listener for a `node:http` server that lets a WebSocket open only once everything a
 * request must pass has passed, in this order: a real opening handshake (before any credential is
 * read) → authentication (`verify`, header → cookie → query) → the Origin rule by credential source →
 * `authorize` → `register` (the lease). Every refusal is a plain HTTP response with the JSON error body
 * and `Connection: close`, before any 101. The lease is held before the upgrade completes: a logout
 * landing meanwhile refuses the upgrade (401) or, once upgraded, closes it with 4401.
 *
 * @example
 * ```ts
 * const gate = createUpgradeGate({
 *   verify: (token) => tokens.verify(token),
 *   cookieName: 'latchkey_auth',
 *   allowQuery: true,
 *   authorize: (identity) => requireEditorOrAdmin(identity),
 *   register: (identity) => registry.register(identity.user, { issuedAtMs: identity.issuedAt }),
 *   onSession: (session) => session.socket.on('message', (data) => session.sender.send(String(data))),
 * });
 * server.on('upgrade', gate);
 * ```
 */
export function createUpgradeGate<Identity>(options: UpgradeGateOptions<Identity>): UpgradeGate {
  if (typeof options.verify !== 'function') throw new TypeError('verify must be a function');
  if (typeof options.register !== 'function') throw new TypeError('register must be a function');
  if (typeof options.onSession !== 'function') throw new TypeError('onSession must be a function');
  const maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(maxPayload) || maxPayload <= 0)
    throw new TypeError('maxPayloadBytes must be a positive integer');
  const handshakeTimeoutMs = nonNegative(
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    'handshakeTimeoutMs',
  );
  const closeGraceMs = nonNegative(options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS, 'closeGraceMs');
  const errorFrame = options.errorFrame ?? defaultErrorFrame;
  const server = new WebSocketServer({
    noServer: true,
    maxPayload,
    clientTracking: false,
    perMessageDeflate: false,
  });
  const live = new Set<WsSession<Identity>>();
  let closed = false;

  const refuse = (
    request: IncomingMessage,
    socket: Duplex,
    error: unknown,
    headers?: Record<string, string>,
  ) =>
    refuseUpgrade(socket, error, {
      headers,
      log: options.onRefused === undefined ? undefined : (event) => options.onRefused?.(event, request),
    });

  const open = (
    request: IncomingMessage,
    socket: WebSocket,
    identity: Identity,
    source: CredentialSource,
    lease: GateLease,
  ): void => {
    const ended = new AbortController();
    let ending = false;
    let grace: NodeJS.Timeout | undefined;
    const end = (code: number, reason?: string, finalFrame?: string): void => {
      if (ending) return;
      ending = true;
      sender.close();
      try {
        if (finalFrame !== undefined && socket.readyState === socket.OPEN) socket.send(finalFrame);
        socket.close(code, reason);
      } catch {
        socket.terminate();
      }
      grace = setTimeout(() => socket.terminate(), closeGraceMs);
      grace.unref();
    };
    const fail = (error: unknown): void => {
      if (ending) return;
      const body = errorBody(error);
      if (!ended.signal.aborted) ended.abort(error);
      end(closeCodeFor(error), body.code, errorFrame(body));
    };
    const sender = createSender(socket, {
      ...options.sender,
      onOverflow: () => {
        if (!ended.signal.aborted) ended.abort(new Error('slow consumer'));
        end(CLOSE_CODES.POLICY, 'slow consumer');
      },
    });
    const stopHeartbeat =
      options.heartbeat === false
        ? () => undefined
        : startHeartbeat(socket, {
            ...options.heartbeat,
            onDead: () => {
              if (!ended.signal.aborted) ended.abort(new Error('peer stopped answering pings'));
              socket.terminate();
            },
          });
    const session: WsSession<Identity> = {
      socket,
      identity,
      source,
      request,
      sender,
      signal: ended.signal,
      end,
      fail,
    };
    const onRevoked = (): void => fail(lease.signal.reason);
    const onShutdown = (): void => {
      if (!ended.signal.aborted) ended.abort(new Error('server shutting down'));
      end(CLOSE_CODES.GOING_AWAY, 'server shutting down');
    };
    socket.on('error', () => undefined);
    socket.once('close', () => {
      live.delete(session);
      if (grace !== undefined) clearTimeout(grace);
      stopHeartbeat();
      sender.close();
      lease.signal.removeEventListener('abort', onRevoked);
      options.signal?.removeEventListener('abort', onShutdown);
      lease.release();
      if (!ended.signal.aborted) ended.abort();
    });
    live.add(session);
    try {
      options.onSession(session);
    } catch (error) {
      fail(error);
      return;
    }
    // Registered before the 101: a logout since then has already aborted the signal.
    if (lease.signal.aborted) onRevoked();
    else lease.signal.addEventListener('abort', onRevoked, { once: true });
    if (options.signal?.aborted === true) onShutdown();
    else options.signal?.addEventListener('abort', onShutdown, { once: true });
  };

  const handle = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const onSocketError = (): void => undefined;
    socket.on('error', onSocketError);
    if (closed || options.signal?.aborted === true) {
      socket.destroy();
      return;
    }
    const handshake = checkHandshake(request);
    if (!handshake.ok) {
      const headers: Record<string, string> | undefined =
        handshake.reason === 'version' ? { 'sec-websocket-version': '13' } : undefined;
      refuse(request, socket, new InvalidRequestError('websocket-handshake'), headers);
      return;
    }

    let settled = false;
    let gone = false;
    const onGone = (): void => {
      gone = true;
    };
    socket.once('close', onGone);
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      refuse(request, socket, new StoreUnavailableError('timeout'));
    }, handshakeTimeoutMs);
    timer.unref();

    (async () => {
      const { identity, source } = await authenticate(request, {
        verify: options.verify,
        cookieName: options.cookieName,
        allowQuery: options.allowQuery,
        queryParam: options.queryParam,
      });
      const origin = checkOrigin({
        origin: headerOf(request, 'origin'),
        host: headerOf(request, 'host'),
        source,
        method: request.method ?? 'GET',
        allowedOrigins: options.allowedOrigins,
        isUpgrade: true,
      });
      if (!origin.ok) throw new ForbiddenError('origin');
      await options.authorize?.(identity, request);
      const lease = await options.register(identity, request);
      return { identity, source, lease };
    })().then(
      ({ identity, source, lease }) => {
        clearTimeout(timer);
        socket.off('close', onGone);
        if (settled || gone || closed) {
          // Answered already (deadline) or nobody is there any more: the lease must not outlive it.
          lease.release();
          if (!settled) socket.destroy();
          settled = true;
          return;
        }
        settled = true;
        if (lease.signal.aborted) {
          // Logged out between registration and now: refuse rather than upgrade.
          lease.release();
          const reason = lease.signal.reason;
          refuse(request, socket, LatchkeyError.is(reason) ? reason : new SessionRevokedError('logout'));
          return;
        }
        let upgraded = false;
        try {
          server.handleUpgrade(request, socket, head, (ws) => {
            upgraded = true;
            socket.off('error', onSocketError);
            open(request, ws, identity, source, lease);
          });
        } finally {
          // `ws` completes the upgrade synchronously here (no verifyClient); when it did not (the client
          // half-closed meanwhile, so it destroyed the socket), the lease goes.
          if (!upgraded) {
            lease.release();
            socket.destroy();
          }
        }
      },
      (error: unknown) => {
        clearTimeout(timer);
        socket.off('close', onGone);
        if (settled) return;
        settled = true;
        refuse(request, socket, error);
      },
    );
  };

  const gate = handle as UpgradeGate;
  Object.defineProperty(gate, 'sessions', { get: () => live.size, enumerable: true });
  Object.defineProperty(gate, 'close', {
    enumerable: true,
    value: () => {
      if (closed) return;
      closed = true;
      for (const session of [...live]) session.end(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      server.close();
    },
  });
  return gate;
}
