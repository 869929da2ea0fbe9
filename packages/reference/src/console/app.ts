import { InvalidRequestError, LatchkeyError } from '@latchkey/errors';
import { createRoutePolicy, type RouteRule } from '@latchkey/guards';
import {
  assertOrigin,
  authenticate,
  clearAuthCookie,
  createEventStream,
  readJson,
  serializeAuthCookie,
} from '@latchkey/http';
import type { Lease, Registry } from '@latchkey/registry';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { type App, json, notFound, toResponse } from '../respond.js';
import { CONSOLE_ROLES, type ConsoleIdentity, type ConsoleTokens } from './console-tokens.js';
import { GITOPS_ROUTES } from './gitops.js';
import { execStream } from './streams.js';

/**
 * The cookie a browser carries the console token in.
 *
 * @example
 * ```ts
 * fetch(`${url}/api/events`, { headers: { cookie: `${AUTH_COOKIE}=${token}` } });
 * ```
 */
export const AUTH_COOKIE = 'latchkey_auth';

/** What the console app is made of. */
export interface ConsoleDeps {
  /** Issues and verifies access tokens (with the `role` claim). */
  readonly tokens: ConsoleTokens;
  /**
   * Leases of live streams and the revocation watermarks (logout ends everything, on every instance
   * sharing its bus). Its `maxLeasesPerUser` is the per-user stream cap.
   */
  readonly registry: Registry;
  readonly log: Logger;
  /** Both `GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET` are set. */
  readonly oauthConfigured: boolean;
  /** Origins allowed besides the server's own (`LATCHKEY_ALLOWED_ORIGINS`). */
  readonly allowedOrigins?: ReadonlySet<string>;
  /** Interval of stream events and chunks. Default 500 ms (the contract asks for at least one a second). */
  readonly streamIntervalMs?: number;
  /** `Secure` on the auth cookie; default `false` (the reference serves plain HTTP on loopback). */
  readonly secureCookie?: boolean;
}

/**
 * DESIGN's user id: 1–256 characters (code points) without control characters (C0, DEL, C1), the
 * rule the access token's `sub` follows, so a login the issuer would refuse is a 400, never a 500.
 */
function isUserId(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return value.length > 0 && [...value].length <= 256;
}

const LoginBody = z.object({
  // DESIGN: 1–256 characters without control characters, the rule the token's `sub` follows.
  user: z.string().refine(isUserId),
  role: z.enum(CONSOLE_ROLES),
});

const STREAMS = new Set(['/api/events', '/api/exec']);

const POLICY_RULES: readonly RouteRule[] = [
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'GET', path: '/api/exec', minRole: 'editor' },
  ...GITOPS_ROUTES.map((route) => ({ method: 'POST', path: route.path, minRole: route.role })),
];

/**
 * The console's credential check, shared by every route and the WebSocket upgrade: the access token's
 * signature and claims, then the user's revocation watermark. A revoked token is a rejected credential
 * (401 `UNAUTHENTICATED`), so a stale header falls back to a valid cookie (T8); a view that cannot tell
 * rejects with 503 `STORE_UNAVAILABLE`, which stops the request at once.
 *
 * @example
 * ```ts
 * const verify = createConsoleVerify(tokens, registry);
 * const identity = await verify(token);
 * ```
 */
export function createConsoleVerify(
  tokens: ConsoleTokens,
  registry: Registry,
): (token: string) => Promise<ConsoleIdentity> {
  return async (token) => {
    const identity = await tokens.verifier.verify(token);
    // The synchronous view answers most requests; when it cannot (or refuses), the async check gives
    // the typed answer: UNAUTHENTICATED (revoked) or STORE_UNAVAILABLE within its deadline.
    if (registry.decideRevocation(identity.userId, identity.issuedAtMs)?.ok !== true) {
      await registry.assertNotRevoked(identity.userId, identity.issuedAtMs);
    }
    return identity;
  };
}

/** The user and role a route policy reads. */
interface Caller {
  readonly user: string;
  readonly role: string;
}

/**
 * The console: development login issuing access tokens, logout that revokes every token of the user
 * on every instance and ends their streams, two streams registered in the registry right after
 * authentication, and gitops routes behind the role policy table. Checks run in DESIGN's order:
 * authentication (401) → revocation (401, 503 when the view is stale) → Origin (403) → role (403) →
 * body (400).
 *
 * @example
 * ```ts
 * const app = createConsoleApp({ tokens, registry, log, oauthConfigured: false });
 * const response = await app(new Request('http://127.0.0.1/health'));
 * ```
 */
