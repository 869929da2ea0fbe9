import { publicError } from './error-response.js';

/**
 * What a stream holds while it is open: a registry lease (`@latchkey/registry`'s `Lease` fits). The
 * stream ends when `signal` aborts (logout, shutdown) and calls `release()` exactly once when it ends
 * for any reason, the client going away included.
 */
export interface EventStreamLease {
  readonly signal: AbortSignal;
  release(): void;
}

/** One server-sent event. */
export interface ServerSentEvent {
  /** The event type (`event:`); without it the client sees a `message`. No CR or LF. */
  readonly event?: string | undefined;
  /** A string is sent as is (one `data:` line per line); anything else as JSON. Default `''`. */
  readonly data?: unknown;
  /** The event id (`id:`), echoed by a reconnecting client in `Last-Event-ID`. No CR, LF or NUL. */
  readonly id?: string | undefined;
  /** Reconnection delay the client should use (`retry:`), in milliseconds. */
  readonly retryMs?: number | undefined;
}

/** What a producer writes to. */
export interface EventSink {
  /** Sends one event; `false` (and nothing sent) once the stream has ended. Throws `TypeError` for a bad event. */
  send(event: ServerSentEvent): boolean;
  /** Ends the stream normally (no `end` event: send your own first if the client should not reconnect). */
  close(): void;
  /** Aborts when the stream ends, for any reason: stop producing (clear your timers) on `abort`. */
  readonly signal: AbortSignal;
}

/** Why a stream ended, as `onEnd` reports it. */
export type EventStreamEndReason =
  /** The lease's signal aborted (logout, shutdown): an `end` event was sent, then the stream closed. */
  | 'aborted'
  /** The client went away (the body was cancelled, the connection closed). */
  | 'client-gone'
  /** The producer called `sink.close()`. */
  | 'closed'
  /** The producer threw or rejected: an `end` event with `INTERNAL` (or its error's code) was sent. */
  | 'producer-failed'
  /** The client read too slowly and more than `maxBufferedBytes` waited: the stream was dropped. */
  | 'overflow';

/** Options of {@link createEventStream} and {@link writeEventStream}. */
export interface EventStreamOptions {
  /** Something is sent at least this often (milliseconds), so proxies and clients see a live stream. Default 1000. */
  readonly heartbeatMs?: number | undefined;
  /**
   * `event` (default): a `heartbeat` event with data `{"seq":n}`, which `EventSource` listeners see
   * (DESIGN.md's "an event at least every second"). `comment`: a `:` comment line, invisible to them.
   */
  readonly heartbeat?: 'event' | 'comment' | undefined;
  /** Sent first as `retry:`, the client's reconnection delay in milliseconds. Default none. */
  readonly retryMs?: number | undefined;
  /** Starts producing events; called once, right after the stream opens (not at all if the lease is already aborted). */
  readonly produce?: ((sink: EventSink) => void | Promise<void>) | undefined;
  /** Most bytes waiting for a slow client before the stream is dropped (`overflow`). Default 1 MiB. */
  readonly maxBufferedBytes?: number | undefined;
  /** Extra response headers (the SSE ones cannot be overridden). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Called once when the stream ends, after `lease.release()`. Exceptions it throws are swallowed. */
  readonly onEnd?: ((reason: EventStreamEndReason) => void) | undefined;
}

/** The response headers of every event stream. */
const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // nginx buffers responses unless told not to; a buffered stream shows no heartbeat.
  'x-accel-buffering': 'no',
});

const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_MAX_BUFFERED_BYTES = 1_048_576;
const MAX_TIMER_MS = 2_147_483_647;
const LINE_BREAK = /\r\n|\r|\n/;
const NO_LINE_BREAK = /^[^\r\n]*$/;
const NO_LINE_BREAK_OR_NUL = /^[^\r\n\0]*$/;

/**
 * One event in the `text/event-stream` wire format (WHATWG HTML §9.2), ending with the blank line
 * that dispatches it. Multi-line string data becomes several `data:` lines; other data is JSON.
 *
 * @example
 * ```ts
 * formatServerSentEvent({ event: 'deploy', data: { app: 'web' }, id: '7' });
 * // 'event: deploy\nid: 7\ndata: {"app":"web"}\n\n'
 * ```
 */
