import { NotFoundError, UnauthenticatedError } from '@latchkey/errors';
import {
  type CredentialSource,
  createRequestAuthorizer,
  type ErrorResponseOptions,
  errorToHttp,
  type RequestAuthorizerOptions as LatchkeyOptions,
  pathOf,
  type RevocableIdentity,
} from '@latchkey/http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Declaration-merging point for the identity type on `request.identity`:
 *
 * ```ts
 * declare module '@latchkey/fastify' {
 *   interface LatchkeyFastifyTypes { identity: AccessClaims<{ role: DefaultRole }> }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: users merge `identity` into it.
export interface LatchkeyFastifyTypes {}

/** The identity type on `request.identity`: `LatchkeyFastifyTypes['identity']`, or `RevocableIdentity`. */
export type FastifyIdentity = LatchkeyFastifyTypes extends {
  identity: infer Identity extends RevocableIdentity;
}
  ? Identity
  : RevocableIdentity;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request belongs to, set by `@latchkey/fastify`; `null` on a public route. */
    identity: FastifyIdentity | null;
    /** Where the credential came from: `header`, `cookie` or `query`; `null` on a public route. */
    credentialSource: CredentialSource | null;
  }
  interface FastifyContextConfig {
    /** `'public'`: the route is served without authentication (login, health). */
    latchkey?: 'public' | undefined;
  }
}

/** Options of {@link latchkeyPlugin}. */
export interface LatchkeyFastifyOptions extends LatchkeyOptions<FastifyIdentity> {
  /** How errors are rendered (`errorToHttp` options: `log`, `format`, …). */
  readonly errors?: ErrorResponseOptions | undefined;
  /** Set the JSON 404 handler (Fastify allows one per context). Default `true`; `false` keeps your own. */
  readonly notFoundHandler?: boolean | undefined;
}

// Percent-escapes of `# $ % & + , / : ; = ? @`: find-my-way leaves them encoded in the path it routes on.
const RESERVED_ESCAPE = /%(2[3-6BbCcFf]|3[AaBbDdFf]|40)/g;

/**
 * The path as Fastify's router (find-my-way) matches it: every percent-escape decoded except those of
 * reserved characters. `/api/%61dmin` is routed as `/api/admin`, so it must be authorised as that;
 * an undecodable path stays as it is (the policy denies it, Fastify answers 400).
 */
export function routingPath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURI(path.replace(RESERVED_ESCAPE, '%25$1'));
  } catch {
    return path;
  }
}

async function plugin(
  app: Parameters<FastifyPluginAsync>[0],
  options: LatchkeyFastifyOptions,
): Promise<void> {
  const authorize = createRequestAuthorizer(options);
  const errorOptions = options.errors ?? {};
  app.decorateRequest('identity', null);
  app.decorateRequest('credentialSource', null);
  // onRequest runs before the body is read: authentication and the policy come before body validation.
  app.addHook('onRequest', async (request) => {
    // A request no route matched runs no handler: it goes straight to the 404 NOT_FOUND below.
    if (request.is404 || request.routeOptions.config?.latchkey === 'public') return;
    const { headers, url } = request;
    const { identity, source } = await authorize({
      headers,
      url,
      method: request.method,
      // The URL path from the server root (prefixes of `register(…, { prefix })` included), decoded as
      // Fastify's router decodes it, so the policy judges the route that will run.
      path: routingPath(pathOf(url)),
      origin: headers.origin,
      host: headers.host,
    });
    request.identity = identity;
    request.credentialSource = source;
  });
  app.setErrorHandler((error, _request, reply) => {
    const { status, headers, body } = errorToHttp(error, errorOptions);
    return reply.code(status).headers(headers).send(body);
  });
  if (options.notFoundHandler !== false) {
    app.setNotFoundHandler(async () => {
      throw new NotFoundError();
    });
  }
}

/**
 * Fastify plugin (wrapped with `fastify-plugin`, so it applies to the whole app): on every route not
 * marked `config: { latchkey: 'public' }` it runs, in an `onRequest` hook, DESIGN's console checks in
 * order — authentication (`Authorization: Bearer`, the `latchkey_auth` cookie, `?token=` on
 * `queryTokenPaths`) → revocation → Origin → the route policy on the full URL path — and sets
 * `request.identity` / `request.credentialSource`. Its error handler answers every error, Fastify's own
 * `FST_ERR_CTP_*` 400/413/415 included, as `{ code, message }`; unknown routes get 404 `NOT_FOUND`.
 *
 * @example
 * ```ts
 * await app.register(latchkeyPlugin, { verifier, revocation: registry, policy, queryTokenPaths: ['/api/events'] });
 * app.post('/auth/login', { config: { latchkey: 'public' } }, login);
 * app.get('/api/me', async (request) => ({ user: identityOf(request).userId }));
 * ```
 */
export const latchkeyPlugin: FastifyPluginAsync<LatchkeyFastifyOptions> = fp(plugin, {
  fastify: '5.x',
  name: '@latchkey/fastify',
});

/**
 * The identity the plugin proved for `request`; throws `UNAUTHENTICATED` (401) on a public route or
 * outside the plugin, so a handler that needs a user fails closed.
 *
 * @example
 * ```ts
 * app.get('/api/me', async (request) => ({ user: identityOf(request).userId }));
 * ```
 */
export function identityOf(request: FastifyRequest): FastifyIdentity {
  const identity = (request as { identity?: FastifyIdentity | null }).identity;
  if (identity === null || identity === undefined) throw new UnauthenticatedError('missing');
  return identity;
}