export function createConsoleApp(deps: ConsoleDeps): App {
  const { tokens, registry, log } = deps;
  const policy = createRoutePolicy(POLICY_RULES);
  const gitops = new Map(GITOPS_ROUTES.map((route) => [route.path, route]));
  const allowedOrigins = deps.allowedOrigins ?? new Set<string>();
  const cookieOptions = { name: AUTH_COOKIE, secure: deps.secureCookie ?? false } as const;

  const verify = createConsoleVerify(tokens, registry);

  const authenticated = async (
    request: Request,
    path: string,
  ): Promise<{ identity: ConsoleIdentity; caller: Caller }> => {
    let result: Awaited<ReturnType<typeof authenticate<ConsoleIdentity>>>;
    try {
      result = await authenticate(request, {
        cookieName: AUTH_COOKIE,
        allowQuery: STREAMS.has(path),
        verify,
      });
    } catch (error) {
      if (LatchkeyError.is(error, 'UNAUTHENTICATED') && LatchkeyError.is(error.cause, 'UNAUTHENTICATED')) {
        if (error.cause.reason === 'revoked') log.warn('security', { type: 'revoked-token', path });
      }
      throw error;
    }
    try {
      assertOrigin({
        origin: request.headers.get('origin') ?? undefined,
        host: request.headers.get('host') ?? undefined,
        source: result.source,
        method: request.method,
        allowedOrigins,
      });
    } catch (error) {
      log.warn('security', { type: 'foreign-origin', path, source: result.source });
      throw error;
    }
    const { identity } = result;
    return { identity, caller: { user: identity.userId, role: identity.custom.role } };
  };

  const authorize = (request: Request, path: string, caller: Caller): void => {
    try {
      policy.assert(request.method, path, caller);
    } catch (error) {
      if (LatchkeyError.is(error, 'FORBIDDEN')) {
        log.warn('security', {
          type: 'forbidden',
          user: caller.user,
          role: caller.role,
          path,
          reason: error.reason,
        });
      }
      throw error;
    }
  };

  const stream = async (path: string, identity: ConsoleIdentity): Promise<Response> => {
    // The lease (the per-user cap: 429 beyond it) before any byte: the stream holds it while it
    // lives, and releases it however it ends (logout, shutdown, the client going away).
    const lease: Lease = await registry.register(identity.userId, {
      issuedAtMs: identity.issuedAtMs,
      kind: path === '/api/events' ? 'events' : 'exec',
    });
    const intervalMs = deps.streamIntervalMs ?? 500;
    if (path === '/api/events') {
      return createEventStream(lease, {
        heartbeatMs: intervalMs,
        retryMs: 1_000,
        produce: (sink) => {
          sink.send({ event: 'ready', data: { user: identity.userId } });
        },
      });
    }
    return new Response(execStream({ signal: lease.signal, intervalMs, onEnd: () => lease.release() }), {
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    });
  };

  const route = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const method = request.method;

    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') return notFound();
      return json(200, { status: 'ok', oauthConfigured: deps.oauthConfigured });
    }

    if (path === '/auth/login') {
      if (method !== 'POST') return notFound();
      const body = await readJson(request, { parse: (value) => LoginBody.parse(value) });
      const { token, claims } = await tokens.issuer.issue(body.user, { role: body.role });
      log.info('login', { user: claims.userId, role: claims.custom.role });
      // Max-Age = the token's lifetime (DESIGN), so the cookie and the token end together.
      const cookie = serializeAuthCookie(token, {
        ...cookieOptions,
        maxAgeSeconds: claims.expiresAtSeconds - claims.issuedAtSeconds,
      });
      return json(200, { token }, { 'set-cookie': cookie });
    }

    if (path === '/auth/logout') {
      if (method !== 'POST') return notFound();
      const { identity } = await authenticated(request, path);
      // Streams here end first, whatever the store says: `revoke` aborts this instance's leases before
      // it waits for the fan-out. A failed fan-out is still a 503, so the client knows its tokens may
      // not be refused everywhere yet.
      const cancelled = await registry.revoke(identity.userId);
      log.info('logout', { user: identity.userId, cancelled });
      return json(200, { cancelled }, { 'set-cookie': clearAuthCookie(cookieOptions) });
    }

    if (!path.startsWith('/api/')) return notFound();

    const { identity, caller } = await authenticated(request, path);
    authorize(request, path, caller);
    if (STREAMS.has(path)) return stream(path, identity);
    const gitopsRoute = gitops.get(path);
    if (gitopsRoute === undefined) throw new InvalidRequestError('schema');
    await readJson(request, { parse: gitopsRoute.parse });
    log.info('gitops', { user: caller.user, path });
    return json(202, { accepted: true });
  };

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      return toResponse(error, log);
    }
  };
}
