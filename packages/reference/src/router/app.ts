import { Agent } from 'node:http';
import { LatchkeyError, SessionNotFoundError, UpstreamUnavailableError } from '@latchkey/errors';
import { readBody } from '@latchkey/http';
import { generateSessionId, isSessionId, type SessionStore } from '@latchkey/keystore';
import { parseTarget, type Target, type TargetMatcher } from '@latchkey/session-target';
import {
  type BootstrapIssuer,
  generateSessionKeyPair,
  type SessionKeyPair,
  type SigningKeyCache,
} from '@latchkey/tokens';
import { type Fingerprint, sessionFingerprint } from '../fingerprint.js';
import { errorFields, type Logger } from '../log.js';
import { type App, json, notFound, type RequestContext, toResponse } from '../respond.js';
import { forward } from './proxy.js';
import type { SandboxLauncher } from './sandboxes.js';
import { createSessionSlots, type SessionSlot, type SessionSlots } from './session-slots.js';
import { createSessionTokens } from './session-tokens.js';
import { createSessionSweeper, type SweepReport } from './sweep.js';

/**
 * The header that carries a session id between a client and the router.
 *
 * @example
 * ```ts
 * const sessionId = response.headers.get(SESSION_HEADER);
 * ```
 */
export const SESSION_HEADER = 'x-latchkey-session';

/** What the router app is made of. */
export interface RouterDeps {
  /** Session records and encrypted private keys. */
  readonly sessions: SessionStore;
  /** Decrypted session private keys, loaded from `sessions` once per key. */
  readonly signingKeys: SigningKeyCache;
  /** Issues the bootstrap token of each new session. */
  readonly bootstrap: BootstrapIssuer;
  /** Brings up one sandbox per session. */
  readonly sandboxes: SandboxLauncher;
  /** Refuses a session reused against another target (and reports it). */
  readonly matcher: TargetMatcher;
  /** `iss` / `aud` of session tokens. */
  readonly issuer: string;
  readonly audience: string;
  readonly log: Logger;
  /** Session lifetime in seconds; default 3600. */
  readonly sessionTtlSeconds?: number;
  /** Target kinds the router serves; default the target package's allow-list. */
  readonly kinds?: readonly string[];
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /** Keep-alive agent for the connections to sandboxes; the caller destroys it at shutdown. */
  readonly agent?: Agent;
  /**
   * Milliseconds between sweeps that stop the local sandboxes whose session is gone from the store
   * (deleted through another router, or expired); default 10 000; `0` runs no timer.
   */
  readonly sweepIntervalMs?: number | undefined;
  /** Record reads in flight at once during a sweep; default 32. */
  readonly sweepConcurrency?: number | undefined;
  /**
   * The bound on live sessions with a sandbox here, in all and per client; default 1000 and 100
   * (`LATCHKEY_MAX_SESSIONS`, `LATCHKEY_MAX_SESSIONS_PER_CLIENT`).
   */
  readonly slots?: SessionSlots;
  /**
   * The router's one identity step, run first on every `/v1/*` request: who the caller is. Default: the
   * connection's remote address as `client`, no owner. A caller-identity scheme (Kubernetes
   * TokenReview) plugs in here and throws its 401/403/502 before anything else happens.
   */
  readonly identify?: (
    request: Request,
    context: RequestContext | undefined,
  ) => Promise<CallerIdentity> | CallerIdentity;
  /** What log lines carry instead of a session id; default the process's keyed fingerprint. */
  readonly fingerprint?: Fingerprint;
}

/** Who a router request comes from, as {@link RouterDeps.identify} tells it. */
export interface CallerIdentity {
  /** The key of the per-client session bound (`LATCHKEY_MAX_SESSIONS_PER_CLIENT`). */
  readonly client: string;
  /** Whose sessions these are, when the identity scheme knows (a service account's UID). */
  readonly owner?: string | undefined;
}

/**
 * The default identity: the connection's remote address.
 *
 * @example
 * ```ts
 * remoteAddressIdentity(request, { remoteAddress: '10.0.0.7' }); // { client: '10.0.0.7' }
 * ```
 */
export function remoteAddressIdentity(
  _request: Request,
  context: RequestContext | undefined,
): CallerIdentity {
  return { client: context?.remoteAddress ?? 'unknown' };
}

/**
 * The router app: the request handler, plus the sweep that stops local sandboxes whose session is gone
 * from the shared store, and `close()` to stop the sweep's timer at shutdown.
 */
export interface RouterApp {
  (request: Request): Promise<Response>;
  /** Runs a sweep now (or joins the one running); resolves with what it did, never rejects. */
  sweep(): Promise<SweepReport>;
  /** Stops the sweep timer. Idempotent; the handler keeps answering. */
  close(): void;
}

