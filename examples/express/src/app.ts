import { latchkey, latchkeyErrorHandler, notFoundHandler } from '@latchkey/express';
import { clearAuthCookie, serializeAuthCookie, writeEventStream } from '@latchkey/http';
import express from 'express';
import { type Deps, parseLogin, policy, queryTokenPaths } from './dashboard.js';

/** The dashboard back end: login, logout everywhere, an event stream, a role-guarded POST. */
export function createApp({ issuer, verifier, registry, secureCookie }: Deps): express.Express {
  const auth = latchkey({ verifier, revocation: registry, policy, queryTokenPaths });
  const json = express.json({ limit: '64kb' });
  const app = express();
  app.post('/auth/login', json, async (req, res) => {
    const { user, role } = parseLogin(req.body);
    const { token, claims } = await issuer.issue(user, { role });
    const cookie = serializeAuthCookie(token, {
      expiresAtSeconds: claims.expiresAtSeconds,
      secure: secureCookie,
    });
    res.set('set-cookie', cookie).json({ token });
  });
  app.post('/auth/logout', auth, async (_req, res) => {
    const cancelled = await registry.revoke(auth.identityOf(res).userId);
    res.set('set-cookie', clearAuthCookie({ secure: secureCookie })).json({ cancelled });
  });
  app.use('/api', auth);
  app.get('/api/events', async (_req, res) => {
    const { userId, issuedAtMs } = auth.identityOf(res);
    await writeEventStream(res, await registry.register(userId, { issuedAtMs, kind: 'events' }));
  });
  app.post('/api/deploy', json, (req, res) => {
    res.status(202).json({ accepted: true, by: auth.identityOf(res).userId, body: req.body });
  });
  return app.use(notFoundHandler(), latchkeyErrorHandler());
}
