// Real HTTP on port 0 for the adapter tests: listen, fetch, read a stream with deadlines.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Base URL of a listening node:http server (port 0 → the port it got). */
export function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and every connection it holds (streams included). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A JSON error body and status, for `expect(…).toEqual({ status, code })`. */
export async function failure(response: Response): Promise<{ status: number; code: unknown }> {
  const body = (await response.json()) as { code?: unknown };
  return { status: response.status, code: body.code };
}

/** An open server-sent-events response, read chunk by chunk. */
export interface OpenStream {
  readonly status: number;
  /** Resolves with everything read once the server ends the stream; rejects after `withinMs`. */
  ended(withinMs: number): Promise<string>;
  /** Resolves once at least `count` more events arrived; rejects after `withinMs`. */
  events(count: number, withinMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function openStream(url: string, init: RequestInit = {}): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  const waiters = new Set<() => void>();
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted by close()
    }
    done = true;
    for (const wake of waiters) wake();
  })();
  const until = (test: () => boolean, withinMs: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (test()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${what} not within ${withinMs} ms`));
      }, withinMs);
      waiters.add(check);
      check();
    });
  const countEvents = (): number => text.split('\n\n').length - 1;
  return {
    status: response.status,
    async ended(withinMs) {
      await until(() => done, withinMs, 'stream end');
      return text;
    },
    async events(count, withinMs) {
      const target = countEvents() + count;
      await until(() => countEvents() >= target, withinMs, `${count} events`);
    },
    async close() {
      controller.abort();
      await until(() => done, 1000, 'stream close').catch(() => undefined);
    },
  };
}
