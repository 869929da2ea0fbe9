import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { LatchkeyError, SessionNotFoundError, UpstreamUnavailableError } from '@latchkey/errors';
import { readBody } from '@latchkey/http';
import { isSessionId, type SessionStore } from '@latchkey/keystore';
import { parseTarget, type Target, type TargetMatcher } from '@latchkey/session-target';
import {
  type BootstrapIssuer,
  createSessionTokenSigner,
  generateSessionKeyPair,
  type SessionKeyPair,
  type SigningKeyCache,
} from '@latchkey/tokens';
import { errorFields, type Logger } from '../log.js';
import { nodeBodyResponse } from '../node-body.js';
import { type App, json, notFound, toResponse } from '../respond.js';
import type { SandboxLauncher } from './sandboxes.js';
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

// Hop-by-hop headers (RFC 9110 §7.6.1) and those the forward recomputes never cross the router.
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'proxy-connection',
  'trailer',
  'upgrade',
]);
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept'] as const;

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

  const agent = deps.agent ?? new Agent({ keepAlive: true, maxSockets: 256 });

  const toHeaders = (incoming: IncomingHttpHeaders): Headers => {
    const out = new Headers();
    for (const [name, value] of Object.entries(incoming)) {
      if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
      if (Array.isArray(value)) for (const each of value) out.append(name, each);
      else out.set(name, value);
    }
    return out;
  };

  // node:http rather than fetch towards the sandbox: a keep-alive agent of our own, and the response
  // body handed on as a stream as it arrives (never buffered here, whatever its size).
  const forward = (
    request: Request,
    endpoint: string,
    rest: string,
    search: string,
    token: string,
    body: Uint8Array | undefined,
  ): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = request.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      if (body !== undefined) headers['content-length'] = String(body.byteLength);
      const upstream = httpRequest(
        `${endpoint}/api/${rest}${search}`,
        { method: request.method, headers, agent },
        (response) => {
          const status = response.statusCode ?? 502;
          const headers = toHeaders(response.headers);
          if (status === 204 || status === 304) {
            response.resume();
            resolve(new Response(null, { status, headers }));
          } else {
            resolve(nodeBodyResponse(response, { status, headers }));
          }
        },
      );
      upstream.on('error', (error) => reject(new UpstreamUnavailableError('unreachable', { cause: error })));
      upstream.end(body);
    });

  // Sessions whose sandbox is up but whose record is not written yet: "no record" means nothing for
  // them, so neither the sweep nor a forward may take it as "gone".
  const creating = new Set<string>();

  const create = async (target: Target): Promise<{ sessionId: string; endpoint: string; token: string }> => {
    const sessionId = randomBytes(16).toString('base64url');
    const pair = await generateSessionKeyPair();
    creating.add(sessionId);
    try {
      return await createSession(sessionId, pair, target);
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
          createdAt,
          expiresAt: createdAt + ttlSeconds * 1000,
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
    const token = createSessionTokenSigner({
      privateKey: pair.privateKey,
      issuer: deps.issuer,
      audience: deps.audience,
      sessionId,
    }).signSync();
    log.info('session-created', {
      sessionId,
      namespace: target.namespace,
      kind: target.kind,
      name: target.name,
    });
    return { sessionId, endpoint, token };
  };

  // Session tokens are reused for a short while (well inside their 300 s lifetime): the sandbox's
  // verified-token cache then answers repeat calls without a signature check, and the router signs
  // once a minute per session instead of per call. The store lookup and the target check still run on
  // every call, so a deleted or mismatched session is refused at once whatever is cached here.
  const tokens = new Map<string, { readonly token: string; readonly refreshAt: number }>();
  const TOKEN_REUSE_MS = 60_000;
  const MAX_CACHED_TOKENS = 10_000;

  // Everything this process holds for a session: its cached token and key, and its sandbox. Stopping
  // the sandbox is the launcher's stop(), whoever asks (DELETE, a forward, the sweep): new connections
  // are refused at once, requests in flight get the sandbox's short close grace, then are cut.
  const retire = async (sessionId: string): Promise<void> => {
    signingKeys.delete(sessionId);
    tokens.delete(sessionId);
    await sandboxes.stop(sessionId);
  };

  const sessionToken = async (sessionId: string): Promise<string> => {
    const cached = tokens.get(sessionId);
    if (cached !== undefined && cached.refreshAt > now()) return cached.token;
    const privateKey = await signingKeys.get(sessionId);
    // Synchronous: an ES256 signature costs tens of microseconds, less than a threadpool round trip.
    const token = createSessionTokenSigner({
      privateKey,
      issuer: deps.issuer,
      audience: deps.audience,
      sessionId,
    }).signSync();
    tokens.delete(sessionId);
    if (tokens.size >= MAX_CACHED_TOKENS) {
      const oldest = tokens.keys().next();
      if (oldest.done !== true) tokens.delete(oldest.value);
    }
    tokens.set(sessionId, { token, refreshAt: now() + TOKEN_REUSE_MS });
    return token;
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
          if (local) log.info('session-gone', { sessionId });
        } catch (error) {
          log.error('sandbox-stop-failed', { sessionId, ...errorFields(error) });
        }
      }
      throw new SessionNotFoundError();
    }
    matcher.assertMatches(sessionId, record.target, target);
    return { endpoint: record.endpoint, token: await sessionToken(sessionId) };
  };

  const invoke = async (request: Request, url: URL, target: Target, rest: string): Promise<Response> => {
    const body = request.method === 'POST' ? await readBody(request) : undefined;
    const header = request.headers.get(SESSION_HEADER);
    if (header === null) {
      const created = await create(target);
      const response = await forward(request, created.endpoint, rest, url.search, created.token, body);
      response.headers.set(SESSION_HEADER, created.sessionId);
      return response;
    }
    const { endpoint, token } = await reuse(header, target);
    const response = await forward(request, endpoint, rest, url.search, token, body);
    response.headers.set(SESSION_HEADER, header);
    return response;
  };

  const remove = async (sessionId: string): Promise<Response> => {
    if (!isSessionId(sessionId)) throw new SessionNotFoundError();
    const deleted = await sessions.delete(sessionId);
    await retire(sessionId);
    if (!deleted) throw new SessionNotFoundError();
    log.info('session-deleted', { sessionId });
    return new Response(null, { status: 204 });
  };

  const sweeper = createSessionSweeper({
    // A snapshot taken at the start of a sweep: a session not being created at that moment has its
    // record written already, so reading no record for it later is a definite "gone" (ids are random
    // and never reused).
    candidates: () => sandboxes.sessionIds().filter((id) => !creating.has(id)),
    exists: async (sessionId) => (await sessions.getRecord(sessionId)) !== null,
    retire,
    log,
    intervalMs: deps.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
    concurrency: deps.sweepConcurrency ?? SWEEP_CONCURRENCY,
  });

  const handle: App = async (request) => {
    try {
      const url = new URL(request.url);
      const segments = url.pathname.split('/');
      if (url.pathname === '/healthz' && request.method === 'GET') return json(200, { status: 'ok' });
      if (segments.length === 4 && segments[1] === 'v1' && segments[2] === 'sessions') {
        if (request.method !== 'DELETE') return notFound();
        return await remove(segments[3] ?? '');
      }
      if (segments[1] !== 'v1' || segments[2] !== 'namespaces') return notFound();
      if (request.method !== 'GET' && request.method !== 'POST') return notFound();
      const route = parseRoute(segments, deps.kinds);
      if (route === undefined) return notFound();
      return await invoke(request, url, route.target, route.rest);
    } catch (error) {
      if (LatchkeyError.is(error, 'STORE_UNAVAILABLE'))
        log.error('store-unavailable', { reason: error.reason });
      return toResponse(error, log);
    }
  };
  return Object.assign(handle, { sweep: sweeper.sweep, close: sweeper.close });
}
