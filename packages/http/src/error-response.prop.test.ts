import { fc, test } from '@fast-check/vitest';
import * as errors from '@latchkey/errors';
import { expect } from 'vitest';
import { errorToHttp } from './error-response.js';

const latchkeyErrors: errors.LatchkeyError[] = [
  new errors.InvalidRequestError('schema'),
  new errors.UnauthenticatedError('missing'),
  new errors.InvalidSessionTokenError('expired'),
  new errors.ForbiddenError('insufficient-role'),
  new errors.SessionNotFoundError(),
  new errors.SessionTargetMismatchError('mismatch', ['kind']),
  new errors.PayloadTooLargeError(65_536),
  new errors.RateLimitedError('per-key', 2),
  new errors.TooManySessionsError(),
  new errors.InternalError(),
  new errors.UpstreamUnavailableError('timeout'),
  new errors.StoreUnavailableError('cluster-down'),
  new errors.SandboxNotInitializedError(),
  new errors.CapacityExhaustedError('cache-full'),
];

const FORMATS = fc.constantFrom('json' as const, 'problem+json' as const);
const STABLE: Readonly<Record<number, string>> = {
  400: 'INVALID_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};
const FIXED_MESSAGES = new Set([
  'internal error',
  'invalid request',
  'not found',
  'method not allowed',
  'request timeout',
  'payload too large',
  'unsupported media type',
  'headers too large',
]);

test.prop([fc.anything({ withObjectString: true }), FORMATS])(
  'anything without a 4xx status that is not a LatchkeyError becomes a generic 500',
  (thrown, format) => {
    fc.pre(typeof thrown !== 'object' || thrown === null || !('status' in thrown || 'statusCode' in thrown));
    const { status, headers, body } = errorToHttp(thrown, { format });
    expect(status).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ code: 'INTERNAL' });
    expect(headers['cache-control']).toBe('no-store');
  },
);

// A foreign error: any message, any status (valid or not) in `status` or `statusCode`, any other members.
const foreignError = fc
  .record({
    message: fc.string(),
    status: fc.option(fc.oneof(fc.integer({ min: 100, max: 700 }), fc.anything()), { nil: undefined }),
    statusCode: fc.option(fc.oneof(fc.integer({ min: 100, max: 700 }), fc.anything()), { nil: undefined }),
    extra: fc.dictionary(fc.string(), fc.anything()),
    asError: fc.boolean(),
  })
  .map(({ message, status, statusCode, extra, asError }) => {
    const error = (asError ? new Error(message) : { message }) as Record<string, unknown>;
    Object.assign(error, extra);
    if (status !== undefined) error.status = status;
    if (statusCode !== undefined) error.statusCode = statusCode;
    return error;
  });

const is4xx = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 499;
const isStatus = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;

test.prop([foreignError, FORMATS])(
  'a foreign error answers its stable 4xx code or 500, and never its own message',
  (error, format) => {
    const { status, body } = errorToHttp(error, { format });
    const carried = isStatus(error.status) ? error.status : error.statusCode;
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (is4xx(carried)) {
      const code = STABLE[carried] ?? 'INVALID_REQUEST';
      expect(parsed.code).toBe(code);
      expect(status).toBe(code === 'INVALID_REQUEST' ? 400 : carried);
    } else {
      expect(status).toBe(500);
      expect(parsed.code).toBe('INTERNAL');
    }
    // Only fixed wording: the body's strings are a code, a fixed message, a status phrase or about:blank.
    if (format === 'json') {
      expect(Object.keys(parsed).sort()).toEqual(['code', 'message']);
      expect(FIXED_MESSAGES.has(parsed.message as string)).toBe(true);
    } else {
      expect(parsed.type).toBe('about:blank');
      expect(parsed.status).toBe(status);
    }
  },
);

test.prop([fc.constantFrom(...latchkeyErrors), fc.constantFrom('json' as const, 'problem+json' as const)])(
  'a LatchkeyError keeps its status and code, with Retry-After exactly on 429 and 503',
  (error, format) => {
    const { status, headers, body } = errorToHttp(error, { format });
    expect(status).toBe(error.status);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(parsed.code).toBe(error.code);
    if (format === 'json') expect(parsed).toEqual({ code: error.code, message: error.message });
    else expect(Object.keys(parsed).sort()).toEqual(['code', 'status', 'title', 'type']);
    const retry = headers['retry-after'];
    if (status === 429 || status === 503) expect(Number(retry)).toBeGreaterThanOrEqual(1);
    else expect(retry).toBeUndefined();
  },
);
