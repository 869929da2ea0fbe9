import type { TestClaims } from '@latchkey/adapter-testkit';
import type { FastifyRequest } from 'fastify';
import { expectTypeOf, test } from 'vitest';
import { type CredentialSource, identityOf } from './index.js';

// test/app.ts merges `identity: TestClaims` into LatchkeyFastifyTypes, as a user's app would.
declare const request: FastifyRequest;

test('request.identity is typed by declaration merging', () => {
  expectTypeOf(request.identity).toEqualTypeOf<TestClaims | null>();
  expectTypeOf(identityOf(request)).toEqualTypeOf<TestClaims>();
  expectTypeOf(request.credentialSource).toEqualTypeOf<CredentialSource | null>();
});

test('route config takes latchkey: public only', () => {
  expectTypeOf<FastifyRequest['routeOptions']['config']['latchkey']>().toEqualTypeOf<'public' | undefined>();
});
