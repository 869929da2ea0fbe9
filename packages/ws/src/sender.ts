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

// A class rather than closures: one sender per connection, so its methods live on the prototype.
class BackpressureSender implements Sender {
  readonly #socket: SendSocket;
  readonly #high: number;
  readonly #hard: number;
  readonly #stallMs: number;
  readonly #pollMs: number;
  readonly #onOverflow: (socket: SendSocket) => void;
  #closed = false;
  #overflowed = false;
  #pausedSince: number | undefined;
  #poll: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> | undefined;

  constructor(socket: SendSocket, options: SenderOptions & { readonly onOverflow: (socket: never) => void }) {
    this.#socket = socket;
    this.#high = positive(options.highWaterMarkBytes ?? 262_144, 'highWaterMarkBytes');
    this.#hard = positive(options.hardMarkBytes ?? 4_194_304, 'hardMarkBytes');
    this.#stallMs = positive(options.stallTimeoutMs ?? 30_000, 'stallTimeoutMs');
    this.#pollMs = positive(options.pollIntervalMs ?? 20, 'pollIntervalMs');
    if (this.#hard < this.#high) throw new TypeError('hardMarkBytes must be at least highWaterMarkBytes');
    this.#onOverflow = options.onOverflow as (socket: SendSocket) => void;
  }

  send(data: string | Uint8Array): boolean {
    if (this.#closed || this.#socket.readyState !== OPEN) return false;
    this.#socket.send(data);
    const buffered = this.#socket.bufferedAmount;
    if (buffered > this.#hard) {
      this.#overflow();
      return false;
    }
    if (buffered <= this.#high) return this.#pausedSince === undefined;
    this.#pausedSince ??= performance.now();
    if (this.#poll === undefined) {
      this.#poll = setInterval(() => this.#check(), this.#pollMs);
      this.#poll.unref();
    }
    return false;
  }

  ready(): Promise<void> {
    if (this.#closed || this.#pausedSince === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters ??= [];
      this.#waiters.push(resolve);
    });
  }

  get paused(): boolean {
    return this.#pausedSince !== undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPoll();
    this.#wake();
  }

  #check(): void {
    if (this.#closed) return;
    if (this.#socket.bufferedAmount <= this.#high / 2) {
      this.#pausedSince = undefined;
      this.#stopPoll();
      this.#wake();
    } else if (this.#pausedSince !== undefined && performance.now() - this.#pausedSince >= this.#stallMs) {
      this.#overflow();
    }
  }

  #overflow(): void {
    if (this.#overflowed) return;
    this.#overflowed = true;
    this.close();
    this.#onOverflow(this.#socket);
  }

  #stopPoll(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
  }

  #wake(): void {
    const pending = this.#waiters;
    this.#waiters = undefined;
    if (pending !== undefined) for (const resolve of pending) resolve();
  }
}

/**
 * A small ordered sender: messages go out in call order; above `highWaterMarkBytes` of
 * `bufferedAmount` it tells the producer to pause; a consumer that stays above the mark for
 * `stallTimeoutMs`, or a send that pushes the buffer past `hardMarkBytes`, calls `onOverflow` once
 * (close the connection there; it gets the socket, so one function can serve every sender). The
 * watchdog polls only while paused.
 *
 * @example
 * ```ts
 * const sender = createSender(socket, { onOverflow: (slow) => slow.terminate() });
 * if (!sender.send(chunk)) await sender.ready();
 * ```
 */
export function createSender<S extends SendSocket>(
  socket: S,
  options: SenderOptions & { readonly onOverflow: (socket: S) => void },
): Sender {
  return new BackpressureSender(socket, options);
}
