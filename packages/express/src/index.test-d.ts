import type { Response } from 'express';
import { expectTypeOf, test } from 'vitest';
import { identityOf, latchkey, type RevocableIdentity } from './index.js';

interface Claims extends RevocableIdentity {
  readonly custom: { readonly role: 'viewer' | 'admin' };
}
declare const verifier: { verify(token: string): Promise<Claims> };
declare const revocation: { assertNotRevoked(userId: string, issuedAtMs: number): Promise<void> };
declare const policy: { assert(method: string, path: string, identity: unknown): void };
declare const res: Response;

test('the middleware accessor is typed by its verifier', () => {
  const auth = latchkey({ verifier, revocation, policy });
  expectTypeOf(auth.identityOf(res)).toEqualTypeOf<Claims>();
  expectTypeOf(identityOf<Claims>(res).custom.role).toEqualTypeOf<'viewer' | 'admin'>();
  expectTypeOf(identityOf(res)).toEqualTypeOf<RevocableIdentity>();
});

test('a revocation check is required', () => {
  // @ts-expect-error revocation is required: logout must end every token
  latchkey({ verifier, policy });
  // @ts-expect-error an identity without issuedAtMs cannot be checked for revocation
  latchkey({ verifier: { verify: async () => ({ userId: 'a' }) }, revocation, policy });
});
