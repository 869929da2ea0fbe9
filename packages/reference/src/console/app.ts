import { InvalidRequestError, LatchkeyError, SessionRevokedError } from '@latchkey/errors';
import { createRoutePolicy, type RouteRule } from '@latchkey/guards';
import { authenticate, readJson } from '@latchkey/http';
import type { Lease, Registry } from '@latchkey/registry';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { type App, json, notFound, toResponse } from '../respond.js';
import type { ConsoleIdentity, ConsoleTokens } from './console-tokens.js';
import type { Denylist } from './denylist.js';
import { GITOPS_ROUTES } from './gitops.js';
import { eventStream, execStream } from './streams.js';

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
  readonly tokens: ConsoleTokens;
  readonly denylist: Denylist;
  readonly registry: Registry;
  /** `true` when the registry has a bus: leases are then opened with `registerAsync`. */
  readonly sharedRegistry?: boolean;
  readonly log: Logger;
  /** Both `GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET` are set. */
  readonly oauthConfigured: boolean;
  /** Interval of stream events and chunks. Default 500 ms (the contract asks for at least one a second). */
  readonly streamIntervalMs?: number;
  /** Aborts every stream when the server shuts down. */
  readonly shutdown?: AbortSignal;
}

/** DESIGN: a user id is 1–256 characters without control characters (C0, DEL, C1). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LoginBody = z.object({
  user: z
    .string()
    .min(1)
    .max(256)
    .refine((user) => !CONTROL.test(user)),
  role: z.enum(['viewer', 'editor', 'admin']),
});

const STREAMS = new Set(['/api/events', '/api/exec']);

const POLICY_RULES: readonly RouteRule[] = [
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'GET', path: '/api/exec', minRole: 'editor' },
  ...GITOPS_ROUTES.map((route) => ({ method: 'POST', path: route.path, minRole: route.role })),
];

function cookie(token: string, maxAgeSeconds: number): string {
  // No `Secure`: the reference console serves plain HTTP on loopback. Behind TLS, add it.
  return `${AUTH_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

/**
 * The console: development login, logout that revokes the token and ends the user's streams, two
 * streams registered in the registry right after authentication, and gitops routes behind the role
 * policy table. Checks run authentication (401) → role (403) → body (400).
 *
 * @example
 * ```ts
 * const app = createConsoleApp({ tokens, denylist, registry, log, oauthConfigured: false });
 * const response = await app(new Request('http://127.0.0.1/health'));
 * ```
 */
export function createConsoleApp(deps: ConsoleDeps): App {
  const { tokens, denylist, registry, log } = deps;
  const policy = createRoutePolicy(POLICY_RULES);
  const gitops = new Map(GITOPS_ROUTES.map((route) => [route.path, route]));

  const verify = async (token: string): Promise<ConsoleIdentity> => {
    const identity = await tokens.verify(token);
    if (await denylist.has(identity.jti)) throw new SessionRevokedError('token-revoked');
    return identity;
  };

  const authenticated = async (request: Request, path: string): Promise<ConsoleIdentity> => {
    try {
      const { identity } = await authenticate(request, {
        cookieName: AUTH_COOKIE,
        allowQuery: STREAMS.has(path),
        verify,
      });
      return identity;
    } catch (error) {
      if (LatchkeyError.is(error) && LatchkeyError.is(error.cause, 'SESSION_REVOKED')) {
        log.warn('security', { type: 'revoked-token', path });
      }
      throw error;
    }
  };

  const authorize = (request: Request, path: string, identity: ConsoleIdentity): void => {
    try {
      policy.authorize(request.method, path, identity);
    } catch (error) {
      if (LatchkeyError.is(error, 'FORBIDDEN')) {
        log.warn('security', {
          type: 'forbidden',
          user: identity.user,
          role: identity.role,
          path,
          reason: error.reason,
        });
      }
      throw error;
    }
  };

  const openLease = (identity: ConsoleIdentity, kind: string): Promise<Lease> | Lease =>
    deps.sharedRegistry === true
      ? registry.registerAsync(identity.user, { kind, issuedAt: identity.issuedAt })
      : registry.register(identity.user, { kind, issuedAt: identity.issuedAt });

  const stream = async (path: string, identity: ConsoleIdentity): Promise<Response> => {
    const lease = await openLease(identity, path === '/api/events' ? 'events' : 'exec');
    // The bridge cancels the body when the client goes away; the stream's cancel releases the lease.
    const signals = [lease.signal];
    if (deps.shutdown !== undefined) signals.push(deps.shutdown);
    const options = {
      signal: AbortSignal.any(signals),
      intervalMs: deps.streamIntervalMs ?? 500,
      // Called as a function, not a method: bound here, whatever the registry's lease looks like.
      onEnd: () => lease.release(),
    };
    if (path === '/api/events') {
      return new Response(eventStream({ ...options, user: identity.user }), {
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      });
    }
    return new Response(execStream(options), {
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
      const { token, identity } = await tokens.sign(body.user, body.role);
      log.info('login', { user: identity.user, role: identity.role });
      const maxAge = Math.max(0, Math.floor((identity.expiresAt - Date.now()) / 1000));
      return json(200, { token }, { 'set-cookie': cookie(token, maxAge) });
    }

    if (path === '/auth/logout') {
      if (method !== 'POST') return notFound();
      const identity = await authenticated(request, path);
      // Streams end first, whatever the store says: `revokeUser` aborts this instance's leases before
      // it waits for the fan-out. A store failure (denylist or fan-out) is still a 503, so the client
      // knows its token may not be revoked everywhere.
      let cancelled = 0;
      let failure: unknown;
      try {
        cancelled =
          deps.sharedRegistry === true
            ? await registry.revokeUser(identity.user)
            : registry.cancelUser(identity.user);
      } catch (error) {
        failure = error;
      }
      try {
        await denylist.add(identity.jti, identity.expiresAt);
      } catch (error) {
        failure ??= error;
      }
      if (failure !== undefined) throw failure;
      log.info('logout', { user: identity.user, cancelled });
      return json(200, { cancelled }, { 'set-cookie': cookie('', 0) });
    }

    if (!path.startsWith('/api/')) return notFound();

    const identity = await authenticated(request, path);
    authorize(request, path, identity);
    if (STREAMS.has(path)) return stream(path, identity);
    const gitopsRoute = gitops.get(path);
    if (gitopsRoute === undefined) throw new InvalidRequestError('schema');
    await readJson(request, { parse: gitopsRoute.parse });
    log.info('gitops', { user: identity.user, path });
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
