const encoder = new TextEncoder();

/** Options of the simulated streams. */
export interface StreamOptions {
  /** Ends the stream (logout, shutdown, client gone). */
  readonly signal: AbortSignal;
  /** Interval between events or chunks; at most 1 s by contract. Default 500 ms. */
  readonly intervalMs?: number;
  /** Called once when the stream ends, whatever ended it. */
  readonly onEnd?: () => void;
}

function ticking(
  options: StreamOptions,
  first: () => string,
  next: (tick: number) => string,
  last: string,
): ReadableStream<Uint8Array> {
  const intervalMs = options.intervalMs ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearInterval(timer);
    options.signal.removeEventListener('abort', onAbort);
    options.onEnd?.();
  };
  let onAbort: () => void = () => undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        if (ended) return;
        try {
          controller.enqueue(encoder.encode(last));
          controller.close();
        } catch {
          // already closed by the consumer
        }
        end();
      };
      if (options.signal.aborted) {
        onAbort();
        return;
      }
      options.signal.addEventListener('abort', onAbort, { once: true });
      controller.enqueue(encoder.encode(first()));
      let tick = 0;
      timer = setInterval(() => {
        tick += 1;
        try {
          controller.enqueue(encoder.encode(next(tick)));
        } catch {
          end();
        }
      }, intervalMs);
    },
    cancel() {
      end();
    },
  });
}

const SCRIPT = [
  ['uptime', ' 12:00:01 up 3 days,  2:14,  1 user,  load average: 0.08, 0.03, 0.01'],
  ['ls /workspace', 'README.md  src  package.json'],
  ['whoami', 'agent'],
  ['date -u', 'Tue Nov 24 12:00:02 UTC 2026'],
] as const;

/**
 * A chunked, simulated shell session: a prompt and one command with its output per chunk, forever,
 * until the signal aborts (then `exit`).
 *
 * @example
 * ```ts
 * return new Response(execStream({ signal: lease.signal }), { headers: { 'content-type': 'text/plain' } });
 * ```
 */
export function execStream(options: StreamOptions): ReadableStream<Uint8Array> {
  const line = (tick: number): string => {
    const [command, output] = SCRIPT[tick % SCRIPT.length] ?? SCRIPT[0];
    return `$ ${command}\n${output}\n`;
  };
  return ticking(options, () => `# simulated shell session\n${line(0)}`, line, '$ exit\nlogout\n');
}