export function formatServerSentEvent(event: ServerSentEvent): string {
  if (typeof event !== 'object' || event === null) throw new TypeError('an event must be an object');
  const { event: type, id, retryMs, data = '' } = event;
  let text = '';
  if (type !== undefined) {
    if (typeof type !== 'string' || !NO_LINE_BREAK.test(type)) {
      throw new TypeError('event must be a string without line breaks');
    }
    text += `event: ${type}\n`;
  }
  if (id !== undefined) {
    if (typeof id !== 'string' || !NO_LINE_BREAK_OR_NUL.test(id)) {
      throw new TypeError('id must be a string without line breaks or NUL');
    }
    text += `id: ${id}\n`;
  }
  if (retryMs !== undefined) {
    if (!Number.isSafeInteger(retryMs) || retryMs < 0) throw new TypeError('retryMs must be an integer >= 0');
    text += `retry: ${retryMs}\n`;
  }
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  if (typeof payload !== 'string') throw new TypeError('data must be a string or JSON-serialisable');
  for (const line of payload.split(LINE_BREAK)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** The `end` event sent when the lease aborts or the producer fails: `{ code, message }` only. */
function endEvent(reason: unknown): string {
  const { code, message } = publicError(reason);
  return formatServerSentEvent({ event: 'end', data: { code, message } });
}

/** How the core writes to either runtime. */
interface Transport {
  /** Queues text; `false` when more than the buffer limit is already waiting. */
  write(text: string): boolean;
  /** Writes `last` (if any) and ends the body cleanly. */
  end(last: string | undefined): void;
  /** Drops the body (the client is too slow). */
  destroy(): void;
}

interface Checked {
  readonly heartbeatMs: number;
  readonly heartbeat: 'event' | 'comment';
  readonly first: string;
  readonly maxBufferedBytes: number;
}

function check(lease: EventStreamLease, options: EventStreamOptions, caller: string): Checked {
  if (typeof lease !== 'object' || lease === null || typeof lease.release !== 'function') {
    throw new TypeError(`${caller}: lease must be { signal, release() }`);
  }
  const { signal } = lease;
  if (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function') {
    throw new TypeError(`${caller}: lease.signal must be an AbortSignal`);
  }
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs > MAX_TIMER_MS) {
    throw new TypeError(`${caller}: heartbeatMs must be a positive integer`);
  }
  const heartbeat = options.heartbeat ?? 'event';
  if (heartbeat !== 'event' && heartbeat !== 'comment') {
    throw new TypeError(`${caller}: heartbeat must be 'event' or 'comment'`);
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 1) {
    throw new TypeError(`${caller}: maxBufferedBytes must be a positive integer`);
  }
  if (options.produce !== undefined && typeof options.produce !== 'function') {
    throw new TypeError(`${caller}: produce must be a function`);
  }
  if (options.onEnd !== undefined && typeof options.onEnd !== 'function') {
    throw new TypeError(`${caller}: onEnd must be a function`);
  }
  const { retryMs } = options;
  if (retryMs !== undefined && (!Number.isSafeInteger(retryMs) || retryMs < 0)) {
    throw new TypeError(`${caller}: retryMs must be an integer >= 0`);
  }
  // Something goes out at once, so the headers reach the client without waiting for a first event.
  const first = retryMs === undefined ? ':\n\n' : `retry: ${retryMs}\n\n`;
  return { heartbeatMs, heartbeat, first, maxBufferedBytes };
}

/** Extra headers first, then the SSE ones, which win. */
function responseHeaders(options: EventStreamOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return Object.assign(headers, SSE_HEADERS);
}

/**
 * The runtime-independent life of a stream: heartbeat, producer, end on abort, exactly one release.
 * Returns `stop`, which the transport calls when the client goes away.
 */
function run(
  lease: EventStreamLease,
  options: EventStreamOptions,
  checked: Checked,
  transport: Transport,
): (reason: EventStreamEndReason) => void {
  const producerSignal = new AbortController();
  let ended = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let seq = 0;

  const finish = (reason: EventStreamEndReason): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearInterval(timer);
    lease.signal.removeEventListener('abort', onAbort);
    producerSignal.abort();
    try {
      lease.release();
    } catch {
      // A release that throws must not keep the rest of the cleanup from running, nor crash a 'close' handler.
    }
    try {
      options.onEnd?.(reason);
    } catch {
      // Reporting never changes how the stream ended.
    }
  };

  const write = (text: string): boolean => {
    if (ended) return false;
    if (transport.write(text)) return true;
    transport.destroy();
    finish('overflow');
    return false;
  };

  const endWith = (last: string | undefined, reason: EventStreamEndReason): void => {
    if (ended) return;
    try {
      transport.end(last);
    } catch {
      // The body is already gone (the consumer cancelled it): nothing to end.
    }
    finish(reason);
  };

  function onAbort(): void {
    endWith(endEvent(lease.signal.reason), 'aborted');
  }

  if (lease.signal.aborted) {
    write(checked.first);
    onAbort();
    return finish;
  }
  lease.signal.addEventListener('abort', onAbort, { once: true });
  write(checked.first);
  timer = setInterval(() => {
    seq += 1;
    write(checked.heartbeat === 'event' ? `event: heartbeat\ndata: {"seq":${seq}}\n\n` : ':\n\n');
  }, checked.heartbeatMs);
  // A stream no one reads must not keep a process alive on its own; the server's socket does that.
  (timer as { unref?: () => void }).unref?.();

  const { produce } = options;
  if (produce !== undefined) {
    const sink: EventSink = {
      send: (event) => (ended ? false : write(formatServerSentEvent(event))),
      close: () => endWith(undefined, 'closed'),
      signal: producerSignal.signal,
    };
    const fail = (error: unknown): void => endWith(endEvent(error), 'producer-failed');
    try {
      const result = produce(sink);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(undefined, fail);
      }
    } catch (error) {
      fail(error);
    }
  }
  return finish;
}

