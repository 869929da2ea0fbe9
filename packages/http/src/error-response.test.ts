import {
  CapacityExhaustedError,
  InvalidRequestError,
  LatchkeyError,
  PayloadTooLargeError,
  RateLimitedError,
  StoreUnavailableError,
  TooManySessionsError,
  UnauthenticatedError,
} from '@latchkey/errors';
import { errorCodes as fastifyErrors } from 'fastify';
import { HTTPException } from 'hono/http-exception';
import createHttpError from 'http-errors';
import { describe, expect, it, vi } from 'vitest';
import { type ErrorLogEvent, errorToHttp, toResponse } from './error-response.js';

describe('errorToHttp', () => {
  it('answers a LatchkeyError with its status and { code, message } as JSON', () => {
    const error = new InvalidRequestError('schema', { cause: new Error('secret body') });
    const { status, headers, body } = errorToHttp(error);
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual({ code: 'INVALID_REQUEST', message: 'invalid request' });
    expect(headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(headers['retry-after']).toBeUndefined();
  });

  it('answers anything else with a generic 500 and gives the detail to the log only', () => {
    const log = vi.fn<(event: ErrorLogEvent) => void>();
    const bug = new TypeError('cannot read property of undefined: eyJ.secret');
    const { status, body } = errorToHttp(bug, { log });
    expect(status).toBe(500);
    expect(JSON.parse(body)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(body).not.toContain('secret');
    expect(log).toHaveBeenCalledWith({
      status: 500,
      code: 'INTERNAL',
      reason: undefined,
      expected: false,
      foreignStatus: undefined,
      error: bug,
    });
  });

  it('logs a LatchkeyError with its code and reason', () => {
    const log = vi.fn<(event: ErrorLogEvent) => void>();
    const error = new UnauthenticatedError('invalid');
    errorToHttp(error, { log });
    expect(log).toHaveBeenCalledWith({
      status: 401,
      code: 'UNAUTHENTICATED',
      reason: 'invalid',
      expected: true,
      foreignStatus: undefined,
      error,
    });
  });

  it('still answers when the logger throws', () => {
    const log = () => {
      throw new Error('logger down');
    };
    expect(errorToHttp(new Error('x'), { log }).status).toBe(500);
  });

  it('sends Retry-After on 429 and 503, in whole seconds of at least 1', () => {
    expect(errorToHttp(new RateLimitedError('per-key', 3)).headers['retry-after']).toBe('3');
    expect(errorToHttp(new RateLimitedError('global', 0.2)).headers['retry-after']).toBe('1');
    expect(errorToHttp(new RateLimitedError('global', 2.1)).headers['retry-after']).toBe('3');
    expect(errorToHttp(new TooManySessionsError()).headers['retry-after']).toBe('1');
    expect(errorToHttp(new StoreUnavailableError('timeout')).headers['retry-after']).toBe('1');
    expect(
      errorToHttp(new CapacityExhaustedError('cache-full', { retryAfterSeconds: 7 })).headers['retry-after'],
    ).toBe('7');
  });

  it('sends WWW-Authenticate on 401 unless told not to', () => {
    expect(errorToHttp(new UnauthenticatedError('missing')).headers['www-authenticate']).toBe('Bearer');
    expect(
      errorToHttp(new UnauthenticatedError('missing'), { wwwAuthenticate: 'Bearer realm="console"' }).headers[
        'www-authenticate'
      ],
    ).toBe('Bearer realm="console"');
    expect(
      errorToHttp(new UnauthenticatedError('missing'), { wwwAuthenticate: false }).headers,
    ).not.toHaveProperty('www-authenticate');
  });

  it('closes the connection after a 413, whose body was left unread', () => {
    const { status, headers } = errorToHttp(new PayloadTooLargeError(65_536));
    expect(status).toBe(413);
    expect(headers.connection).toBe('close');
  });

  it('renders RFC 9457 problem details on request', () => {
    const plain = errorToHttp(new RateLimitedError('per-key', 2), { format: 'problem+json' });
    expect(plain.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(plain.body)).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      code: 'RATE_LIMITED',
    });
    const typed = errorToHttp(new RateLimitedError('per-key', 2), {
      format: 'problem+json',
      problemTypeBase: 'https://latchkey.dev/errors/',
    });
    expect(JSON.parse(typed.body)).toEqual({
      type: 'https://latchkey.dev/errors/RATE_LIMITED',
      title: 'rate limited',
      status: 429,
      code: 'RATE_LIMITED',
    });
  });

  it('holds a LatchkeyError with an out-of-range status or odd code to a 500', () => {
    class Odd extends LatchkeyError {
      readonly code = 'not a code';
      readonly status = 401 as const;
    }
    class Weird extends LatchkeyError {
      readonly code = 'WEIRD';
      readonly status = 200 as unknown as 401;
    }
    expect(errorToHttp(new Odd('odd', 'x'))).toMatchObject({ status: 500 });
    expect(JSON.parse(errorToHttp(new Weird('weird', 'x')).body)).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
    });
  });
});

describe('toResponse', () => {
  it('builds a Fetch Response with the same status, headers and body', async () => {
    const response = toResponse(new RateLimitedError('global', 4));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('4');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ code: 'RATE_LIMITED', message: 'rate limited' });
  });
});

