import type { DefaultRole } from '@latchkey/guards';
import { type LatchkeyEnv, latchkey, latchkeyErrorHandler, notFoundHandler } from '@latchkey/hono';
import { clearAuthCookie, createEventStream, serializeAuthCookie } from '@latchkey/http';
import type { AccessClaims } from '@latchkey/tokens';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { type Deps, parseLogin, policy, queryTokenPaths } from './dashboard.js';

type Env = LatchkeyEnv<AccessClaims<{ role: DefaultRole }>>;
const limit = bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new HTTPException(413); } });

/** The dashboard back end: login, logout everywhere, an event stream, a role-guarded POST. */
export function createApp({ issuer, verifier, registry, secureCookie }: Deps): Hono<Env> {
  const auth = latchkey({ verifier, revocation: registry, policy, queryTokenPaths });
  const app = new Hono<Env>();
  app.post('/auth/login', limit, async (c) => {
    const { user, role } = parseLogin(await c.req.json().catch(() => undefined));
    const { token, claims } = await issuer.issue(user, { role });
    c.header('set-cookie', serializeAuthCookie(token, { expiresAtSeconds: claims.expiresAtSeconds, secure: secureCookie }));
    return c.json({ token });
  });
  app.post('/auth/logout', auth, async (c) => {
    const cancelled = await registry.revoke(c.get('identity').userId);
    c.header('set-cookie', clearAuthCookie({ secure: secureCookie }));
    return c.json({ cancelled });
  });
  app.use('/api/*', auth);
  app.get('/api/events', async (c) => {
    const { userId, issuedAtMs } = c.get('identity');
    return createEventStream(await registry.register(userId, { issuedAtMs, kind: 'events' }));
  });
  app.post('/api/deploy', limit, async (c) =>
    c.json({ accepted: true, by: c.get('identity').userId, body: await c.req.json() }, 202),
  );
  app.notFound(notFoundHandler());
  app.onError(latchkeyErrorHandler());
  return app;
}
