// What every dashboard back end shares, whatever its framework: the policy, the login body, the
// dependencies. The same file sits in examples/express, examples/fastify and examples/hono.
import { InvalidRequestError } from '@latchkey/errors';
import { createRoutePolicy, type DefaultRole, defaultLadder } from '@latchkey/guards';
import type { Registry } from '@latchkey/registry';
import type { AccessTokenIssuer, AccessTokenVerifier } from '@latchkey/tokens';

export interface Deps {
  readonly issuer: AccessTokenIssuer<{ role: DefaultRole }>;
  readonly verifier: AccessTokenVerifier<{ role: DefaultRole }>;
  readonly registry: Registry;
  /** `Secure` on the auth cookie: true behind HTTPS, false for a local http:// try-out. */
  readonly secureCookie: boolean;
}

/** Every route behind authentication, by full path; anything else is denied. */
export const policy: ReturnType<typeof createRoutePolicy> = createRoutePolicy([
  { method: 'POST', path: '/auth/logout', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'POST', path: '/api/deploy', minRole: 'editor' },
]);

/** Streams take `?token=` too: `EventSource` cannot set headers. */
export const queryTokenPaths: readonly string[] = ['/api/events'];

const USER = /^[^\p{Cc}]{1,256}$/u;

/** `{ user, role }`: a user id of 1–256 characters without control characters and a role of the ladder. */
export function parseLogin(body: unknown): { user: string; role: DefaultRole } {
  const { user, role } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof user !== 'string' || !USER.test(user) || defaultLadder.rank(role) < 0) {
    throw new InvalidRequestError('schema');
  }
  return { user, role: role as DefaultRole };
}
