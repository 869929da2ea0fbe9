/** The part of a `ws` WebSocket the heartbeat uses. */
export interface PingSocket {
  ping(): void;
  on(event: 'pong', listener: (this: PingSocket) => void): unknown;
  off(event: 'pong', listener: (this: PingSocket) => void): unknown;
}

/** Options of {@link createHeartbeat}. */
export interface HeartbeatOptions {
  /** Time between pings, in milliseconds. Default 4,000 (something reaches each client every 5 s). */
  readonly intervalMs?: number | undefined;
  /** Pings in a row without a pong before a peer is dead. Default 4: a silent peer goes within 20 s. */
  readonly maxMissedPongs?: number | undefined;
}

/** One ticker pinging every socket it holds. */
export interface Heartbeat {
  /**
   * Starts watching `socket`: pinged every tick; `onDead(socket)` is called once (and the socket
   * dropped from the heartbeat) after `maxMissedPongs` ticks in a row without a pong. One `onDead`
   * function can serve every socket. Adding a socket twice throws a `TypeError`.
   */
  add<S extends PingSocket>(socket: S, onDead: (socket: S) => void): void;
  /** Stops watching `socket` (closed, or ended otherwise). Unknown sockets are ignored. */
  delete(socket: PingSocket): void;
  /** Sockets watched now. */
  readonly size: number;
  /** Stops the ticker and forgets every socket. Idempotent. */
  close(): void;
}

/** Default ping interval, in milliseconds. */
export const DEFAULT_PING_INTERVAL_MS = 4_000;
/** Default number of unanswered pings before a connection is dead. */
export const DEFAULT_MAX_MISSED_PONGS = 4;

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

interface Watched {
  missed: number;
  readonly onDead: (socket: never) => void;
}

/**
 * A heartbeat for many sockets on one timer: every `intervalMs` each socket is pinged, and one that
 * let `maxMissedPongs` pings in a row go unanswered is reported dead, so a half-open connection (a
 * laptop closed, a NAT that dropped the flow) is found within `intervalMs × (maxMissedPongs + 1)`. One
 * shared `unref`ed timer and one shared pong listener: a watched socket costs a map entry, not a timer.
 *
 * @example
 * ```ts
 * const heartbeat = createHeartbeat({ intervalMs: 4_000 });
 * heartbeat.add(socket, (dead) => dead.terminate());
 * socket.once('close', () => heartbeat.delete(socket));
 * ```
 */
export function createHeartbeat(options: HeartbeatOptions = {}): Heartbeat {
  const intervalMs = positiveInteger(options.intervalMs ?? DEFAULT_PING_INTERVAL_MS, 'intervalMs');
  const maxMissed = positiveInteger(options.maxMissedPongs ?? DEFAULT_MAX_MISSED_PONGS, 'maxMissedPongs');
  const watched = new Map<PingSocket, Watched>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function onPong(this: PingSocket): void {
    const entry = watched.get(this);
    if (entry !== undefined) entry.missed = 0;
  }
  const remove = (socket: PingSocket): void => {
    if (!watched.delete(socket)) return;
    socket.off('pong', onPong);
    if (watched.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const tick = (): void => {
    for (const [socket, entry] of [...watched]) {
      if (entry.missed >= maxMissed) {
        remove(socket);
        (entry.onDead as (socket: PingSocket) => void)(socket);
        continue;
      }
      entry.missed++;
      try {
        socket.ping();
      } catch {
        // Not open any more: its close handler removes it.
      }
    }
  };

  return {
    add(socket, onDead) {
      if (closed) throw new TypeError('the heartbeat is closed');
      if (watched.has(socket)) throw new TypeError('socket is already watched');
      watched.set(socket, { missed: 0, onDead });
      socket.on('pong', onPong);
      if (timer === undefined) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
    },
    delete: remove,
    get size() {
      return watched.size;
    },
    close() {
      closed = true;
      for (const socket of [...watched.keys()]) remove(socket);
    },
  };
}
