import { describe, expect, it } from 'vitest';
import { InvalidSessionTokenError, StoreUnavailableError } from './codes.js';
import { LatchkeyError } from './latchkey-error.js';

describe('LatchkeyError', () => {
  it('carries code, status, reason and a fixed message', () => {
    const error = new InvalidSessionTokenError('expired');
    expect(error).toMatchObject({ code: 'INVALID_SESSION_TOKEN', status: 401, reason: 'expired' });
    expect(error.message).toBe('invalid session token');
    expect(error.name).toBe('InvalidSessionTokenError');
    expect(error).toBeInstanceOf(Error);
  });

  it('serialises to code and message only, never cause or reason', () => {
    const error = new InvalidSessionTokenError('bad-signature', { cause: new Error('eyJhbGciOi.secret') });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'INVALID_SESSION_TOKEN',
      message: 'invalid session token',
    });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('keeps the cause for server-side logs', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new StoreUnavailableError('connection', { cause }).cause).toBe(cause);
  });

  it('omits cause entirely when none is given', () => {
    expect('cause' in new StoreUnavailableError('timeout')).toBe(false);
  });
});

describe('LatchkeyError.is', () => {
  it('recognises latchkey errors and rejects look-alikes', () => {
    expect(LatchkeyError.is(new StoreUnavailableError('timeout'))).toBe(true);
    expect(LatchkeyError.is(new Error('x'))).toBe(false);
    expect(LatchkeyError.is({ code: 'STORE_UNAVAILABLE', status: 503 })).toBe(false);
    expect(LatchkeyError.is(null)).toBe(false);
    expect(LatchkeyError.is('STORE_UNAVAILABLE')).toBe(false);
  });

  it('checks the code when one is given', () => {
    const error = new StoreUnavailableError('timeout');
    expect(LatchkeyError.is(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect(LatchkeyError.is(error, 'SESSION_NOT_FOUND')).toBe(false);
  });

  it('recognises an error thrown by a second copy of the package, where instanceof fails', async () => {
    // A query string makes Vite load a separate module instance: a duplicate install in miniature.
    const specifier = './codes.js?duplicate-install';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('./codes.js');
    const foreign = new copy.StoreUnavailableError('timeout');
    expect(foreign).not.toBeInstanceOf(StoreUnavailableError);
    expect(LatchkeyError.is(foreign, 'STORE_UNAVAILABLE')).toBe(true);
  });
});
