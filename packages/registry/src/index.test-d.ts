import { expectTypeOf, test } from 'vitest';
import { createRegistry, type Lease, type Registry } from './index.js';

test('the public API has the documented shapes', () => {
  const registry = createRegistry({ watermarkTtlMs: 1_000 });
  expectTypeOf(registry).toEqualTypeOf<Registry>();
  expectTypeOf(registry.register('u', { kind: 'events', issuedAt: 1 })).toEqualTypeOf<Lease>();
  expectTypeOf(registry.registerAsync('u', { kind: 'events', issuedAt: 1 })).toEqualTypeOf<Promise<Lease>>();
  expectTypeOf(registry.cancelUser('u')).toEqualTypeOf<number>();
  expectTypeOf(registry.revokeUser('u', 'token-revoked')).toEqualTypeOf<Promise<number>>();
  expectTypeOf(registry.reconcile()).toEqualTypeOf<Promise<number>>();
  expectTypeOf<Lease['signal']>().toEqualTypeOf<AbortSignal>();
  // @ts-expect-error a cancel reason is one of SessionRevokedError's reasons
  registry.cancelUser('u', 'bored');
  // @ts-expect-error issuedAt is required
  registry.register('u', { kind: 'events' });
});
