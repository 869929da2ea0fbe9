import { expectTypeOf, test } from 'vitest';
import { createUpgradeGate, type GateLease, type UpgradeGate, type WsSession } from './index.js';

// The registry's reshaped API (`register(userId, { issuedAtMs }): Promise<Lease>`), as declared there.
interface Lease {
  readonly id: number;
  readonly userId: string;
  readonly kind: string;
  readonly signal: AbortSignal;
  release(): void;
}
declare const registry: { register(userId: string, credential: { issuedAtMs: number }): Promise<Lease> };

test('a registry lease fits the register port with a one-line arrow', () => {
  const gate = createUpgradeGate({
    verify: async (token) => ({ user: token, issuedAt: 0, role: 'editor' }),
    register: (identity) => registry.register(identity.user, { issuedAtMs: identity.issuedAt }),
    onSession: (session) => {
      expectTypeOf(session).toEqualTypeOf<WsSession<{ user: string; issuedAt: number; role: string }>>();
    },
  });
  expectTypeOf(gate).toEqualTypeOf<UpgradeGate>();
  expectTypeOf<Lease>().toMatchTypeOf<GateLease>();
});

test('register must return something with signal and release', () => {
  createUpgradeGate({
    verify: () => 1,
    // @ts-expect-error a lease without release
    register: () => ({ signal: new AbortController().signal }),
    onSession: () => undefined,
  });
});
