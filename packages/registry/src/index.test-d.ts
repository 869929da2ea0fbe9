import { expectTypeOf, test } from 'vitest';
import {
  createRegistry,
  type Lease,
  type Registry,
  type RevocationBus,
  type RevocationDecision,
} from './index.js';
import { createMemoryRevocationBus, type MemoryRevocationBus } from './testing.js';

test('the public API has the documented shapes', () => {
  const registry = createRegistry({ watermarkTtlMs: 1_000 });
  expectTypeOf(registry).toEqualTypeOf<Registry>();
  expectTypeOf(registry.register('u', { issuedAtMs: 1, kind: 'events' })).toEqualTypeOf<Promise<Lease>>();
  expectTypeOf(registry.register('u', { issuedAtMs: 1 })).toEqualTypeOf<Promise<Lease>>();
  expectTypeOf(registry.revoke('u', 'token-revoked')).toEqualTypeOf<Promise<number>>();
  expectTypeOf(registry.assertNotRevoked('u', 1)).toEqualTypeOf<Promise<void>>();
  expectTypeOf(registry.decideRevocation('u', 1)).toEqualTypeOf<RevocationDecision | undefined>();
  expectTypeOf(registry.reconcile()).toEqualTypeOf<Promise<number>>();
  expectTypeOf(registry.cancelAll()).toEqualTypeOf<number>();
  expectTypeOf(registry.count()).toEqualTypeOf<number>();
  expectTypeOf<Lease['signal']>().toEqualTypeOf<AbortSignal>();
  expectTypeOf<Lease['release']>().toEqualTypeOf<() => void>();
  expectTypeOf<MemoryRevocationBus>().toExtend<RevocationBus>();
  expectTypeOf(createMemoryRevocationBus()).toEqualTypeOf<MemoryRevocationBus>();
  // @ts-expect-error a cancel reason is one of SessionRevokedError's reasons
  void registry.revoke('u', 'bored');
  // @ts-expect-error issuedAtMs is required
  void registry.register('u', { kind: 'events' });
  // @ts-expect-error the old API is gone
  void registry.registerAsync;
  // @ts-expect-error the old API is gone
  void registry.cancelUser;
});
