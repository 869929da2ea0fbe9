/** The part of a `ws` WebSocket the sender uses. */
export interface SendSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
}

/** Options of {@link createSender}. */
export interface SenderOptions {
  /** Above this many buffered bytes, `send` returns `false`: the producer pauses. Default 256 KiB. */
  readonly highWaterMarkBytes?: number | undefined;
  /** A send that leaves more than this buffered means the producer ignored the pause: `onOverflow`. Default 4 MiB. */
  readonly hardMarkBytes?: number | undefined;
  /** A consumer that stays above the high-water mark this long is dropped: `onOverflow`. Default 30,000 ms. */
  readonly stallTimeoutMs?: number | undefined;
  /** How often `bufferedAmount` is read while paused, in milliseconds. Default 20. */
  readonly pollIntervalMs?: number | undefined;
}

/** An ordered sender with backpressure over one WebSocket. */
export interface Sender {
  /**
   * Sends one message, in order. Returns `true` while the producer may go on, `false` once more than
   * the high-water mark is buffered (wait for {@link Sender.ready}) or once the sender is closed (the
   * message is then dropped).
   */
  send(data: string | Uint8Array): boolean;
  /** Resolves when the buffer has drained to half the high-water mark, or when the sender closes. */
  ready(): Promise<void>;
  /** Whether the producer should be paused now. */
  readonly paused: boolean;
  /** Stops the watchdog and drops later sends; pending `ready()` calls resolve. Idempotent. */
  close(): void;
}

const OPEN = 1;

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/**
 * A small ordered sender: messages go out in call order; above `highWaterMarkBytes` of
 * `bufferedAmount` it tells the producer to pause; a consumer that stays above the mark for
 * `stallTimeoutMs`, or a send that pushes the buffer past `hardMarkBytes`, calls `onOverflow` once
 * (close the connection there). The watchdog polls only while paused.
 *
 * @example
 * ```ts
 * const sender = createSender(socket, { onOverflow: () => socket.terminate() });
 * if (!sender.send(chunk)) await sender.ready();
 * ```
 */
export function createSender(
  socket: SendSocket,
  options: SenderOptions & { readonly onOverflow: () => void },
): Sender {
  const high = positive(options.highWaterMarkBytes ?? 262_144, 'highWaterMarkBytes');
  const hard = positive(options.hardMarkBytes ?? 4_194_304, 'hardMarkBytes');
  const stallMs = positive(options.stallTimeoutMs ?? 30_000, 'stallTimeoutMs');
  const pollMs = positive(options.pollIntervalMs ?? 20, 'pollIntervalMs');
  if (hard < high) throw new TypeError('hardMarkBytes must be at least highWaterMarkBytes');
  const low = high / 2;
  let closed = false;
  let overflowed = false;
  let pausedSince: number | undefined;
  let poll: NodeJS.Timeout | undefined;
  let waiters: Array<() => void> = [];

  const wake = (): void => {
    const pending = waiters;
    waiters = [];
    for (const resolve of pending) resolve();
  };
  const stopPoll = (): void => {
    if (poll !== undefined) clearInterval(poll);
    poll = undefined;
  };
  const overflow = (): void => {
    if (overflowed) return;
    overflowed = true;
    sender.close();
    options.onOverflow();
  };
  const check = (): void => {
    if (closed) return;
    const buffered = socket.bufferedAmount;
    if (buffered <= low) {
      pausedSince = undefined;
      stopPoll();
      wake();
    } else if (pausedSince !== undefined && performance.now() - pausedSince >= stallMs) {
      overflow();
    }
  };

  const sender: Sender = {
    send(data) {
      if (closed || socket.readyState !== OPEN) return false;
      socket.send(data);
      const buffered = socket.bufferedAmount;
      if (buffered > hard) {
        overflow();
        return false;
      }
      if (buffered <= high) return pausedSince === undefined;
      pausedSince ??= performance.now();
      if (poll === undefined) {
        poll = setInterval(check, pollMs);
        poll.unref();
      }
      return false;
    },
    ready() {
      if (closed || pausedSince === undefined) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    get paused() {
      return pausedSince !== undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      stopPoll();
      wake();
    },
  };
  return sender;
}
