import {
  HeadersTooLargeError,
  InvalidRequestError,
  LatchkeyError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
} from '@latchkey/errors';

/** What {@link errorToHttp} reports to its `log` callback, once per error. */
export interface ErrorLogEvent {
  /** The status answered. */
  readonly status: number;
  /** The code answered (`INTERNAL` for anything that is not a `LatchkeyError`). */
  readonly code: string;
  /** The typed reason of a `LatchkeyError`, for metrics; `undefined` otherwise. */
  readonly reason: string | undefined;
  /**
   * `false` when the error was neither a `LatchkeyError` nor a framework's 4xx error: a bug or an
   * unmapped failure worth a look.
   */
  readonly expected: boolean;
  /**
   * The 4xx `status` / `statusCode` of a foreign error (body-parser, Fastify, Hono, …) that was mapped
   * to a stable code; `undefined` for a `LatchkeyError` and for anything answered 500.
   */
  readonly foreignStatus: number | undefined;
  /** The error itself, with its `cause`. For server logs only. */
  readonly error: unknown;
}

/** How errors are rendered. */
export interface ErrorResponseOptions {
  /** `json` (default): `{ code, message }`. `problem+json`: RFC 9457 `{ type, title, status, code }`. */
  readonly format?: 'json' | 'problem+json' | undefined;
  /**
   * Base URI for the RFC 9457 `type` member: the code is appended (`…/errors/RATE_LIMITED`). Without
   * it, `type` is `about:blank` and `title` is the status phrase, as RFC 9457 §4.2.1 asks.
   */
  readonly problemTypeBase?: string | undefined;
  /** `WWW-Authenticate` on 401 answers (RFC 9110 §11.6.1 requires one). Default `Bearer`; `false` omits it. */
  readonly wwwAuthenticate?: string | false | undefined;
  /** Called once per error. Exceptions it throws are swallowed: logging never changes the answer. */
  readonly log?: ((event: ErrorLogEvent) => void) | undefined;
}

/** A rendered error: everything a server needs to answer. */
export interface HttpErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const isErrorStatus = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

interface Classified {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly reason: string | undefined;
  readonly expected: boolean;
  readonly foreignStatus: number | undefined;
}

const INTERNAL: Classified = Object.freeze({
  status: 500,
  code: 'INTERNAL',
  message: 'internal error',
  reason: undefined,
  expected: false,
  foreignStatus: undefined,
});

// The stable code a framework's own 4xx maps to, with that code's fixed message taken from its class,
// so the wording lives in one place (@latchkey/errors). Any other 4xx is INVALID_REQUEST.
const FOREIGN_4XX: ReadonlyMap<number, LatchkeyError> = new Map<number, LatchkeyError>([
  [400, new InvalidRequestError('schema')],
  [404, new NotFoundError()],
  [405, new MethodNotAllowedError()],
  [408, new RequestTimeoutError('body')],
  [413, new PayloadTooLargeError(0)],
  [415, new UnsupportedMediaTypeError()],
  [431, new HeadersTooLargeError()],
]);
const FOREIGN_DEFAULT = FOREIGN_4XX.get(400) as LatchkeyError;

/**
 * The 4xx status a foreign error carries in `status` (Hono's `HTTPException`, http-errors /
 * body-parser) or `statusCode` (Fastify's `FST_ERR_*`, http-errors), or `undefined`. Only an integer
 * 400–499 counts; a getter or proxy trap that throws counts as none (the error then answers 500).
 */
function foreignStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    const value = isErrorStatus(status) ? status : statusCode;
    return isErrorStatus(value) && value < 500 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The client-visible parts of an error; anything untrusted about it collapses to INTERNAL. */
function classify(error: unknown): Classified {
  if (LatchkeyError.is(error)) {
    // A LatchkeyError from another copy or a subclass we do not know: still hold it to the shape, so
    // a malformed status or code cannot leak through or produce an invalid response.
    const { status, code, message, reason } = error;
    if (isErrorStatus(status) && typeof code === 'string' && CODE.test(code) && typeof message === 'string') {
      return {
        status,
        code,
        message,
        reason: typeof reason === 'string' ? reason : undefined,
        expected: true,
        foreignStatus: undefined,
      };
    }
    return INTERNAL;
  }
  const foreignStatus = foreignStatusOf(error);
  if (foreignStatus === undefined) return INTERNAL;
  // Only the stable code and its fixed message: the foreign message (which may quote the body, a
  // header or a path) never reaches the client.
  const mapped = FOREIGN_4XX.get(foreignStatus) ?? FOREIGN_DEFAULT;
  return {
    status: mapped.status,
    code: mapped.code,
    message: mapped.message,
    reason: undefined,
    expected: true,
    foreignStatus,
  };
}

