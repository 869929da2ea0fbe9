import { identityOf, latchkeyPlugin } from '@latchkey/fastify';
import type { DefaultRole } from '@latchkey/guards';
import { clearAuthCookie, serializeAuthCookie, writeEventStream } from '@latchkey/http';
import type { AccessClaims } from '@latchkey/tokens';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Deps, parseLogin, policy, queryTokenPaths } from './dashboard.js';

declare module '@latchkey/fastify' {
  interface LatchkeyFastifyTypes {
    identity: AccessClaims<{ role: DefaultRole }>;
  }
}

/** The dashboard back end: login, logout everywhere, an event stream, a role-guarded POST. */
export async function createApp({
  issuer,
  verifier,
  registry,
  secureCookie,
}: Deps): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 64 * 1024 });
  await app.register(latchkeyPlugin, { verifier, revocation: registry, policy, queryTokenPaths });
  app.post('/auth/login', { config: { latchkey: 'public' } }, async (request, reply) => {
    const { user, role } = parseLogin(request.body);
    const { token, claims } = await issuer.issue(user, { role });
    const cookie = serializeAuthCookie(token, {
      expiresAtSeconds: claims.expiresAtSeconds,
      secure: secureCookie,
    });
    return reply.header('set-cookie', cookie).send({ token });
  });
  app.post('/auth/logout', async (request, reply) => {
    const cancelled = await registry.revoke(identityOf(request).userId);
    return reply.header('set-cookie', clearAuthCookie({ secure: secureCookie })).send({ cancelled });
  });
  app.get('/api/events', async (request, reply) => {
    const { userId, issuedAtMs } = identityOf(request);
    const lease = await registry.register(userId, { issuedAtMs, kind: 'events' });
    reply.hijack();
    await writeEventStream(reply.raw, lease);
  });
  app.post('/api/deploy', async (request, reply) =>
    reply.code(202).send({ accepted: true, by: identityOf(request).userId, body: request.body }),
  );
  return app;
}
