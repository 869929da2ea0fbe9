import { toResponse as errorResponse } from '@latchkey/http';
import type { Logger } from './log.js';
import { textBodyResponse } from './node-body.js';

/** What the bridge knows about a request beyond the request itself. */
export interface RequestContext {
  /** The connection's remote address (a client, for the router's per-client bound). */
  readonly remoteAddress: string;
}

/** A server: one request in, one response out. The bridge passes the connection's context. */
export type App = (request: Request, context?: RequestContext) => Promise<Response>;

/**
 * A JSON response with `content-type: application/json` and `cache-control: no-store` (nothing a
 * latchkey server answers is cacheable: tokens, session ids, identities).
 *
 * @example
 * ```ts
 * return json(200, { status: 'ok' });
 * ```
 */
export function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): Response {
  return textBodyResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * 404 for a path no route serves. Not a `LatchkeyError`: no primitive refused anything, there is simply
 * nothing here, so the body keeps the one error shape with a code of the servers' own.
 *
 * @example
 * ```ts
 * if (route === undefined) return notFound();
 * ```
 */
export function notFound(): Response {
  return json(404, { code: 'NOT_FOUND', message: 'not found' });
}

/**
 * The one error-to-response function of every reference server, on `@latchkey/http`: a
 * `LatchkeyError` answers with its status and `{ code, message }` (with `Retry-After` on 429 and 503);
 * anything else is logged and answered with a generic 500 `INTERNAL`, so no stack, cause or reason ever
 * reaches a client. Unexpected errors and 5xx are logged as errors, refusals as info.
 *
 * @example
 * ```ts
 * try { return await route(request); } catch (error) { return toResponse(error, log); }
 * ```
 */
export function toResponse(error: unknown, log: Logger): Response {
  return errorResponse(error, {
    log: (event) => {
      const fields = { status: event.status, code: event.code, reason: event.reason };
      if (!event.expected) {
        log.error('unexpected-error', {
          ...fields,
          error: event.error instanceof Error ? event.error.name : typeof event.error,
        });
      } else if (event.status >= 500) {
        log.error('request-failed', fields);
      } else {
        log.info('request-refused', fields);
      }
    },
  });
}
