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
