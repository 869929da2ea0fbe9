// The primitives every adapter test app is built from: an access-token issuer and verifier, a
// registry (revocation + leases) and the console's route policy.
// PENDING MERGE: until createAccessTokenIssuer/Verifier (@latchkey/tokens) and register/revoke/
// assertNotRevoked (@latchkey/registry) land in main, `createKit` stands in for them with the same
// shapes; after the merge it builds the real ones and nothing else in the tests changes.
import { randomBytes } from 'node:crypto';
import { StoreUnavailableError, UnauthenticatedError } from '@latchkey/errors';
import { createRoutePolicy, type DefaultRole } from '@latchkey/guards';

export interface TestClaims {
  readonly userId: string;
  readonly issuedAtMs: number;
  readonly issuedAtSeconds: number;
  readonly expiresAtSeconds: number;
  readonly tokenId: string | undefined;
  readonly custom: { readonly role: DefaultRole };
}

export interface TestLease {
  readonly signal: AbortSignal;
  readonly userId: string;
  readonly issuedAtMs: number;
  readonly kind: string;
  release(): void;
}

export interface TestRegistry {
  register(userId: string, options: { issuedAtMs: number; kind?: string }): Promise<TestLease>;
  revoke(userId: string): Promise<number>;
  assertNotRevoked(userId: string, issuedAtMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface Kit {
  readonly verifier: { verify(token: string): Promise<TestClaims> };
  readonly registry: TestRegistry;
  /** Issues an access token, as `/auth/login` does. */
  login(userId: string, role: DefaultRole): Promise<string>;
  /** While true, every revocation check answers STORE_UNAVAILABLE (the store is unreachable). */
  storeDown: boolean;
}

/** The console's policy, plus a route the tests use to prove the full path is read. */
export const policy: ReturnType<typeof createRoutePolicy> = createRoutePolicy([
  { method: 'GET', path: '/api/me', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
  { method: 'POST', path: '/auth/logout', minRole: 'viewer' },
]);

export function createKit(): Kit {
  const tokens = new Map<string, TestClaims>();
  const watermarks = new Map<string, number>();
  const leases = new Set<{ lease: TestLease; controller: AbortController }>();
  let lastMs = 0;
  const kit: Kit = {
    storeDown: false,
    verifier: {
      async verify(token) {
        const claims = tokens.get(token);
        if (claims === undefined) throw new UnauthenticatedError('invalid');
        return claims;
      },
    },
    registry: {
      async register(userId, { issuedAtMs, kind = 'stream' }) {
        await kit.registry.assertNotRevoked(userId, issuedAtMs);
        const controller = new AbortController();
        const entry = {
          controller,
          lease: { signal: controller.signal, userId, issuedAtMs, kind, release: () => leases.delete(entry) },
        };
        leases.add(entry);
        return entry.lease;
      },
      async revoke(userId) {
        const now = Date.now();
        watermarks.set(userId, now);
        lastMs = Math.max(lastMs, now);
        let ended = 0;
        for (const entry of [...leases]) {
          if (entry.lease.userId !== userId) continue;
          leases.delete(entry);
          entry.controller.abort(new UnauthenticatedError('revoked'));
          ended++;
        }
        return ended;
      },
      async assertNotRevoked(userId, issuedAtMs) {
        if (kit.storeDown) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          throw new StoreUnavailableError('timeout');
        }
        const watermark = watermarks.get(userId);
        if (watermark !== undefined && issuedAtMs <= watermark) throw new UnauthenticatedError('revoked');
      },
      async close() {
        leases.clear();
      },
    },
    async login(userId, role) {
      // Strictly increasing issue times, as `iat_ms` after a logout in the same millisecond would be.
      const issuedAtMs = Math.max(Date.now(), lastMs + 1);
      lastMs = issuedAtMs;
      const token = randomBytes(24).toString('base64url');
      const issuedAtSeconds = Math.floor(issuedAtMs / 1000);
      tokens.set(token, {
        userId,
        issuedAtMs,
        issuedAtSeconds,
        expiresAtSeconds: issuedAtSeconds + 3600,
        tokenId: token.slice(0, 22),
        custom: { role },
      });
      return token;
    },
  };
  return kit;
}
