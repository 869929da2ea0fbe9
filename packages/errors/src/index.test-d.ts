import { expectTypeOf, test } from 'vitest';
import {
  type ERROR_STATUS,
  type ErrorClassByCode,
  type ErrorCode,
  InvalidSessionTokenError,
  LatchkeyError,
  SessionTargetMismatchError,
  StoreUnavailableError,
} from './index.js';

test('reason is typed per class', () => {
  expectTypeOf(new InvalidSessionTokenError('expired').reason).toEqualTypeOf<
    import('./index.js').TokenFailureReason
  >();
  expectTypeOf(new SessionTargetMismatchError('mismatch', ['kind']).reason).toEqualTypeOf<
    'mismatch' | 'missing-metadata'
  >();
  // @ts-expect-error an unknown reason does not compile
  new InvalidSessionTokenError('nope');
});

test('is() narrows unknown to LatchkeyError', () => {
  const value: unknown = new InvalidSessionTokenError('expired');
  if (LatchkeyError.is(value)) expectTypeOf(value.code).toEqualTypeOf<string>();
});

test('is(value, code) narrows to the class of that code', () => {
  const value: unknown = new StoreUnavailableError('timeout');
  if (LatchkeyError.is(value, 'STORE_UNAVAILABLE')) {
    expectTypeOf(value).toEqualTypeOf<StoreUnavailableError>();
    expectTypeOf(value.reason).toEqualTypeOf<StoreUnavailableError['reason']>();
  }
  // @ts-expect-error an unknown code does not compile
  LatchkeyError.is(value, 'NOPE');
});

test('ErrorClassByCode has one class per code of ERROR_STATUS, carrying that code and status', () => {
  expectTypeOf<keyof ErrorClassByCode>().toEqualTypeOf<ErrorCode>();
  type CodeOf<C extends ErrorCode> = ErrorClassByCode[C]['code'];
  type StatusOf<C extends ErrorCode> = ErrorClassByCode[C]['status'];
  expectTypeOf<{ [C in ErrorCode]: CodeOf<C> }>().toEqualTypeOf<{ [C in ErrorCode]: C }>();
  expectTypeOf<{ [C in ErrorCode]: StatusOf<C> }>().toEqualTypeOf<{
    -readonly [C in ErrorCode]: (typeof ERROR_STATUS)[C];
  }>();
});
