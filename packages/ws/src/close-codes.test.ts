import {
  ForbiddenError,
  InternalError,
  InvalidRequestError,
  PayloadTooLargeError,
  SessionRevokedError,
  StoreUnavailableError,
  TooManySessionsError,
  UnauthenticatedError,
} from '@latchkey/errors';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, closeCodeFor, errorBody } from './close-codes.js';

describe('closeCodeFor', () => {
  it.each([
    [new InvalidRequestError('schema'), 4400],
    [new UnauthenticatedError('missing'), 4401],
    [new SessionRevokedError('logout'), 4401],
    [new ForbiddenError('insufficient-role'), 4403],
    [new TooManySessionsError(), 4429],
    [new PayloadTooLargeError(1_048_576), 1009],
    [new StoreUnavailableError('timeout'), 1011],
    [new InternalError(), 1011],
    [new Error('bug'), 1011],
    ['not an error', 1011],
  ])('maps %o to %i', (error, code) => {
    expect(closeCodeFor(error)).toBe(code);
  });
});

describe('CLOSE_CODES', () => {
  it('holds the contract codes, application codes in the 4000–4999 private range', () => {
    expect(CLOSE_CODES).toMatchObject({
      NORMAL: 1000,
      PAYLOAD_TOO_LARGE: 1009,
      INTERNAL: 1011,
      INIT_TIMEOUT: 4408,
    });
    for (const code of Object.values(CLOSE_CODES))
      expect(code < 1012 || (code >= 4000 && code <= 4999)).toBe(true);
    expect(Object.isFrozen(CLOSE_CODES)).toBe(true);
  });
});

describe('errorBody', () => {
  it('shows code and message only, INTERNAL for anything not a LatchkeyError', () => {
    expect(errorBody(new SessionRevokedError('logout'))).toEqual({
      code: 'SESSION_REVOKED',
      message: 'session revoked',
    });
    expect(errorBody(new Error('secret detail'))).toEqual({ code: 'INTERNAL', message: 'internal error' });
  });
});
