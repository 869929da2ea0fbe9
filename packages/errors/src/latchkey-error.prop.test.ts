import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { InvalidBootstrapTokenError, InvalidRequestError } from './codes.js';
import { LatchkeyError } from './latchkey-error.js';

test.prop([fc.string(), fc.anything()])(
  'the JSON form never carries the cause, whatever it holds',
  (secret, extra) => {
    const error = new InvalidBootstrapTokenError('bad-signature', { cause: { secret, extra } });
    expect(Object.keys(JSON.parse(JSON.stringify(error)))).toEqual(['code', 'message']);
    expect(error.toJSON()).toEqual({ code: 'INVALID_BOOTSTRAP_TOKEN', message: 'invalid bootstrap token' });
  },
);

test.prop([fc.anything()])('is() is total and true only for branded errors', (value) => {
  expect(LatchkeyError.is(value)).toBe(false);
  expect(LatchkeyError.is(new InvalidRequestError('schema'))).toBe(true);
});
