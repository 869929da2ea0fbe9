// A small real Express 5 app: the API router is mounted under /api, so every policy lookup proves the
// adapter reads the full path (`req.originalUrl`), never the router-relative `req.path`.
import { createServer, type Server } from 'node:http';
import {
  baseUrl,
  closeServer,
  type Kit,
  policy,
  type RunningApp,
  type TestClaims,
} from '@latchkey/adapter-testkit';
import { writeEventStream } from '@latchkey/http';
import express from 'express';
import { identityOf, latchkey, latchkeyErrorHandler, notFoundHandler } from '../src/index.js';

export function createTestApp(
  kit: Kit,
  options: { allowedOrigins?: readonly string[] } = {},
): express.Express {
  const auth = latchkey<TestClaims>({
    verifier: kit.verifier,
    revocation: kit.registry,
    policy,
    queryTokenPaths: ['/api/events'],
    allowedOrigins: options.allowedOrigins,
  });
  const app = express();
  app.post('/auth/login', express.json(), async (req, res) => {
    const { user, role } = req.body as { user: string; role: 'viewer' | 'editor' | 'admin' };
    res.json({ token: await kit.login(user, role) });
  });
  app.post('/auth/logout', auth, async (_req, res) => {
    res.json({ cancelled: await kit.registry.revoke(auth.identityOf(res).userId) });
  });
  const api = express.Router();
  api.use(auth);
  api.get('/me', (_req, res) => {
    res.json({ user: identityOf<TestClaims>(res).userId });
  });
  api.post('/gitops/sync', express.json({ limit: '1kb' }), (req, res) => {
    res.status(202).json({ accepted: true, body: req.body });
  });
  api.get('/unlisted', (_req, res) => {
    res.json({ leaked: true });
  });
  api.get('/events', async (_req, res) => {
    const { userId, issuedAtMs } = auth.identityOf(res);
    const lease = await kit.registry.register(userId, { issuedAtMs, kind: 'events' });
    await writeEventStream(res, lease, { heartbeatMs: 100 });
  });
  app.use('/api', api);
  app.get('/outside', (_req, res) => {
    res.json({ user: identityOf(res).userId });
  });
  app.use(notFoundHandler());
  app.use(latchkeyErrorHandler());
  return app;
}

export async function listen(app: express.Express): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The app factory of `@latchkey/adapter-testkit`: this adapter's test app, listening on port 0. */
export async function startTestApp(kit: Kit): Promise<RunningApp> {
  const server = await listen(createTestApp(kit));
  return { url: baseUrl(server), close: () => closeServer(server) };
}
