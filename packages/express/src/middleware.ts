import { NotFoundError, UnauthenticatedError } from '@latchkey/errors';
import {
  type Authenticated,
  createRequestAuthorizer,
  type ErrorResponseOptions,
  errorToHttp,
  type RequestAuthorizerOptions as LatchkeyOptions,
  pathOf,
  type RevocableIdentity,
} from '@latchkey/http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

/** The `res.locals` key the middleware writes: `res.locals.latchkey = { identity, source }`. */
export const LOCALS_KEY = 'latchkey';

/** The middleware, with an accessor typed by its verifier's identity. */
export interface LatchkeyMiddleware<Identity extends RevocableIdentity> extends RequestHandler {
  /** The identity this middleware proved for `res`; throws `UNAUTHENTICATED` (401) when it did not run. */
  identityOf(res: Response): Identity;
}

/**
 * Express middleware running, on every request it sees, the checks of DESIGN's console in order:
 * authentication (`Authorization: Bearer`, then the `latchkey_auth` cookie, then `?token=` on
 * `queryTokenPaths`) → revocation → Origin → the route policy on the FULL path (`req.originalUrl`, so
 * a router mounted under `/api` is checked as `/api/…`). On success `res.locals.latchkey` holds
 * `{ identity, source }`; any refusal goes to `next(error)` for {@link latchkeyErrorHandler}.
 *
 * @example
 * ```ts
 * const auth = latchkey({ verifier, revocation: registry, policy, queryTokenPaths: ['/api/events'] });
 * app.use('/api', auth);
 * app.get('/api/me', (req, res) => { res.json({ user: auth.identityOf(res).userId }); });
 * app.use(latchkeyErrorHandler());
 * ```
 */
export function latchkey<Identity extends RevocableIdentity>(
  options: LatchkeyOptions<Identity>,
): LatchkeyMiddleware<Identity> {
  const authorize = createRequestAuthorizer(options);
  const middleware = ((req: Request, res: Response, next: (error?: unknown) => void): void => {
    const { headers } = req;
    authorize({
      headers,
      url: req.originalUrl,
      method: req.method,
      path: pathOf(req.originalUrl),
      origin: headers.origin,
      host: headers.host,
    }).then((authenticated) => {
      res.locals[LOCALS_KEY] = authenticated;
      next();
    }, next);
  }) as LatchkeyMiddleware<Identity>;
  middleware.identityOf = (res) => identityOf<Identity>(res);
  return middleware;
}

/**
 * What {@link latchkey} proved for this response: `{ identity, source }`, or `undefined` when it did not run.
 *
 * @example
 * ```ts
 * const source = authenticationOf(res)?.source; // 'header' | 'cookie' | 'query'
 * ```
 */
export function authenticationOf<Identity extends RevocableIdentity = RevocableIdentity>(
  res: Response,
): Authenticated<Identity> | undefined {
  const value = (res.locals as Record<string, unknown>)[LOCALS_KEY];
  return typeof value === 'object' && value !== null ? (value as Authenticated<Identity>) : undefined;
}

/**
 * The identity {@link latchkey} proved for this response. Throws `UNAUTHENTICATED` (401) when the
 * middleware did not run for it, so a handler mounted outside it fails closed.
 *
 * @example
 * ```ts
 * app.get('/api/me', (req, res) => { res.json({ user: identityOf<AccessClaims>(res).userId }); });
 * ```
 */
export function identityOf<Identity extends RevocableIdentity = RevocableIdentity>(res: Response): Identity {
  const authenticated = authenticationOf<Identity>(res);
  if (authenticated === undefined) throw new UnauthenticatedError('missing');
  return authenticated.identity;
}

/**
 * The last error handler: every error — latchkey's, body-parser's 400/413, anything thrown by a route —
 * becomes `errorToHttp`'s status, headers and JSON body `{ code, message }`. Foreign detail never
 * reaches the client (it goes to `options.log`). When the response has already started (a stream), the
 * error goes on to Express, which closes the connection.
 *
 * @example
 * ```ts
 * app.use(express.json({ limit: '64kb' }));
 * // … routes …
 * app.use(latchkeyErrorHandler({ log: (event) => logger.warn(event) }));
 * ```
 */
export function latchkeyErrorHandler(options: ErrorResponseOptions = {}): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, headers, body } = errorToHttp(error, options);
    res.status(status).set(headers).send(body);
  };
}

/**
 * A handler for requests no route answered: 404 `NOT_FOUND` as JSON (mount it after every route,
 * before {@link latchkeyErrorHandler}).
 *
 * @example
 * ```ts
 * app.use(notFoundHandler());
 * app.use(latchkeyErrorHandler());
 * ```
 */
export function notFoundHandler(): RequestHandler {
  return (_req, _res, next) => {
    next(new NotFoundError());
  };
}
