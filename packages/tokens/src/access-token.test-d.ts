import { expectTypeOf, test } from 'vitest';
import { ec } from '../test/helpers.js';
import {
  type AccessClaims,
  createAccessTokenIssuer,
  createAccessTokenRefresher,
  createAccessTokenVerifier,
} from './access-token.js';

const options = { privateKey: ec.privateKey, issuer: 'i', audience: 'a' };

test('custom claims are typed through the generic, required when they have required members', () => {
  const typed = createAccessTokenIssuer<{ role: 'viewer' | 'editor' }>(options);
  expectTypeOf(typed.issueSync('u', { role: 'viewer' }).claims.custom).toEqualTypeOf<{
    role: 'viewer' | 'editor';
  }>();
  // @ts-expect-error the custom claims are required
  typed.issueSync('u');
  // @ts-expect-error a role outside the union
  typed.issueSync('u', { role: 'root' });
  const plain = createAccessTokenIssuer(options);
  plain.issueSync('u');
});

test('registered claim names can not be custom claims', () => {
  // @ts-expect-error sub is registered
  createAccessTokenIssuer<{ sub: string }>(options);
  // @ts-expect-error iat_ms is registered
  createAccessTokenIssuer<{ iat_ms: number }>(options);
});

test('the verifier returns what validateCustom returns, and the refresher takes its claims', () => {
  const verifier = createAccessTokenVerifier({
    publicKey: ec.publicKey,
    issuer: 'i',
    audience: 'a',
    validateCustom: (custom) => ({
      role: custom.role === 'editor' ? ('editor' as const) : ('viewer' as const),
    }),
  });
  expectTypeOf(verifier.verifySync('t')).toEqualTypeOf<AccessClaims<{ role: 'editor' | 'viewer' }>>();
  const refresher = createAccessTokenRefresher({
    issuer: createAccessTokenIssuer<{ role: 'editor' | 'viewer' }>(options),
    refreshWithinSeconds: 60,
  });
  refresher.refresh(verifier.verifySync('t'));
});
