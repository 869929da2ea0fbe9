import { NotFoundError, UnauthenticatedError } from '@latchkey/errors';
import {
  type CredentialSource,
  createRequestAuthorizer,
  type ErrorResponseOptions,
  errorToHttp,
  type RequestAuthorizerOptions as LatchkeyOptions,
  type RevocableIdentity,
} from '@latchkey/http';
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';

/**
 * The Hono `Env` the middleware fills: `c.get('identity')` and `c.get('credentialSource')`, typed.
 *
 * @example
 * ```ts
 * const app = new Hono<LatchkeyEnv<AccessClaims<{ role: DefaultRole }>>>();
 * ```
 */
export interface LatchkeyEnv<Identity extends RevocableIdentity = RevocableIdentity> {
  Variables: {
    /** Who the request belongs to. */
    identity: Identity;
    /** Where the credential came from: `header`, `cookie` or `query`. */
    credentialSource: CredentialSource;
  };
}

/**
 * Hono middleware running DESIGN's console checks in order on every request it sees — authentication
 * (`Authorization: Bearer`, the `latchkey_auth` cookie, `?token=` on `queryTokenPaths`) → revocation →
 * Origin → the route policy on the full path (`c.req.path`, so an app mounted with
 * `app.route('/api', api)` is checked as `/api/…`) — then sets `c.get('identity')`. A refusal is
 * thrown for {@link latchkeyErrorHandler}.
 *
 * @example
 * ```ts
 * const app = new Hono<LatchkeyEnv<AccessClaims<{ role: DefaultRole }>>>();
 * app.use('/api/*', latchkey({ verifier, revocation: registry, policy, queryTokenPaths: ['/api/events'] }));
 * app.get('/api/me', (c) => c.json({ user: c.get('identity').userId }));
 * app.onError(latchkeyErrorHandler());
 * ```
 */
export function latchkey<Identity extends RevocableIdentity>(
  options: LatchkeyOptions<Identity>,
): MiddlewareHandler<LatchkeyEnv<Identity>> {
  const authorize = createRequestAuthorizer(options);
  return async (c, next) => {
    const { raw } = c.req;
    const { headers } = raw;
    const { identity, source } = await authorize({
      headers,
      url: raw.url,
      method: raw.method,
      path: c.req.path,
      origin: headers.get('origin') ?? undefined,
      host: headers.get('host') ?? undefined,
    });
    c.set('identity', identity);
    c.set('credentialSource', source);
    await next();
  };
}

/**
 * The identity {@link latchkey} proved for this request; throws `UNAUTHENTICATED` (401) when it did not
 * run (a route outside its path), so a handler that needs a user fails closed.
 *
 * @example
 * ```ts
 * app.get('/api/me', (c) => c.json({ user: identityOf(c).userId }));
 * ```
 */
export function identityOf<Identity extends RevocableIdentity = RevocableIdentity>(c: Context): Identity {
  const identity = c.get('identity') as Identity | undefined;
  if (identity === undefined) throw new UnauthenticatedError('missing');
  return identity;
}

/**
 * `app.onError` handler: every error — latchkey's, Hono's `HTTPException` (400 malformed JSON, 413 from
 * `bodyLimit`), anything a route throws — becomes `errorToHttp`'s status, headers and JSON body
 * `{ code, message }`; foreign detail goes only to `options.log`.
 *
 * @example
 * ```ts
 * app.onError(latchkeyErrorHandler({ log: (event) => console.warn(event.code) }));
 * ```
 */
export function latchkeyErrorHandler(options: ErrorResponseOptions = {}): ErrorHandler {
  return (error) => {
    const { status, headers, body } = errorToHttp(error, options);
    return new Response(body, { status, headers });
  };
}

/**
 * `app.notFound` handler: 404 `NOT_FOUND` as JSON, rendered like every other error.
 *
 * @example
 * ```ts
 * app.notFound(notFoundHandler());
 * ```
 */
export function notFoundHandler(options: ErrorResponseOptions = {}): NotFoundHandler {
  return () => {
    const { status, headers, body } = errorToHttp(new NotFoundError(), options);
    return new Response(body, { status, headers });
  };
}
