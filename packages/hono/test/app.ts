// A small real Hono 4 app: the API is its own Hono app mounted with `app.route('/api', api)`, so every
// policy lookup proves the adapter reads the full path (`c.req.path`).
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import {
  baseUrl,
  closeServer,
  type Kit,
  policy,
  type RunningApp,
  type TestClaims,
} from '@latchkey/adapter-testkit';
import { createEventStream } from '@latchkey/http';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import {
  identityOf,
  type LatchkeyEnv,
  latchkey,
  latchkeyErrorHandler,
  notFoundHandler,
} from '../src/index.js';

export function createTestApp(kit: Kit, options: { allowedOrigins?: readonly string[] } = {}): Hono {
  const auth = latchkey<TestClaims>({
    verifier: kit.verifier,
    revocation: kit.registry,
    policy,
    queryTokenPaths: ['/api/events'],
    allowedOrigins: options.allowedOrigins,
  });
  const app = new Hono<LatchkeyEnv<TestClaims>>();
  app.post('/auth/login', async (c) => {
    const { user, role } = await c.req.json<{ user: string; role: 'viewer' | 'editor' | 'admin' }>();
    return c.json({ token: await kit.login(user, role) });
  });
  app.post('/auth/logout', auth, async (c) =>
    c.json({ cancelled: await kit.registry.revoke(c.get('identity').userId) }),
  );
  app.get('/outside', (c) => c.json({ user: identityOf(c).userId }));
  const api = new Hono<LatchkeyEnv<TestClaims>>();
  api.use(auth);
  api.get('/me', (c) => c.json({ user: c.get('identity').userId }));
  api.post(
    '/gitops/sync',
    bodyLimit({
      maxSize: 1024,
      onError: () => {
        throw new HTTPException(413);
      },
    }),
    validator('json', (value) => value),
    (c) => c.json({ accepted: true, body: c.req.valid('json') }, 202),
  );
  api.get('/unlisted', (c) => c.json({ leaked: true }));
  api.get('/events', async (c) => {
    const { userId, issuedAtMs } = c.get('identity');
    const lease = await kit.registry.register(userId, { issuedAtMs, kind: 'events' });
    return createEventStream(lease, { heartbeatMs: 100 });
  });
  app.route('/api', api);
  app.notFound(notFoundHandler());
  app.onError(latchkeyErrorHandler());
  return app as unknown as Hono;
}

export async function listen(app: Hono): Promise<Server> {
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The app factory of `@latchkey/adapter-testkit`: this adapter's test app, listening on port 0. */
export async function startTestApp(kit: Kit): Promise<RunningApp> {
  const server = await listen(createTestApp(kit));
  return { url: baseUrl(server), close: () => closeServer(server) };
}
