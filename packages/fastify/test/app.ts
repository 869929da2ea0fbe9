// A small real Fastify 5 app: the API is a plugin registered with `prefix: '/api'`, so every policy
// lookup proves the adapter reads the full URL path.

import type { Server } from 'node:http';
import { baseUrl, type Kit, policy, type RunningApp, type TestClaims } from '@latchkey/adapter-testkit';
import { writeEventStream } from '@latchkey/http';
import Fastify, { type FastifyInstance } from 'fastify';
import { identityOf, latchkeyPlugin } from '../src/index.js';

declare module '../src/plugin.js' {
  interface LatchkeyFastifyTypes {
    identity: TestClaims;
  }
}

export async function createTestApp(
  kit: Kit,
  options: { allowedOrigins?: readonly string[] } = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(latchkeyPlugin, {
    verifier: kit.verifier,
    revocation: kit.registry,
    policy,
    queryTokenPaths: ['/api/events'],
    allowedOrigins: options.allowedOrigins,
  });
  app.post('/auth/login', { config: { latchkey: 'public' } }, async (request) => {
    const { user, role } = request.body as { user: string; role: 'viewer' | 'editor' | 'admin' };
    return { token: await kit.login(user, role) };
  });
  app.post('/auth/logout', async (request) => ({
    cancelled: await kit.registry.revoke(identityOf(request).userId),
  }));
  app.get('/outside', { config: { latchkey: 'public' } }, async (request) => ({
    user: identityOf(request).userId,
  }));
  await app.register(
    async (api) => {
      api.get('/me', async (request) => ({ user: identityOf(request).userId }));
      api.post('/gitops/sync', { bodyLimit: 1024 }, async (request, reply) =>
        reply.code(202).send({ accepted: true, body: request.body }),
      );
      api.get('/unlisted', async () => ({ leaked: true }));
      api.get('/events', async (request, reply) => {
        const { userId, issuedAtMs } = identityOf(request);
        const lease = await kit.registry.register(userId, { issuedAtMs, kind: 'events' });
        reply.hijack();
        await writeEventStream(reply.raw, lease, { heartbeatMs: 100 });
      });
    },
    { prefix: '/api' },
  );
  return app;
}

export async function listen(app: FastifyInstance): Promise<FastifyInstance> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

/** The app factory of `@latchkey/adapter-testkit`: this adapter's test app, listening on port 0. */
export async function startTestApp(kit: Kit): Promise<RunningApp> {
  const app = await listen(await createTestApp(kit));
  return {
    url: baseUrl(app.server as Server),
    async close() {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
