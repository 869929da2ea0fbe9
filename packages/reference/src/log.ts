/** One structured log line: an event name and flat, token-free fields. */
export type LogFields = Readonly<Record<string, unknown>>;

/** JSON-line logger. Every call writes exactly one line; fields never carry tokens or key material. */
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Where log lines go: anything with `write(line)`, such as `process.stderr`. */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * Creates a logger writing one JSON object per line to `sink` (stderr by default, so stdout stays
 * reserved for the `listening on …` line).
 *
 * @example
 * ```ts
 * const log = createLogger({ name: 'router' });
 * log.warn('security', { type: 'session-target-mismatch', sessionId });
 * ```
 */
export function createLogger(options: { name: string; sink?: LogSink; now?: () => Date }): Logger {
  const sink = options.sink ?? process.stderr;
  const now = options.now ?? (() => new Date());
  const write = (level: string, event: string, fields: LogFields | undefined): void => {
    let line: string;
    try {
      line = JSON.stringify({ time: now().toISOString(), level, server: options.name, event, ...fields });
    } catch {
      // A field that cannot be serialised (a cycle, a BigInt) must not take the request down with it.
      line = JSON.stringify({ time: now().toISOString(), level, server: options.name, event });
    }
    sink.write(`${line}\n`);
  };
  return {
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}

/**
 * A logger that drops everything, for tests and embedded in-process sandboxes.
 *
 * @example
 * ```ts
 * const app = createSandboxApp({ ...deps, log: silentLogger });
 * ```
 */
export const silentLogger: Logger = Object.freeze({
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/**
 * Log fields describing an error without token or key material: its name, and for a `LatchkeyError`
 * its code and reason; for its cause (a store client's error, say) the name and message, which say
 * "connect ECONNREFUSED" or "CLUSTERDOWN", never a value.
 *
 * @example
 * ```ts
 * log.warn('store-error', errorFields(error));
 * ```
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: typeof error };
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  const cause = (error as { cause?: unknown }).cause;
  return {
    error: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(error.name !== 'LatchkeyError' && !('reason' in error) ? { message: error.message } : {}),
    ...(cause instanceof Error ? { cause: `${cause.name}: ${cause.message}` } : {}),
  };
}
