import {
  AlreadyInitializedError,
  InvalidBootstrapTokenError,
  InvalidSessionTokenError,
  LatchkeyError,
  SandboxNotInitializedError,
} from '@latchkey/errors';
import { parseBearer, type RateLimiter, readJson } from '@latchkey/http';
import type { BootstrapVerifier, SessionKeyHolder } from '@latchkey/tokens';
import { sessionFingerprint } from '../fingerprint.js';
import type { Logger } from '../log.js';
import { type App, json, notFound, toResponse } from '../respond.js';

/** What the sandbox app is made of. */
export interface SandboxDeps {
  /** Verifies bootstrap tokens (with its replay guard and, when configured, the expected `sub`). */
  readonly bootstrap: BootstrapVerifier;
  /** Init-once holder of the session key; verifies session tokens once initialised. */
  readonly holder: SessionKeyHolder;
  /** The `/init` limiter (2/s, burst 5). */
  readonly initLimiter: RateLimiter;
  readonly log: Logger;
  /**
   * The path the sandbox is mounted at (`/s/<slot>` on a router's sandbox host); default `''`, the
   * root. Requests outside it are 404.
   */
  readonly basePath?: string;
}

/**
 * The sandbox's answer to two `Authorization` headers: its own 401 for the route (the bridge refuses
 * the request before the app sees it).
 *
 * @example
 * ```ts
 * listen(app, { port: 0, log, duplicateAuthorization: sandboxDuplicateAuthorization });
 * ```
 */
export function sandboxDuplicateAuthorization(request: Request): LatchkeyError {
  return new URL(request.url).pathname.endsWith('/init')
    ? new InvalidBootstrapTokenError('malformed')
    : new InvalidSessionTokenError('malformed');
}

function bearer(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  return header === null ? undefined : parseBearer(header);
}

/**
 * The sandbox: one session per sandbox. `POST /init` verifies a bootstrap token and installs the
 * session key once; every `/api/*` route then needs a session token signed with that key.
 *
 * @example
 * ```ts
 * const app = createSandboxApp({ bootstrap, holder, initLimiter, log });
 * await app(new Request('http://127.0.0.1/healthz'));
 * ```
 */
export function createSandboxApp(deps: SandboxDeps): App {
  const { bootstrap, holder, initLimiter, log } = deps;

  const init = async (request: Request): Promise<Response> => {
    try {
      initLimiter.take('init');
    } catch (error) {
      log.warn('security', { type: 'rate-limited', route: '/init' });
      throw error;
    }
    // The state is public (`/healthz` reports it), so refusing a second init before looking at the
    // token leaks nothing and spends no verification (or replay-guard entry) on a hijack attempt.
    if (holder.isInitialized) {
      log.warn('security', { type: 'reinit-refused' });
      throw new AlreadyInitializedError();
    }
    const token = bearer(request);
    if (token === undefined) throw new InvalidBootstrapTokenError('missing');
    let verified: Awaited<ReturnType<BootstrapVerifier['verify']>>;
    try {
      verified = await bootstrap.verify(token);
    } catch (error) {
      if (LatchkeyError.is(error) && error.status === 401) {
        log.warn('security', { type: 'invalid-bootstrap-token', reason: error.reason });
      }
      throw error;
    }
    // Synchronous: of concurrent inits that all verified, exactly one wins; the rest get 409.
    holder.initialize({ sessionId: verified.sessionId, sessionPublicKey: verified.sessionPublicKey });
    log.info('initialized', { session: sessionFingerprint(verified.sessionId) });
    return json(200, { initialized: true });
  };

  const api = async (request: Request, path: string): Promise<Response> => {
    if (!holder.isInitialized) throw new SandboxNotInitializedError();
    const token = bearer(request);
    if (token === undefined) throw new InvalidSessionTokenError('missing');
    try {
      await holder.verify(token);
    } catch (error) {
      if (LatchkeyError.is(error) && error.status === 401) {
        log.warn('security', { type: 'invalid-session-token', reason: error.reason });
      }
      throw error;
    }
    if (path === '/api/whoami' && request.method === 'GET') return json(200, { sessionId: holder.sessionId });
    if (path === '/api/echo' && request.method === 'POST') return json(200, await readJson(request));
    return notFound();
  };

  const basePath = deps.basePath ?? '';
  return async (request) => {
    try {
      const fullPath = new URL(request.url).pathname;
      if (!fullPath.startsWith(basePath)) return notFound();
      const path = fullPath.slice(basePath.length);
      if (path === '/healthz' && request.method === 'GET') {
        return json(200, { status: 'ok', initialized: holder.isInitialized });
      }
      if (path === '/init' && request.method === 'POST') return await init(request);
      if (path === '/api' || path.startsWith('/api/')) return await api(request, path);
      return notFound();
    } catch (error) {
      return toResponse(error, log);
    }
  };
}
