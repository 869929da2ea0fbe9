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

test.prop([
  fc.anything({ withObjectString: true }),
  fc.constantFrom('json' as const, 'problem+json' as const),
])('anything that is not a LatchkeyError becomes a generic 500 that reveals nothing', (thrown, format) => {
  const { status, headers, body } = errorToHttp(thrown, { format });
  expect(status).toBe(500);
  expect(JSON.parse(body)).toMatchObject({ code: 'INTERNAL' });
  expect(headers['cache-control']).toBe('no-store');
});

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