/** Default pause between sweeps; see the README for why 10 s. */
const SWEEP_INTERVAL_MS = 10_000;
/** Default record reads in flight during a sweep. */
const SWEEP_CONCURRENCY = 32;

function parseRoute(
  segments: readonly string[],
  kinds: readonly string[] | undefined,
): { target: Target; rest: string } | undefined {
  // /v1/namespaces/{namespace}/{kind}/{name}/invoke/{path...}
  if (
    segments.length < 8 ||
    segments[1] !== 'v1' ||
    segments[2] !== 'namespaces' ||
    segments[6] !== 'invoke'
  ) {
    return undefined;
  }
  const [namespace, kind, name] = [segments[3], segments[4], segments[5]];
  const rest = segments.slice(7).join('/');
  if (rest === '') return undefined;
  // Namespace and name must be DNS-1123 labels; the kind must be on the allow-list (the target
  // package's default, `AgentRuntime` and `CodeInterpreter`, unless the router is given its own).
  return { target: parseTarget({ namespace, kind, name }, kinds === undefined ? {} : { kinds }), rest };
}

/**
 * The router: creates a session per new client (bound to the target in the URL), brings up its
 * sandbox, runs the `/init` handshake, and forwards each invocation with a session token signed from
 * the session's key. Every forward is preceded by the store lookup and the target check; a store that
 * cannot answer is a 503, never a forward. A forward for a session gone from the store is a 404 and
 * stops the session's sandbox if it runs here; a periodic sweep (`sweepIntervalMs`) stops the others,
 * and `close()` ends that sweep.
 *
 * @example
 * ```ts
 * const app = createRouterApp({ sessions, signingKeys, bootstrap, sandboxes, matcher, issuer, audience, log });
 * ```
 */
