/** The part of a `ws` WebSocket the heartbeat uses. */
export interface PingSocket {
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  off(event: 'pong', listener: () => void): unknown;
}

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  /** Time between pings, in milliseconds. Default 4,000 (something reaches the client every 5 s). */
  readonly intervalMs?: number | undefined;
  /** Pings in a row without a pong before `onDead`. Default 5: a silent peer is dropped after 20–24 s. */
  readonly maxMissedPongs?: number | undefined;
  /** Called once when the peer stopped answering; the caller terminates the connection. */
  readonly onDead: () => void;
}

/** Default ping interval, in milliseconds. */
export const DEFAULT_PING_INTERVAL_MS = 4_000;
/** Default number of unanswered pings before a connection is dead. */
export const DEFAULT_MAX_MISSED_PONGS = 5;

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Pings every `intervalMs` and calls `onDead` once `maxMissedPongs` pings in a row went unanswered, so
 * a half-open connection (a laptop closed, a NAT that dropped the flow) is found within
 * `intervalMs × (maxMissedPongs + 1)`. Returns the function that stops it; the timer is `unref`ed.
 *
 * @example
 * ```ts
 * const stop = startHeartbeat(socket, { onDead: () => socket.terminate() });
 * socket.once('close', stop);
 * ```
 */
export function startHeartbeat(socket: PingSocket, options: HeartbeatOptions): () => void {
  const intervalMs = positiveInteger(options.intervalMs ?? DEFAULT_PING_INTERVAL_MS, 'intervalMs');
  const maxMissed = positiveInteger(options.maxMissedPongs ?? DEFAULT_MAX_MISSED_PONGS, 'maxMissedPongs');
  let missed = 0;
  let stopped = false;
  const onPong = (): void => {
    missed = 0;
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    socket.off('pong', onPong);
  };
  const timer = setInterval(() => {
    if (missed >= maxMissed) {
      stop();
      options.onDead();
      return;
    }
    missed++;
    try {
      socket.ping();
    } catch {
      // Not open any more: the close handler stops the heartbeat.
    }
  }, intervalMs);
  timer.unref();
  socket.on('pong', onPong);
  return stop;
}
