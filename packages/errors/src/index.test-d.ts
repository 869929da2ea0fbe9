import { expectTypeOf, test } from 'vitest';
import { InvalidSessionTokenError, LatchkeyError, SessionTargetMismatchError } from './index.js';

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
