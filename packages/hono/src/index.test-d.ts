import { Hono } from 'hono';
import { expectTypeOf, test } from 'vitest';
import { type CredentialSource, type LatchkeyEnv, latchkey, type RevocableIdentity } from './index.js';

interface Claims extends RevocableIdentity {
  readonly custom: { readonly role: 'viewer' | 'admin' };
}
declare const verifier: { verify(token: string): Promise<Claims> };
declare const revocation: { assertNotRevoked(userId: string, issuedAtMs: number): Promise<void> };
declare const policy: { assert(method: string, path: string, identity: unknown): void };

test('c.get(identity) is typed through LatchkeyEnv', () => {
  const app = new Hono<LatchkeyEnv<Claims>>();
  app.use(latchkey({ verifier, revocation, policy }));
  app.get('/api/me', (c) => {
    expectTypeOf(c.get('identity')).toEqualTypeOf<Claims>();
    expectTypeOf(c.get('credentialSource')).toEqualTypeOf<CredentialSource>();
    return c.json({ user: c.get('identity').userId });
  });
});

test('a revocation check is required', () => {
  // @ts-expect-error revocation is required
  latchkey({ verifier, policy });
});