describe("errorToHttp with a framework's own errors", () => {
  const cases: [string, unknown, number, string][] = [
    [
      'body-parser 400 (http-errors)',
      createHttpError(400, 'Unexpected token } in JSON at position 7: {"password":"x"}'),
      400,
      'INVALID_REQUEST',
    ],
    [
      'body-parser 413 (http-errors)',
      createHttpError(413, 'request entity too large'),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'body-parser 415 (http-errors)',
      createHttpError(415, 'unsupported charset "UTF-7"'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'Fastify FST_ERR_CTP_BODY_TOO_LARGE',
      new fastifyErrors.FST_ERR_CTP_BODY_TOO_LARGE(),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'Fastify FST_ERR_CTP_INVALID_MEDIA_TYPE',
      new fastifyErrors.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/secret'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'Fastify FST_ERR_CTP_EMPTY_JSON_BODY',
      new fastifyErrors.FST_ERR_CTP_EMPTY_JSON_BODY(),
      400,
      'INVALID_REQUEST',
    ],
    ['Fastify FST_ERR_NOT_FOUND', new fastifyErrors.FST_ERR_NOT_FOUND(), 404, 'NOT_FOUND'],
    [
      'Hono HTTPException 400',
      new HTTPException(400, { message: 'Malformed JSON in request body' }),
      400,
      'INVALID_REQUEST',
    ],
    [
      'Hono HTTPException 404',
      new HTTPException(404, { message: '/admin/secret not found' }),
      404,
      'NOT_FOUND',
    ],
    ['Hono HTTPException 405', new HTTPException(405), 405, 'METHOD_NOT_ALLOWED'],
    ['Hono HTTPException 408', new HTTPException(408), 408, 'REQUEST_TIMEOUT'],
    ['Hono HTTPException 431', new HTTPException(431), 431, 'HEADERS_TOO_LARGE'],
    [
      'Hono HTTPException 401 (another 4xx)',
      new HTTPException(401, { message: 'token eyJ.secret' }),
      400,
      'INVALID_REQUEST',
    ],
    ['http-errors 422 (another 4xx)', createHttpError(422, 'field password=hunter2'), 400, 'INVALID_REQUEST'],
    [
      'a plain object with statusCode 413',
      Object.assign(new Error('limit 1kb: secret'), { statusCode: 413 }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ];

  it.each(cases)('answers %s with its stable code and fixed message', (_, error, status, code) => {
    const log = vi.fn<(event: ErrorLogEvent) => void>();
    const rendered = errorToHttp(error, { log });
    expect(rendered.status).toBe(status);
    const body = JSON.parse(rendered.body) as { code: string; message: string };
    expect(body.code).toBe(code);
    expect(rendered.body).not.toMatch(/secret|password|hunter2|token|position|UTF-7|admin/);
    expect(log).toHaveBeenCalledWith(
      expect.objectContaining({
        status,
        code,
        expected: true,
        foreignStatus:
          (error as { status?: number; statusCode?: number }).status ??
          (error as { statusCode: number }).statusCode,
        error,
      }),
    );
  });

  it('uses the fixed message of the stable code', () => {
    expect(JSON.parse(errorToHttp(new HTTPException(413, { message: 'x' })).body)).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: new PayloadTooLargeError(1).message,
    });
    expect(JSON.parse(errorToHttp(createHttpError(400, 'x')).body)).toEqual({
      code: 'INVALID_REQUEST',
      message: new InvalidRequestError('schema').message,
    });
  });

  it('answers a foreign 5xx or an error without a status with 500 INTERNAL', () => {
    expect(errorToHttp(createHttpError(503, 'db down')).status).toBe(500);
    expect(errorToHttp(new HTTPException(500, { message: 'boom' })).status).toBe(500);
    expect(errorToHttp(new fastifyErrors.FST_ERR_CTP_INVALID_TYPE()).status).toBe(500);
    expect(JSON.parse(errorToHttp(Object.assign(new Error('x'), { statusCode: 502 })).body)).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
    });
  });

  it('ignores a status that is not an integer 4xx', () => {
    for (const status of ['404', 404.5, 399, 600, Number.NaN, null]) {
      expect(errorToHttp(Object.assign(new Error('x'), { status })).status).toBe(500);
    }
    // `status` wins when valid, else `statusCode` is read.
    expect(errorToHttp(Object.assign(new Error('x'), { status: 'bad', statusCode: 404 })).status).toBe(404);
  });

  it('answers 500 when reading the status throws', () => {
    const hostile = Object.defineProperty(new Error('x'), 'status', {
      get() {
        throw new Error('trap');
      },
    });
    expect(errorToHttp(hostile).status).toBe(500);
  });

  it('closes the connection after a 408 or a 413', () => {
    expect(errorToHttp(new HTTPException(408)).headers.connection).toBe('close');
    expect(errorToHttp(new HTTPException(413)).headers.connection).toBe('close');
    expect(errorToHttp(new HTTPException(404)).headers.connection).toBeUndefined();
  });

  it('gives toResponse the same mapping', async () => {
    const response = toResponse(new fastifyErrors.FST_ERR_CTP_BODY_TOO_LARGE());
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload too large' });
  });
});
