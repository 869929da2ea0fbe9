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
import { createHeartbeat, type Heartbeat, type HeartbeatOptions } from './heartbeat.js';
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
  /** Ordered sends with backpressure; a consumer that stops reading is closed with 1008. */
  readonly sender: Sender;
  /**
   * Aborts when the session ends, whatever ended it (logout, close, heartbeat, shutdown, `end`): stop
   * producing there. Its reason is the error that ended it, when there was one.
   */
  readonly signal: AbortSignal;
  /** `true` once the session ended (the cheap way to ask: reading `signal` creates its controller). */
  readonly ended: boolean;
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
  /**
   * Called with each upgraded session, its lease already held, and the handshake request (keep from it
   * only what you need: the gate itself holds nothing of it once the session is open).
   */
  readonly onSession: (session: WsSession<Identity>, request: IncomingMessage) => void;
  /** Largest message accepted, in bytes; a larger one closes with 1009. Default 1 MiB. */
  readonly maxPayloadBytes?: number | undefined;
  /** Authentication, checks and registration must finish within this; else 503. Default 5,000 ms. */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Ping interval and missed pongs (one shared timer for every session), or `false` for none. */
  readonly heartbeat?: HeartbeatOptions | false | undefined;
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

/** What every session of one gate shares. */
interface Shared<Identity> {
  readonly live: Set<GateSession<Identity>>;
  readonly heartbeat: Heartbeat | undefined;
  readonly closeGraceMs: number;
  readonly errorFrame: (body: { code: string; message: string }) => string | undefined;
  readonly senderOptions: SenderOptions & { readonly onOverflow: (socket: Tagged) => void };
  readonly shutdown: AbortSignal | undefined;
}

const SESSION = Symbol('latchkey.ws.session');
type Tagged = WebSocket & { [SESSION]?: GateSession<unknown> };

// Listeners shared by every session (`this` is the socket): a session costs no closures for them.
function onSocketClose(this: Tagged): void {
  this[SESSION]?.closed();
}
function onSlowConsumer(socket: Tagged): void {
  socket[SESSION]?.slow();
}
function onDeadPeer(socket: Tagged): void {
  socket[SESSION]?.dead();
}
function ignoreError(): void {
  // `ws` closes the connection itself after an error (1009, 1002, …); without a listener it would throw.
}

/**
 * One open connection. A class, not closures: thousands of idle sessions share its methods. Its
 * `AbortController` is made only when `signal` is first read.
 */
class GateSession<Identity> implements WsSession<Identity> {
  readonly socket: WebSocket;
  readonly identity: Identity;
  readonly source: CredentialSource;
  readonly sender: Sender;
  readonly #shared: Shared<Identity>;
  readonly #lease: GateLease;
  #ended: AbortController | undefined;
  #endReason: unknown;
  #done = false;
  #ending = false;
  #grace: NodeJS.Timeout | undefined;

  constructor(
    shared: Shared<Identity>,
    socket: WebSocket,
    identity: Identity,
    source: CredentialSource,
    lease: GateLease,
  ) {
    this.#shared = shared;
    this.socket = socket;
    this.identity = identity;
    this.source = source;
    this.#lease = lease;
    this.sender = createSender(socket as Tagged, shared.senderOptions);
    (socket as Tagged)[SESSION] = this as GateSession<unknown>;
    socket.on('error', ignoreError);
    // `on`, not `once`: 'close' fires once, and `once` would wrap the shared listener per session.
    socket.on('close', onSocketClose);
    shared.live.add(this);
  }

  get signal(): AbortSignal {
    if (this.#ended === undefined) {
      this.#ended = new AbortController();
      if (this.#done) this.#ended.abort(this.#endReason);
    }
    return this.#ended.signal;
  }

  get ended(): boolean {
    return this.#done;
  }

  /** Starts the heartbeat and follows the lease and the shutdown signal. */
  watch(): void {
    if (this.#ending) return;
    const { heartbeat, shutdown } = this.#shared;
    heartbeat?.add(this.socket as Tagged, onDeadPeer);
    // Registered before the 101: a logout since then has already aborted the signal.
    if (this.#lease.signal.aborted) this.fail(this.#lease.signal.reason);
    else this.#lease.signal.addEventListener('abort', this, { once: true });
    if (shutdown?.aborted === true) this.#goAway();
    else shutdown?.addEventListener('abort', this, { once: true });
  }

  /** The lease or the shutdown signal aborted (EventTarget listener object: no closure per session). */
  handleEvent(): void {
    if (this.#lease.signal.aborted) this.fail(this.#lease.signal.reason);
    else this.#goAway();
  }

  end(code: number, reason?: string, finalFrame?: string): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#finish(undefined);
    this.sender.close();
    const { socket } = this;
    try {
      if (finalFrame !== undefined && socket.readyState === socket.OPEN) socket.send(finalFrame);
      socket.close(code, reason);
    } catch {
      socket.terminate();
      return;
    }
    this.#grace = setTimeout(() => socket.terminate(), this.#shared.closeGraceMs);
    this.#grace.unref();
  }

  fail(error: unknown): void {
    if (this.#ending) return;
    this.#finish(error);
    const body = errorBody(error);
    this.end(closeCodeFor(error), body.code, this.#shared.errorFrame(body));
  }

  /** The sender found the peer not reading: close it (1008), terminated after the grace period. */
  slow(): void {
    this.#finish(new Error('slow consumer'));
    this.end(CLOSE_CODES.POLICY, 'slow consumer');
  }

  /** The heartbeat found the peer silent: no close handshake with it, just drop it. */
  dead(): void {
    this.#finish(new Error('peer stopped answering pings'));
    this.socket.terminate();
  }

  /** The socket closed, whatever closed it. */
  closed(): void {
    const { live, shutdown, heartbeat } = this.#shared;
    live.delete(this);
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    heartbeat?.delete(this.socket);
    this.sender.close();
    this.#lease.signal.removeEventListener('abort', this);
    shutdown?.removeEventListener('abort', this);
    this.#lease.release();
    this.#finish(undefined);
  }

  #goAway(): void {
    this.#finish(new Error('server shutting down'));
    this.end(CLOSE_CODES.GOING_AWAY, 'server shutting down');
  }

  /** Marks the session ended (first reason wins) and aborts `signal` if it was read. */
  #finish(reason: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#endReason = reason;
    this.#ended?.abort(reason);
  }
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
  const live = new Set<GateSession<Identity>>();
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

  const heartbeat = options.heartbeat === false ? undefined : createHeartbeat(options.heartbeat);
  const shared: Shared<Identity> = {
    live,
    heartbeat,
    closeGraceMs,
    errorFrame,
    senderOptions: { ...options.sender, onOverflow: onSlowConsumer },
    shutdown: options.signal,
  };

  const open = (
    request: IncomingMessage,
    socket: WebSocket,
    identity: Identity,
    source: CredentialSource,
    lease: GateLease,
  ): void => {
    const session = new GateSession(shared, socket, identity, source, lease);
    try {
      options.onSession(session, request);
    } catch (error) {
      session.fail(error);
      return;
    }
    session.watch();
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
      heartbeat?.close();
      server.close();
    },
  });
  return gate;
}
