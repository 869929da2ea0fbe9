import { fc, test } from '@fast-check/vitest';
import { LatchkeyError, StoreUnavailableError } from '@latchkey/errors';
import { expect } from 'vitest';
import { lookupRole } from './role-lookup.js';

const failure = fc.oneof(
  fc.anything(),
  fc
    .constantFrom('connection', 'timeout', 'cluster-down' as const)
    .map((reason) => new StoreUnavailableError(reason)),
);

test.prop([failure, fc.boolean()])(
  'a failing lookup never resolves: it rejects with STORE_UNAVAILABLE or ROLE_LOOKUP_FAILED',
  async (thrown, asynchronous) => {
    const lookup = asynchronous
      ? async () => Promise.reject(thrown)
      : () => {
          throw thrown;
        };
    const error = await lookupRole({ id: 'u1' }, lookup).then(
      () => 'resolved',
      (caught: unknown) => caught,
    );
    expect(LatchkeyError.is(error)).toBe(true);
    const expected = LatchkeyError.is(thrown, 'STORE_UNAVAILABLE')
      ? 'STORE_UNAVAILABLE'
      : 'ROLE_LOOKUP_FAILED';
    expect((error as LatchkeyError).code).toBe(expected);
  },
);