/**
 * A server-sent events `Response` that lives as long as a lease: something at least every
 * `heartbeatMs` (a `heartbeat` event by default), events from `produce`, an `end` event
 * (`data: {"code","message"}`, e.g. `SESSION_REVOKED`) and a clean close when `lease.signal` aborts.
 * `lease.release()` is called exactly once when the stream ends for any reason — including the
 * consumer cancelling the body (what a node bridge does when the client goes away) — and every timer
 * is cleared then. A client that reads too slowly for `maxBufferedBytes` gets its stream dropped.
 *
 * @example
 * ```ts
 * const lease = await registry.register(identity.userId, { issuedAtMs: claims.issuedAtMs, kind: 'events' });
 * return createEventStream(lease, {
 *   produce: (sink) => { sink.send({ event: 'ready', data: { user: identity.userId } }); },
 * });
 * ```
 */
export function createEventStream(lease: EventStreamLease, options: EventStreamOptions = {}): Response {
  const checked = check(lease, options, 'createEventStream');
  const encoder = new TextEncoder();
  let stop: ((reason: EventStreamEndReason) => void) | undefined;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stop = run(lease, options, checked, {
          write(text) {
            // desiredSize is the room left below highWaterMark (maxBufferedBytes); null once errored.
            const room = controller.desiredSize;
            if (room === null || room <= 0) return false;
            controller.enqueue(encoder.encode(text));
            return true;
          },
          end(last) {
            if (last !== undefined) controller.enqueue(encoder.encode(last));
            controller.close();
          },
          destroy() {
            controller.error(new Error('event stream client too slow'));
          },
        });
        // A cancel that raced start (it cannot, but stay total) still releases.
        if (cancelled) stop('client-gone');
      },
      cancel() {
        cancelled = true;
        stop?.('client-gone');
      },
    },
    { highWaterMark: checked.maxBufferedBytes, size: (chunk) => chunk.byteLength },
  );
  return new Response(body, { status: 200, headers: responseHeaders(options) });
}

/**
 * The node:http form of {@link createEventStream}: writes a server-sent events answer to `res` for as
 * long as the lease lives. `lease.release()` is called exactly once — when the lease aborts (after an
 * `end` event), when the producer closes, or when the client goes away (`'close'` on the response),
 * also when the client had already left before this was called. Resolves, never rejects, with why the
 * stream ended.
 *
 * @example
 * ```ts
 * server.on('request', async (req, res) => {
 *   const lease = await registry.register(userId, { issuedAtMs, kind: 'events' });
 *   await writeEventStream(res, lease, { produce: (sink) => { sink.send({ event: 'ready' }); } });
 * });
 * ```
 */
export function writeEventStream(
  res: EventStreamResponse,
  lease: EventStreamLease,
  options: EventStreamOptions = {},
): Promise<EventStreamEndReason> {
  const checked = check(lease, options, 'writeEventStream');
  if (typeof res !== 'object' || res === null || typeof res.write !== 'function') {
    throw new TypeError('writeEventStream: res must be a node:http ServerResponse');
  }
  if (res.headersSent) throw new TypeError('writeEventStream: the response has already started');
  return new Promise<EventStreamEndReason>((resolve) => {
    const onEnd = options.onEnd;
    const settled: EventStreamOptions = {
      ...options,
      onEnd: (reason) => {
        res.off('close', onClose);
        try {
          onEnd?.(reason);
        } finally {
          resolve(reason);
        }
      },
    };
    let stop: ((reason: EventStreamEndReason) => void) | undefined;
    let closed = false;
    function onClose(): void {
      closed = true;
      stop?.('client-gone');
    }
    // The client may have left before the answer started: then 'close' has already fired and will
    // not again, so look before listening.
    if (res.destroyed || res.writableEnded) {
      try {
        lease.release();
      } catch {
        // As in `run`: a throwing release changes nothing about the outcome.
      }
      try {
        settled.onEnd?.('client-gone');
      } catch {
        // Reporting never changes how the stream ended.
      }
      return;
    }
    res.on('close', onClose);
    res.writeHead(200, responseHeaders(options));
    stop = run(lease, settled, checked, {
      write(text) {
        if (res.writableLength > checked.maxBufferedBytes) return false;
        res.write(text);
        return true;
      },
      end(last) {
        if (last === undefined) res.end();
        else res.end(last);
      },
      destroy() {
        res.destroy();
      },
    });
    if (closed) stop('client-gone');
  });
}

/** The parts of a node:http `ServerResponse` {@link writeEventStream} uses. */
export interface EventStreamResponse {
  readonly destroyed: boolean;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): unknown;
  end(chunk?: string): unknown;
  destroy(): unknown;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}
