import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { MethodNotAllowedError, UnauthenticatedError } from '@latchkey/errors';
import { errorFields, type Logger } from './log.js';
import { takeNodeBody, takeTextBody } from './node-body.js';
import { type App, json, type RequestContext, toResponse } from './respond.js';

/** Options of {@link toNodeListener}. */
export interface BridgeOptions {
  /**
   * The error answered, before the app runs, for a request carrying two or more `Authorization`
   * headers (node:http keeps only one in `req.headers`; the bridge counts them in `rawHeaders`).
   * Default: 401 `UNAUTHENTICATED`. The sandbox answers with its own token codes.
   */
  readonly duplicateAuthorization?: (request: Request) => unknown;
}

/** Methods no reference server serves: a typed 405 before the app, never data (`TRACE` echoes). */
const REFUSED_METHODS = new Set(['OPTIONS', 'TRACE', 'CONNECT']);

function authorizationCount(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

/** The base every request URL is resolved against: the Host header is never trusted for routing. */
const ORIGIN = 'http://127.0.0.1';

/** How much of an unread request body is drained after the answer before the connection is dropped. */
const DISCARD_LIMIT_BYTES = 1_048_576;

function toRequest(req: IncomingMessage): Request | undefined {
  const path = req.url ?? '';
  // An absolute-form or authority-form target (`http://evil/…`, `//evil/…`) would move the URL's
  // origin; only origin-form paths are served.
  if (!path.startsWith('/') || path.startsWith('//')) return undefined;
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i];
      const value = raw[i + 1];
      if (name !== undefined && value !== undefined) headers.append(name, value);
    }
  } catch {
    return undefined;
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // No `signal`: a Request that follows an outside signal costs more than the rest of the request
  // together. A client that goes away is seen through the response body instead: the bridge cancels
  // it, and streams release what they hold in their `cancel`.
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  try {
    return new Request(ORIGIN + path, init);
  } catch {
    return undefined;
  }
}

/** Cancels an answer nobody will read: its body's `cancel` releases what a stream holds. */
function cancelBody(response: Response): void {
  const body = response.body;
  if (body === null) return;
  if (body.locked) return;
  body.cancel().catch(() => undefined);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) {
    // The client went away before the answer started: nobody reads this body, so end it now rather
    // than let a stream tick into it forever (and hold its lease).
    takeNodeBody(response)?.destroy();
    cancelBody(response);
    return;
  }
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie();
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  const text = takeTextBody(response);
  if (text !== undefined) {
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
    return;
  }
  const source = takeNodeBody(response);
  if (source !== undefined) {
    // A forwarded body: piped as it arrives, destroyed with the connection, never buffered.
    // `pipe` rather than `pipeline`: lighter per request, with the two failure paths wired by hand.
    await new Promise<void>((resolve) => {
      const abort = (): void => {
        source.destroy();
        res.destroy();
        resolve();
      };
      source.once('error', abort);
      res.once('close', () => {
        if (!res.writableFinished) source.destroy();
        resolve();
      });
      source.pipe(res);
    });
    return;
  }
  // Every chunk is written as soon as it is produced (SSE, chunked exec); the headers go out with the
  // first one, which every stream here produces at once.
  const reader = body.getReader();
  const onClose = (): void => {
    reader.cancel().catch(() => undefined);
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    res.end();
  } catch {
    // The producer failed mid-body: headers are gone, so the only honest signal left is a broken
    // connection rather than a clean end that would read as a complete body.
    res.destroy();
  } finally {
    res.off('close', onClose);
    reader.releaseLock();
  }
}

/** Reads and drops the rest of a request body, up to 1 MiB; past that the connection is dropped. */
async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > DISCARD_LIMIT_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away: nothing left to drain.
  }
}

/**
 * Adapts a Fetch-style app to a node:http request listener. A response body is cancelled when its
 * connection closes, so streams release what they hold; small JSON bodies are written in one piece and
 * forwarded bodies are piped straight through.
 *
 * @example
 * ```ts
 * const server = createServer(toNodeListener(app, log));
 * ```
 */
export function toNodeListener(
  app: App,
  log: Logger,
  options: BridgeOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const duplicateAuthorization =
    options.duplicateAuthorization ?? (() => new UnauthenticatedError('malformed'));
  return (req, res) => {
    const request = REFUSED_METHODS.has(req.method ?? '') ? undefined : toRequest(req);
    const context: RequestContext = { remoteAddress: req.socket.remoteAddress ?? 'unknown' };
    const respond = async (): Promise<void> => {
      let response: Response;
      if (REFUSED_METHODS.has(req.method ?? '')) {
        // Before the Fetch Request: it refuses to even represent TRACE and CONNECT.
        response = toResponse(new MethodNotAllowedError(), log);
      } else if (request === undefined) {
        response = json(400, { code: 'INVALID_REQUEST', message: 'invalid request' });
      } else if (authorizationCount(req.rawHeaders) > 1) {
        response = toResponse(duplicateAuthorization(request), log);
      } else {
        try {
          response = await app(request, context);
        } catch (error) {
          response = toResponse(error, log);
        }
      }
      // A body the app answered without reading (a 401 before the payload, a 413) would leave the
      // keep-alive connection stuck behind it: close the connection after this response, and read the
      // rest off the socket (a bounded amount) so the client can finish sending and read the answer.
      const unread = request?.body != null && !req.complete;
      if (unread) res.setHeader('connection', 'close');
      await writeResponse(response, res);
      if (unread && request?.body != null && !request.body.locked) await discard(request.body);
    };
    respond().catch((error: unknown) => {
      log.error('response-failed', errorFields(error));
      res.destroy();
    });
  };
}