/**
 * What a client may see of an error — `{ status, code, message }` by the rules of {@link errorToHttp} —
 * for other transports (an SSE `end` event). Internal: the package index does not re-export it.
 */
export function publicError(error: unknown): { status: number; code: string; message: string } {
  const { status, code, message } = classify(error);
  return { status, code, message };
}

function retryAfter(error: unknown): string {
  const seconds = LatchkeyError.is(error) ? error.retryAfterSeconds : undefined;
  // Whole seconds, at least 1: Retry-After takes a non-negative integer (RFC 9110 §10.2.3), and 0
  // invites an immediate retry storm.
  return String(
    typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1,
  );
}

/**
 * Renders an error as an HTTP answer, purely. A `LatchkeyError` keeps its status and shows
 * `{ code, message }` (never `reason` or `cause`). A foreign error carrying a 4xx `status` or
 * `statusCode` — body-parser's, Fastify's `FST_ERR_*`, Hono's `HTTPException`, http-errors' — answers
 * the matching stable code with that code's fixed message: 400 `INVALID_REQUEST`, 404 `NOT_FOUND`,
 * 405 `METHOD_NOT_ALLOWED`, 408 `REQUEST_TIMEOUT`, 413 `PAYLOAD_TOO_LARGE`, 415
 * `UNSUPPORTED_MEDIA_TYPE`, 431 `HEADERS_TOO_LARGE`, any other 4xx 400 `INVALID_REQUEST`. Anything
 * else (a 5xx, no status, a bug) becomes 500 `{ code: 'INTERNAL', message: 'internal error' }`. No
 * foreign message ever reaches the client; the error itself goes only to `log`. 429 and 503 carry
 * `Retry-After` (from `retryAfterSeconds`, 1 by default), 401 carries `WWW-Authenticate`, 408 and 413
 * carry `Connection: close` (the rest of the request was left unread), and every error is
 * `Cache-Control: no-store`.
 *
 * @example
 * ```ts
 * const { status, headers, body } = errorToHttp(error, { log: (event) => logger.warn(event) });
 * res.writeHead(status, headers).end(body);
 * ```
 */
export function errorToHttp(error: unknown, options: ErrorResponseOptions = {}): HttpErrorResponse {
  const { status, code, message, reason, expected, foreignStatus } = classify(error);
  if (options.log !== undefined) {
    try {
      options.log({ status, code, reason, expected, foreignStatus, error });
    } catch {
      // A failing logger must not turn an answer into a crash.
    }
  }
  const problem = options.format === 'problem+json';
  const headers: Record<string, string> = {
    'content-type': problem ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (status === 429 || status === 503) headers['retry-after'] = retryAfter(error);
  if (status === 401 && options.wwwAuthenticate !== false)
    headers['www-authenticate'] = options.wwwAuthenticate ?? 'Bearer';
  if (status === 413 || status === 408) headers.connection = 'close';
  let body: string;
  if (problem) {
    const base = options.problemTypeBase;
    body = JSON.stringify(
      base === undefined
        ? { type: 'about:blank', title: STATUS_TEXT[status] ?? 'Error', status, code }
        : { type: `${base}${code}`, title: message, status, code },
    );
  } else {
    body = JSON.stringify({ code, message });
  }
  return { status, headers, body };
}

/**
 * {@link errorToHttp} as a Fetch `Response`, for `createApp(deps): (request) => Promise<Response>` servers.
 *
 * @example
 * ```ts
 * return async (request) => {
 *   try { return await route(request); } catch (error) { return toResponse(error, { log }); }
 * };
 * ```
 */
export function toResponse(error: unknown, options: ErrorResponseOptions = {}): Response {
  const { status, headers, body } = errorToHttp(error, options);
  return new Response(body, { status, headers });
}