export function createRouterApp(deps: RouterDeps): RouterApp {
  const { sessions, signingKeys, bootstrap, sandboxes, matcher, log } = deps;
  const now = deps.now ?? Date.now;
  const ttlSeconds = deps.sessionTtlSeconds ?? 3_600;
  const fingerprint = deps.fingerprint ?? sessionFingerprint;
  const slots = deps.slots ?? createSessionSlots();
  const identify = deps.identify ?? remoteAddressIdentity;
  const agent = deps.agent ?? new Agent({ keepAlive: true, maxSockets: 256 });
  const tokens = createSessionTokens({ signingKeys, issuer: deps.issuer, audience: deps.audience, now });

  // Sessions whose sandbox is up but whose record is not written yet: "no record" means nothing for
  // them, so neither the sweep nor a forward may take it as "gone".
  const creating = new Set<string>();
  // The slot of every session with a sandbox here: released with the sandbox, whoever stops it.
  const held = new Map<string, SessionSlot>();

  const create = async (
    target: Target,
    client: string,
  ): Promise<{ sessionId: string; endpoint: string; token: string }> => {
    // The slot first: a refused creation spends no key pair, no sandbox and no signature.
    const slot = slots.acquire(client);
    const sessionId = generateSessionId();
    creating.add(sessionId);
    held.set(sessionId, slot);
    try {
      const pair = await generateSessionKeyPair();
      return await createSession(sessionId, pair, target);
    } catch (error) {
      held.delete(sessionId);
      slot.release();
      throw error;
    } finally {
      creating.delete(sessionId);
    }
  };

  const createSession = async (
    sessionId: string,
    pair: SessionKeyPair,
    target: Target,
  ): Promise<{ sessionId: string; endpoint: string; token: string }> => {
    const endpoint = await sandboxes.start(sessionId);
    try {
      const bootstrapToken = await bootstrap.issue({ sessionId, sessionPublicKey: pair.publicJwk });
      let init: Response;
      try {
        init = await fetch(`${endpoint}/init`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bootstrapToken}` },
        });
        await init.arrayBuffer();
      } catch (error) {
        throw new UpstreamUnavailableError('unreachable', { cause: error });
      }
      if (init.status !== 200) throw new UpstreamUnavailableError('bad-response');
      const createdAt = now();
      await sessions.put(sessionId, {
        record: {
          target,
          endpoint,
          authMode: 'session-token',
          createdAtMs: createdAt,
          expiresAtMs: createdAt + ttlSeconds * 1000,
        },
        // The JWK taken at generation: the store checks and writes it without exporting the key again.
        privateKey: pair.privateJwk,
        ttlSeconds,
      });
    } catch (error) {
      // Nothing half-made survives: no sandbox without a stored session.
      await sandboxes.stop(sessionId);
      throw error;
    }
    const token = tokens.signWith(sessionId, pair.privateKey);
    log.info('session-created', {
      session: fingerprint(sessionId),
      namespace: target.namespace,
      kind: target.kind,
      name: target.name,
    });
    return { sessionId, endpoint, token };
  };

  // Everything this process holds for a session: its cached token and key, its sandbox and its slot.
  // Stopping the sandbox is the launcher's stop(), whoever asks (DELETE, a forward, the sweep).
  const retire = async (sessionId: string): Promise<void> => {
    tokens.delete(sessionId);
    const slot = held.get(sessionId);
    held.delete(sessionId);
    slot?.release();
    await sandboxes.stop(sessionId);
  };

  const reuse = async (sessionId: string, target: Target): Promise<{ endpoint: string; token: string }> => {
    // An id that no session can have (wrong alphabet, too long) names no session: 404, like any other.
    if (!isSessionId(sessionId)) throw new SessionNotFoundError();
    const record = await sessions.getRecord(sessionId);
    if (record === null) {
      // Gone from the store (deleted through another router, or expired): a definite answer, so the
      // sandbox it had here goes too, the same way a DELETE on this router stops it.
      if (!creating.has(sessionId)) {
        const local = sandboxes.has(sessionId);
        try {
          await retire(sessionId);
          if (local) log.info('session-gone', { session: fingerprint(sessionId) });
        } catch (error) {
          log.error('sandbox-stop-failed', { session: fingerprint(sessionId), ...errorFields(error) });
        }
      }
      throw new SessionNotFoundError();
    }
    matcher.assert(sessionId, record.target, target);
    // A key this router cannot decrypt (another keyring) throws DECRYPT_FAILED here: never a forward.
    return { endpoint: record.endpoint, token: await tokens.get(sessionId) };
  };

  const invoke = async (
    request: Request,
    caller: CallerIdentity,
    url: URL,
    target: Target,
    path: string,
  ): Promise<Response> => {
    const body = request.method === 'POST' ? await readBody(request) : undefined;
    const header = request.headers.get(SESSION_HEADER);
    if (header === null) {
      const created = await create(target, caller.client);
      const response = await forward(agent, {
        request,
        endpoint: created.endpoint,
        path,
        search: url.search,
        token: created.token,
        body,
      });
      response.headers.set(SESSION_HEADER, created.sessionId);
      return response;
    }
    const { endpoint, token } = await reuse(header, target);
    const response = await forward(agent, { request, endpoint, path, search: url.search, token, body });
    response.headers.set(SESSION_HEADER, header);
    return response;
  };

  const remove = async (sessionId: string): Promise<Response> => {
    if (!isSessionId(sessionId)) throw new SessionNotFoundError();
    const deleted = await sessions.delete(sessionId);
    await retire(sessionId);
    if (!deleted) throw new SessionNotFoundError();
    log.info('session-deleted', { session: fingerprint(sessionId) });
    return new Response(null, { status: 204 });
  };

  const sweeper = createSessionSweeper({
    // A snapshot taken at the start of a sweep: a session not being created at that moment has its
    // record written already, so reading no record for it later is a definite "gone" (ids are random
    // and never reused).
    candidates: () => sandboxes.sessionIds().filter((id) => !creating.has(id)),
    exists: async (sessionId) => (await sessions.getRecord(sessionId)) !== null,
    retire,
    fingerprint,
    log,
    intervalMs: deps.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    concurrency: deps.sweepConcurrency ?? SWEEP_CONCURRENCY,
  });

  const handle: App = async (request, context) => {
    try {
      const url = new URL(request.url);
      const segments = url.pathname.split('/');
      if (url.pathname === '/healthz' && request.method === 'GET') return json(200, { status: 'ok' });
      if (segments[1] !== 'v1') return notFound();
      // Identity first: every /v1/* request, before any lookup (its refusals are 401/403/502).
      const caller = await identify(request, context);
      if (segments.length === 4 && segments[2] === 'sessions') {
        if (request.method !== 'DELETE') return notFound();
        return await remove(segments[3] ?? '');
      }
      if (segments[2] !== 'namespaces') return notFound();
      if (request.method !== 'GET' && request.method !== 'POST') return notFound();
      const route = parseRoute(segments, deps.kinds);
      if (route === undefined) return notFound();
      return await invoke(request, caller, url, route.target, route.rest);
    } catch (error) {
      if (LatchkeyError.is(error, 'STORE_UNAVAILABLE'))
        log.error('store-unavailable', { reason: error.reason });
      return toResponse(error, log);
    }
  };
  return Object.assign(handle, { sweep: sweeper.sweep, close: sweeper.close });
}
